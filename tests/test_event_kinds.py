"""Event kinds are declared data: the tracker's core kinds, and those plugins declare with the
``tracker_event_kinds`` hook; deadlines count only from a declared kind."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from tracker.plugin_api import Citation, EventKind, Jurisdiction, Requirement, hookimpl
from tracker.plugin_host import Catalogue, load_catalogue
from tracker.requirements import problems_with

CORE = {
    "use",
    "personal_data_breach",
    "serious_incident",
    "significant_cyber_incident",
    "substantial_modification",
}
CITE = Citation("Ruritanian Police Algorithms Act 2026", "s. 12", "https://law.example/act", "P")


@pytest.fixture
def plugins(monkeypatch):
    """``plugins(name=(kinds, requirements), ...)`` -> the catalogue of those plugin modules."""

    def load(**declared: tuple[list, list]) -> Catalogue:
        points = []
        for name, (kinds, requirements) in declared.items():
            module = types.ModuleType(f"tracker_test_{name}")

            def jurisdictions(name=name):
                return [Jurisdiction(name, f"The {name} act")]

            module.tracker_jurisdictions = hookimpl(jurisdictions)
            module.tracker_event_kinds = hookimpl(lambda kinds=kinds: list(kinds))
            module.tracker_requirements = hookimpl(lambda reqs=requirements: list(reqs))
            monkeypatch.setitem(sys.modules, module.__name__, module)
            points.append(EntryPoint(name, module.__name__, "tracker.plugins"))
        return load_catalogue(points=points)

    return load


def query_kind(**fields) -> EventKind:
    return EventKind(
        "ruritania_query",
        "Query of the national police database",
        "One query made through the system.",
        **fields,
    )


def counted(rid: str, kind: str, hours=72, **fields) -> Requirement:
    return Requirement(
        rid,
        "Entry in the query log",
        CITE,
        ("record",),
        deadline_after_event=(kind, hours),
        **fields,
    )


def test_the_core_kinds_are_known_whatever_plugins_are_installed(plugins):
    assert set(Catalogue().event_kinds) == CORE
    assert set(plugins().event_kinds) == CORE
    breach = Catalogue().event_kinds["personal_data_breach"]
    assert breach.counted_from == "when the agency became aware of the breach"


def test_a_plugin_declares_a_kind_and_a_requirement_counts_its_deadline_from_it(plugins):
    catalogue = plugins(
        ruritania=(
            [query_kind(counted_from="when the query was made")],
            [
                counted("ruritania.query_log", "ruritania_query"),
                counted("ruritania.breach_notice", "personal_data_breach", 72),
                counted("ruritania.breach_report", "personal_data_breach", 720),
            ],
        )
    )
    assert catalogue.problems == []
    assert catalogue.event_kinds["ruritania_query"].counted_from == "when the query was made"
    assert {rid: r.deadline_after_event for rid, r in catalogue.requirements.items()} == {
        "ruritania.query_log": ("ruritania_query", 72),
        "ruritania.breach_notice": ("personal_data_breach", 72),
        "ruritania.breach_report": ("personal_data_breach", 720),
    }


def test_a_kind_that_is_taken_or_malformed_is_left_out_and_named(plugins):
    catalogue = plugins(
        alpha=(
            [
                query_kind(),
                EventKind("use", "Our own idea of a use"),
                EventKind("Bad Kind", "Spaces and capitals"),
                EventKind("x" * 31, "Too long for the column"),
                EventKind("no_title"),
            ],
            [],
        ),
        beta=([query_kind()], []),
    )
    problems = [str(p) for p in catalogue.problems]
    assert (
        "plugin 'alpha': event kind 'use' is already declared by the tracker (a core kind: count from it, do not declare it)"
        in problems
    )
    assert any(
        p.startswith("plugin 'alpha': event kind id 'Bad Kind' must start with a lower case letter")
        for p in problems
    )
    assert any(p.startswith(f"plugin 'alpha': event kind id '{'x' * 31}'") for p in problems)
    assert any(
        p.startswith("plugin 'alpha': EventKind(...) at tests/test_event_kinds.py:")
        and "missing argument 'title'" in p
        for p in problems
    )
    assert (
        "plugin 'beta': event kind 'ruritania_query' is already declared by plugin 'alpha'"
        in problems
    )
    assert catalogue.event_kinds["use"].title == "Use of the system"  # the core one stays
    assert set(catalogue.event_kinds) == CORE | {"ruritania_query"}


def test_a_deadline_counted_from_an_unknown_kind_or_without_hours_is_refused(plugins):
    catalogue = plugins(
        ruritania=(
            [],
            [
                counted("ruritania.typo", "uses"),
                counted("ruritania.days", "use", "3 days"),
                counted("ruritania.none", "use", 0),
                counted("ruritania.per_operator", "use", 24, scope="operator"),
                counted("ruritania.sound", "use", 24),
            ],
        )
    )
    problems = [str(p) for p in catalogue.problems]
    assert (
        "plugin 'ruritania': requirement 'ruritania.typo': deadline_after_event names 'uses' is "
        "not a known event kind (did you mean 'use'?); known kinds: personal_data_breach, "
        "serious_incident, significant_cyber_incident, substantial_modification, use"
    ) in problems
    assert (
        "plugin 'ruritania': requirement 'ruritania.days': deadline_after_event hours must be a "
        "positive whole number of hours (15 days is 360), not '3 days'"
    ) in problems
    assert any(p.startswith("plugin 'ruritania': requirement 'ruritania.none'") for p in problems)
    assert (
        "plugin 'ruritania': requirement 'ruritania.per_operator': deadline_after_event is owed "
        "per event, not per operator: use scope 'system'"
    ) in problems
    assert set(catalogue.requirements) == {"ruritania.sound"}


def test_a_plugin_kind_is_unknown_to_a_requirement_checked_without_it():
    requirement = counted("ruritania.query_log", "ruritania_query")
    assert problems_with(requirement, event_kinds=CORE | {"ruritania_query"}) == []
    assert problems_with(requirement)[0].startswith(
        "deadline_after_event names 'ruritania_query' is not a known event kind"
    )


def test_renewing_on_a_substantial_modification_alone_is_allowed():
    requirement = Requirement(
        "ruritania.conformity",
        "Conformity assessment",
        CITE,
        ("audit",),
        renew_on_change=("substantial_modification",),
    )
    assert problems_with(requirement) == []
    misspelt = Requirement(
        "ruritania.conformity",
        "Conformity assessment",
        CITE,
        ("audit",),
        renew_on_change=("substantial_modifications",),
    )
    assert problems_with(misspelt)[0].startswith("renew_on_change names an unknown fact")
