"""Completeness replayed over many dates from one load gives exactly what ``for_system`` gives
on each date, on both databases, and reads the same number of rows-queries however many dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from tests.conftest import DEPLOYMENT
from tests.factories import profile
from tests.web.queries import counted
from tracker import accounts, completeness, register
from tracker.completeness import history
from tracker.completeness.loader import load_snapshot
from tracker.models import (
    AISystem,
    AuditEvent,
    Evidence,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    Waiver,
)
from tracker.plugin_host import load_catalogue

TODAY = date.today()


def at(days_ago: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour))


@pytest.fixture
def catalogue():
    return load_catalogue(deployment=DEPLOYMENT)


@pytest.fixture
def dpo(migrated):
    return accounts.create_user("dpo.history", "dpo", "test")


def add_evidence(system, requirement_id, kind, uploaded, *, lineage=None, version=1, **fields):
    item = Evidence.create(
        lineage=lineage or 0,
        version=version,
        kind=kind,
        title=f"{requirement_id} v{version}",
        requirement_ids=[requirement_id],
        created_at=uploaded,
        **fields,
    )
    if lineage is None:
        Evidence.update(lineage=item.id).where(Evidence.id == item.id).execute()
    if system is not None:
        EvidenceSystem.create(evidence=item, system=system)
    return Evidence.get_by_id(item.id)


def review(item, dpo, decision, when):
    EvidenceReview.create(evidence=item, decision=decision, reviewer=dpo, decided_at=when)


@pytest.fixture
def busy(catalogue, dpo, migrated):
    """A system with a past full of changes: evidence uploaded, superseded, accepted then
    rejected, expiring and expired; agency-wide evidence; operators added and removed; waivers
    approved, expired, revoked and never decided; events recorded on time and late; a profile
    change; and its retirement."""
    system = register.create_system(
        profile(lifecycle_stage="testing", people_affected=["suspects"]), "test", catalogue
    )
    AISystem.update(created_at=at(200)).where(AISystem.id == system.id).execute()
    system = AISystem.get_by_id(system.id)
    items = completeness.for_system(system.id, TODAY, catalogue).items
    scoped = {}
    for item in items:
        if item.status == "not_in_force":
            continue
        requirement = catalogue.requirements[item.requirement_id]
        if requirement.deadline_after_event:
            scoped.setdefault("event", []).append(requirement)
        else:
            scoped.setdefault(item.scope, []).append(requirement)
    system_reqs, agency_req = scoped["system"], scoped["agency"][0]
    operator_req, event_req = scoped["operator"][0], scoped["event"][0]

    def kind_of(requirement):
        return requirement.evidence_kinds[0]

    first, second, third, fourth, fifth = system_reqs[:5]
    # A first version accepted, superseded 60 days ago by a second one never reviewed.
    v1 = add_evidence(system, first.id, kind_of(first), at(150))
    review(v1, dpo, "accepted", at(149))
    Evidence.update(superseded_at=at(60)).where(Evidence.id == v1.id).execute()
    add_evidence(system, first.id, kind_of(first), at(60), lineage=v1.lineage, version=2)
    # Accepted, then rejected on a second look.
    flip = add_evidence(system, second.id, kind_of(second), at(120), issued_on=at(121).date())
    review(flip, dpo, "accepted", at(119))
    review(flip, dpo, "rejected", at(50))
    # Accepted and expiring within the lead time today; accepted and lapsed a month ago.
    soon = add_evidence(
        system,
        third.id,
        kind_of(third),
        at(90),
        issued_on=at(90).date(),
        valid_until=at(-10).date(),
    )
    review(soon, dpo, "accepted", at(89))
    lapsed = add_evidence(
        system,
        fourth.id,
        kind_of(fourth),
        at(170),
        issued_on=at(170).date(),
        valid_until=at(30).date(),
    )
    review(lapsed, dpo, "accepted", at(169))
    # Agency-wide evidence, accepted.
    wide = add_evidence(None, agency_req.id, kind_of(agency_req), at(95), agency_wide=True)
    review(wide, dpo, "accepted", at(94))
    # Operators: one added then removed, one added later, with a certificate.
    Operator.create(
        system=system,
        name="Old Officer",
        email="old@police.example",
        added_at=at(180),
        removed_at=at(40),
    )
    Operator.create(system=system, name="New Officer", email="new@police.example", added_at=at(70))
    certificate = add_evidence(
        system,
        operator_req.id,
        kind_of(operator_req),
        at(65),
        certified_person="New Officer",
        issued_on=at(65).date(),
    )
    review(certificate, dpo, "accepted", at(64))
    # Waivers: approved then revoked; approved and since expired; requested and never decided.
    for requirement, decided, expires, revoked, state in (
        (fifth, at(80), TODAY + timedelta(days=200), at(20), "revoked"),
        (third, at(30), TODAY - timedelta(days=10), None, "approved"),
        (second, None, TODAY + timedelta(days=100), None, "requested"),
    ):
        Waiver.create(
            system=system,
            requirement_id=requirement.id,
            justification="test",
            requested_by=dpo,
            requested_at=at(100),
            expires_on=expires,
            state=state,
            decided_by=dpo if decided else None,
            decided_at=decided,
            revoked_at=revoked,
        )
    # Events: recorded on time, recorded late, and one answered by linked evidence.
    kind = event_req.deadline_after_event[0]
    on_time = register.record_event(
        system, kind, at(45), "on time", None, "test", catalogue, now=at(44)
    )
    register.record_event(system, kind, at(100), "late", None, "test", catalogue, now=at(5))
    answer = add_evidence(system, event_req.id, kind_of(event_req), at(43), event=on_time)
    review(answer, dpo, "accepted", at(42))
    # The profile changed 100 days ago (the audit trail says when), and the system retired.
    register.update_system(
        system, {"lifecycle_stage": "deployment", "purpose": "A new purpose."}, "test", catalogue
    )
    AuditEvent.update(occurred_at=at(100).isoformat(timespec="microseconds")).where(
        AuditEvent.action == "system.updated"
    ).execute()
    register.retire_system(AISystem.get_by_id(system.id), "replaced", "test")
    AISystem.update(retired_at=at(2)).where(AISystem.id == system.id).execute()
    assert SystemEvent.select().count() == 2
    return system


def dates_to_check() -> list[date]:
    """Every boundary above, the day before and after it, and some dates between: before the
    system was registered too."""
    days = {0, 1, 2, 3, 5, 6, 9, 10, 11, 19, 20, 21, 29, 30, 31, 39, 40, 41, 42, 43, 44, 45, 46}
    days |= {49, 50, 51, 59, 60, 61, 64, 65, 69, 70, 79, 80, 89, 90, 94, 95, 99, 100, 101}
    days |= {119, 120, 121, 149, 150, 169, 170, 180, 199, 200, 201, 250}
    return sorted(TODAY - timedelta(days=d) for d in days)


def as_compared(result, detail: bool) -> dict:
    compared = {
        "overall": (result.overall.applicable, result.overall.met, result.overall.counts),
        "frameworks": {
            name: (s.applicable, s.met, s.counts) for name, s in result.frameworks.items()
        },
        "ready": result.ready,
        "stage": (result.lifecycle_stage, result.next_stage),
        "retired": result.retired,
        "blocking": result.blocking_statuses,
        "event_counts": result.event_counts,
        "nothing_applies": result.nothing_applies,
    }
    if detail:
        compared["reasons"] = result.reasons
        compared["items"] = [
            (
                i.requirement_id,
                i.status,
                i.blocking,
                i.detail,
                i.waiver_id,
                i.why,
                sorted((e.id, e.status, e.valid_until, e.note) for e in i.evidence),
                [(o.id, o.status) for o in i.operators],
            )
            for i in result.items
        ]
        compared["events"] = [
            (d.event_id, d.requirement_id, d.status, d.deadline, d.late, d.detail)
            for d in result.events
        ]
    return compared


def test_a_replay_equals_for_system_on_every_date(busy, catalogue):
    dates = dates_to_check()
    summaries = history.replay(busy.id, dates, catalogue)
    detailed = history.replay(busy.id, dates, catalogue, detailed=dates)
    registered = busy.created_at.date()
    statuses_seen = set()
    for day in dates:
        if day < registered:
            with pytest.raises(completeness.NotFound):
                completeness.for_system(busy.id, day, catalogue)
            assert day not in summaries and day not in detailed
            continue
        expected = completeness.for_system(busy.id, day, catalogue)
        assert as_compared(detailed[day], True) == as_compared(expected, True), day
        assert as_compared(summaries[day], False) == as_compared(expected, False), day
        statuses_seen |= {s for s, n in expected.overall.counts.items() if n}
    # The data above really is varied: the replay was checked against all of these.
    assert {
        "satisfied",
        "expiring_soon",
        "pending_review",
        "expired",
        "rejected",
        "missing",
        "overdue",
        "waived",
    } <= statuses_seen


def test_a_timeline_from_the_system_already_read_is_the_same(busy, catalogue):
    dates = dates_to_check()
    system = AISystem.get_by_id(busy.id)
    given = history.load_timeline(busy.id, dates[0], TODAY, catalogue, system)
    read = history.load_timeline(busy.id, dates[0], TODAY, catalogue)
    assert given.system == read.system and given.created_at == read.created_at
    replayed = history.evaluate_timeline(given, dates, catalogue, detailed=dates)
    for day in dates:
        if day in replayed:
            expected = completeness.for_system(busy.id, day, catalogue)
            assert as_compared(replayed[day], True) == as_compared(expected, True), day
        snapshot = load_snapshot(day, catalogue, [busy.id], include_retired=True)
        expected_operators = snapshot.operators.get(busy.id, []) if snapshot.systems else []
        assert history.operators_on(given, day) == expected_operators, day


def test_overall_history_has_no_point_before_registration(busy, catalogue):
    dates = [TODAY - timedelta(days=400), TODAY - timedelta(days=150), TODAY]
    points = history.overall_history(busy.id, dates, catalogue)
    assert [day for day, _ in points] == dates[1:]
    for day, percent in points:
        assert percent == completeness.for_system(busy.id, day, catalogue).overall.percent


def count_queries(database, call) -> int:
    with counted(database) as sent:
        call()
    return len(sent)


def test_one_load_whatever_the_number_of_dates(busy, catalogue, migrated):
    few = count_queries(migrated, lambda: history.replay(busy.id, [TODAY], catalogue))
    many = count_queries(migrated, lambda: history.replay(busy.id, dates_to_check(), catalogue))
    assert few == many == 7  # systems, audit trail, events, operators, evidence (own and
    # agency-wide, one statement), reviews, waivers


def test_one_load_whatever_the_number_of_systems(busy, catalogue, migrated, dpo):
    """Other systems with evidence, reviews, operators and profile changes add no query to the
    chart's load and change none of its results (tests/completeness/test_query_plans.py shows
    that they add no rows read either)."""
    dates = history.chart_dates(busy.created_at.date(), TODAY)
    before = history.replay(busy.id, dates, catalogue, detailed=[TODAY])
    alone = count_queries(migrated, lambda: history.replay(busy.id, dates, catalogue))
    for n in range(20):
        other = register.create_system(profile(name=f"Other {n}"), "test", catalogue)
        register.update_system(other, {"purpose": f"Other purpose {n}"}, "test", catalogue)
        Operator.create(system=other, name=f"Officer {n}", email=f"o{n}@police.example")
        for requirement_id in list(catalogue.requirements)[:5]:
            item = add_evidence(other, requirement_id, "record", at(30))
            review(item, dpo, "accepted", at(29))
    among_many = count_queries(migrated, lambda: history.replay(busy.id, dates, catalogue))
    after = history.replay(busy.id, dates, catalogue, detailed=[TODAY])
    assert alone == among_many == 7
    assert {d: as_compared(r, True) for d, r in after.items()} == {
        d: as_compared(r, True) for d, r in before.items()
    }


def test_the_chart_dates_start_on_the_day_of_registration():
    today = date(2026, 11, 27)
    old = history.chart_dates(date(2024, 1, 5), today)
    assert old[0] == date(2025, 12, 1) and old[-1] == today and len(old) == 13
    recent = history.chart_dates(date(2026, 9, 15), today)
    assert recent == [date(2026, 9, 15), date(2026, 10, 1), date(2026, 11, 1), today]
    assert history.chart_dates(today, today) == [today]
    first_of_month = date(2026, 11, 1)
    assert history.chart_dates(date(2026, 10, 31), first_of_month) == [
        date(2026, 10, 31),
        first_of_month,
    ]
