"""Requirement definitions: what a jurisdiction asks for, in a form a machine can check.

A plugin declares :class:`Requirement` objects. Each names the evidence kinds
that satisfy it, its scope (agency, system, operator), an applicability rule
over the system profile, the life-cycle stage before which it is due, how
long evidence stays valid, from when it is in force, and who owns it.

A definition built with a wrong, missing or surplus argument does not raise:
it is marked with what was wrong and where (see :mod:`tracker.lenient`), so the
plugin host leaves out that one definition instead of the plugin's whole list.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import rule_engine

from tracker import vocabulary as vocab
from tracker.events.kinds import CORE_EVENT_KINDS, SUBSTANTIAL_MODIFICATION, unknown_kind
from tracker.i18n import N_
from tracker.lenient import closest, tolerant
from tracker.profile import SET_FACTS, ProfileQuestion
from tracker.territory import Territory

REQUIREMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9_]*$")
# Marked for the catalogue (N_), translated where shown.
SCOPES = {
    "agency": N_("Agency-wide"),
    "system": N_("Per system"),
    "operator": N_("Per authorised operator"),
}
VERIFICATION = {
    "V": N_("checked against the full legal text"),
    "V2": N_("checked against an official-language article page or several verbatim quotations"),
    "P": N_("partly verified: some details not seen in a source"),
    "U": N_("unverified: a lead to check, not a fact"),
    "interpretation": N_("the compiler's interpretation, not verified"),
    "guidance": N_("good-practice guidance, not law"),
}
# The event kinds every deployment knows, by id; plugins add theirs (``tracker_event_kinds``) and
# the plugin host checks deadlines against all of them (``problems_with(..., event_kinds)``).
EVENT_KINDS = {kind.id: kind.title for kind in CORE_EVENT_KINDS}
OWNERS = {
    "legal": "Legal team",
    "dpo": "Data protection officer",
    "technology": "Technology team",
    "oversight_committee": "Oversight committee",
    "public_relations": "Public relations",
    "training": "Training department",
}


@tolerant
@dataclass(frozen=True)
class Citation:
    """Where a requirement comes from, and how well that is verified."""

    instrument: str  # e.g. "Directive (EU) 2016/680"
    article: str  # e.g. "Art 27(1)-(2)"
    url: str
    verification: str  # a key of VERIFICATION
    note: str = ""

    # Set only on an instance built from a call with wrong arguments (see tolerant()).
    construction_problems: ClassVar[tuple[str, ...]] = ()
    defined_at: ClassVar[str] = ""

    def __str__(self) -> str:
        return f"{self.instrument}, {self.article}"


@tolerant
@dataclass(frozen=True)
class Requirement:
    """One evidence requirement. Dates and lead times are data, so a deployment can override them."""

    id: str
    title: str
    citation: Citation
    evidence_kinds: tuple[str, ...]
    applies_when: str = "true"  # a rule-engine expression over the profile
    scope: str = "system"
    due_before: str | None = None  # the life-cycle stage it must be satisfied before
    valid_for_months: int | None = None  # evidence lapses this long after it was issued
    # Profile facts whose change requires new evidence; a requirement naming any also renews
    # after a recorded substantial modification (which may be named alone).
    renew_on_change: tuple[str, ...] = ()
    recurrence: str = ""  # e.g. "annual", shown to people
    in_force_from: date | None = None
    owner: str = "legal"
    description: str = ""
    # Evidence meant for these other requirements also satisfies this one (one DPIA, several duties).
    also_satisfied_by: tuple[str, ...] = ()
    lead_days: tuple[int, ...] = ()  # reminder lead times before expiry; empty: the deployment's
    # A deadline counted from each recorded event of this kind, in hours (a day is 24), e.g.
    # ("use", 48): evidence linked to each use within 48 hours. Such a requirement is judged
    # per event only (see tracker.completeness.events).
    deadline_after_event: tuple[str, int] | None = None

    # Set only on an instance built from a call with wrong arguments (see tolerant()).
    construction_problems: ClassVar[tuple[str, ...]] = ()
    defined_at: ClassVar[str] = ""

    # Cached: the completeness engine reads these tens of thousands of times per portfolio.
    @functools.cached_property
    def framework(self) -> str:
        return self.id.split(".", 1)[0]

    @functools.cached_property
    def accepted_ids(self) -> tuple[str, ...]:
        return (self.id, *self.also_satisfied_by)


@tolerant
@dataclass(frozen=True)
class Jurisdiction:
    """A framework a plugin provides: its id is the prefix of its requirement ids."""

    id: str
    title: str
    description: str = ""
    url: str = ""
    # Where the law applies (dated membership); None: wherever the deployment enables it.
    territory: Territory | None = None

    # Set only on an instance built from a call with wrong arguments (see tolerant()).
    construction_problems: ClassVar[tuple[str, ...]] = ()
    defined_at: ClassVar[str] = ""


JURISDICTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def jurisdiction_problems(jurisdiction: Jurisdiction) -> list[str]:
    """Everything wrong with a jurisdiction's definition (empty when it is sound)."""
    if jurisdiction.construction_problems:
        return [_unconstructed(jurisdiction)]
    out = []
    if not isinstance(jurisdiction.id, str) or not JURISDICTION_ID.match(jurisdiction.id):
        out.append(
            f"jurisdiction id {jurisdiction.id!r} must be lower case letters, digits and '-'"
        )
    for name in ("title", "description", "url"):
        if not isinstance(getattr(jurisdiction, name), str):
            out.append(f"jurisdiction {name} must be text")
    if isinstance(jurisdiction.title, str) and not jurisdiction.title.strip():
        out.append("jurisdiction has no title")
    territory = jurisdiction.territory
    if territory is not None:
        if not isinstance(territory, Territory):
            out.append("jurisdiction territory must be a Territory (tracker.plugin_api)")
        elif territory.verification not in VERIFICATION:
            out.append(
                f"territory verification {territory.verification!r} is not one of "
                f"{', '.join(VERIFICATION)}"
            )
        elif not territory.source.startswith("http"):
            out.append("territory has no source: an http(s) link is required")
    return out


def _unconstructed(definition: Any) -> str:
    """The message for a definition built from a call with wrong arguments."""
    return (
        f"{type(definition).__name__}(...) at {definition.defined_at} cannot be built: "
        + "; ".join(definition.construction_problems)
    )


# Applicability rules


def _profile_types(questions: Iterable[ProfileQuestion]) -> dict[str, rule_engine.DataType]:
    string, boolean = rule_engine.DataType.STRING, rule_engine.DataType.BOOLEAN
    strings = rule_engine.DataType.ARRAY(rule_engine.DataType.STRING)
    types = {
        "name": string,
        "version": string,
        "vendor": string,
        "purpose": string,
        "authorised_use_cases": strings,
        "development_approach": string,
        "lifecycle_stage": string,
        "risk_level": string,
        "processes_personal_data": boolean,
        "purpose_type": string,
        "biometric_identification": string,
        "ai_act_roles": strings,
        "profiling": boolean,
        "people_affected": strings,
        "annex_iii_areas": strings,
        "public_authority": boolean,
        "countries": strings,
        "public_facing": boolean,
        "units_with_access": strings,
        "data_sharing": string,
        "jurisdictions": strings,
    }
    for question in questions:
        types[question.id] = boolean if question.type == "boolean" else string
    return types


def _sample_values(questions: Iterable[ProfileQuestion]) -> dict[str, list[Any]]:
    """Every value a closed profile fact can take, to test whether a rule can ever apply."""
    values: dict[str, list[Any]] = {
        "development_approach": list(vocab.DEVELOPMENT_APPROACHES),
        "lifecycle_stage": list(vocab.LIFECYCLE_STAGES),
        "risk_level": list(vocab.RISK_LEVELS),
        "purpose_type": list(vocab.PURPOSE_TYPES),
        "biometric_identification": list(vocab.BIOMETRIC_IDENTIFICATION),
        "processes_personal_data": [True, False],
        "public_facing": [True, False],
        "profiling": [True, False],
        "public_authority": [True, False],
    }
    for name, choices in SET_FACTS.items():  # none, each one alone, all of them
        values[name] = [(), *((choice,) for choice in choices), tuple(choices)]
    for question in questions:
        values[question.id] = (
            [True, False] if question.type == "boolean" else list(question.choices) or [""]
        )
    return values


class RuleError(ValueError):
    pass


@dataclass
class CompiledRule:
    """An applicability rule, checked against the profile's symbols and memoised on them."""

    text: str
    symbols: tuple[str, ...]
    _rule: rule_engine.Rule
    _memo: dict[tuple, bool] = field(default_factory=dict)

    def applies(self, profile: Mapping[str, Any]) -> bool:
        key = tuple(hashable(profile.get(name)) for name in self.symbols)
        result = self._memo.get(key)
        if result is None:
            result = self._memo[key] = bool(
                self._rule.matches(dict(zip(self.symbols, key, strict=True)))
            )
        return result

    def applies_to_key(self, key: tuple) -> bool:
        """Like :meth:`applies`, for a key already made of this rule's symbols, in order."""
        result = self._memo.get(key)
        if result is None:
            result = self._memo[key] = bool(
                self._rule.matches(dict(zip(self.symbols, key, strict=True)))
            )
        return result


def hashable(value: Any) -> Any:
    """Lists as tuples: profile values become keys of the applicability caches."""
    return tuple(value) if isinstance(value, list) else value


def unknown_fact(name: str, known: Iterable[str]) -> str:
    """ "unknown fact 'x'", with the closest known fact or, failing one, the list of them."""
    known = sorted(known)
    guess = closest(name, known)
    if guess:
        return f"unknown fact {name!r}; did you mean {guess!r}?"
    return f"unknown fact {name!r} (known facts: {', '.join(known)})"


def compile_rule(text: str, questions: Iterable[ProfileQuestion] = ()) -> CompiledRule:
    """Compile ``text``; raise RuleError when it is malformed, names an unknown fact, or can never apply."""
    questions = tuple(questions)
    types = _profile_types(questions)
    used: list[str] = []

    def resolve(name: str) -> rule_engine.DataType:
        if name not in types:
            raise rule_engine.errors.SymbolResolutionError(name)
        if name not in used:
            used.append(name)
        return types[name]

    if not isinstance(text, str):
        raise RuleError(f"rule {text!r} must be text, e.g. 'risk_level == \"high\"'")
    try:
        rule = rule_engine.Rule(text, context=rule_engine.Context(type_resolver=resolve))
    except rule_engine.errors.SymbolResolutionError as error:
        raise RuleError(
            f"rule {text!r} is invalid: {unknown_fact(error.symbol_name, types)}"
        ) from None
    except rule_engine.errors.EngineError as error:
        raise RuleError(f"rule {text!r} is invalid: {getattr(error, 'message', error)}") from None
    compiled = CompiledRule(text, tuple(used), rule)
    samples = _sample_values(questions)
    closed = [name for name in compiled.symbols if name in samples]
    if len(closed) == len(compiled.symbols):
        combinations = itertools.product(*(samples[name] for name in closed))
        if not any(
            compiled.applies(dict(zip(closed, combo, strict=True))) for combo in combinations
        ):
            raise RuleError(
                f"rule {text!r} can never apply: no possible profile matches it "
                "(check the values it compares against)"
            )
    return compiled


Check = Callable[[Requirement], list[str]]

# The type each field must have; a plugin's wrong type is reported, never left to crash later.
_TEXT = ("id", "title", "applies_when", "scope", "recurrence", "owner", "description")
_TEXT_SEQUENCES = ("evidence_kinds", "renew_on_change", "also_satisfied_by")


def _type_problems(requirement: Requirement) -> list[str]:
    out = [
        f"{name} must be text, not {type(getattr(requirement, name)).__name__}"
        for name in _TEXT
        if not isinstance(getattr(requirement, name), str)
    ]
    for name in _TEXT_SEQUENCES:
        value = getattr(requirement, name)
        if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
            out.append(f"{name} must be a tuple of names such as ('record',), not {value!r}")
    if not isinstance(requirement.lead_days, tuple | list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in requirement.lead_days
    ):
        out.append(
            f"lead_days must be a tuple of positive whole days, not {requirement.lead_days!r}"
        )
    if requirement.due_before is not None and not isinstance(requirement.due_before, str):
        out.append("due_before must be a life-cycle stage or None")
    months = requirement.valid_for_months
    if months is not None and (not isinstance(months, int) or isinstance(months, bool)):
        out.append(f"valid_for_months must be a whole number or None, not {months!r}")
    if requirement.in_force_from is not None and not isinstance(requirement.in_force_from, date):
        out.append(
            f"in_force_from must be a datetime.date or None, not {requirement.in_force_from!r}"
        )
    event = requirement.deadline_after_event
    if event is not None and (not isinstance(event, tuple | list) or len(event) != 2):
        out.append(f"deadline_after_event must be (event kind, hours) or None, not {event!r}")
    return out


def _citation_problems(citation: Any) -> list[str]:
    if not isinstance(citation, Citation):
        return ["has no citation: give a Citation(instrument, article, url, verification)"]
    if citation.construction_problems:
        return [_unconstructed(citation)]
    if not all(
        isinstance(getattr(citation, name), str)
        for name in ("instrument", "article", "url", "verification", "note")
    ):
        return ["citation fields must be text"]
    if not citation.article.strip() or not citation.url.startswith("http"):
        return ["has no citation: an article and an http(s) link are required"]
    if citation.verification not in VERIFICATION:
        return [
            f"citation verification {citation.verification!r} is not one of {', '.join(VERIFICATION)}"
        ]
    return []


def problems_with(
    requirement: Requirement,
    questions: Iterable[ProfileQuestion] = (),
    event_kinds: Iterable[str] | None = None,
) -> list[str]:
    """Everything wrong with a definition, as messages (empty when it is sound).

    ``event_kinds`` are the event kind ids deadlines may count from (default: the core ones).
    """
    if requirement.construction_problems:
        return [_unconstructed(requirement)]
    out = _type_problems(requirement)
    if out:  # the checks below read the fields as the types they should have
        return out
    if not REQUIREMENT_ID.match(requirement.id):
        out.append(
            f"id {requirement.id!r} must look like 'framework.name' (lower case, digits, '-' and '_')"
        )
    if not requirement.title.strip():
        out.append("has no title")
    out += _citation_problems(requirement.citation)
    unknown_kinds = [k for k in requirement.evidence_kinds if k not in vocab.EVIDENCE_KINDS]
    if unknown_kinds or not requirement.evidence_kinds:
        out.append(
            f"evidence kinds {list(unknown_kinds) or '(none)'} are not known evidence kinds"
            + "".join(
                f" ({kind!r}: did you mean {guess!r}?)"
                for kind in unknown_kinds
                if (guess := closest(kind, vocab.EVIDENCE_KINDS))
            )
            + f"; known kinds: {', '.join(vocab.EVIDENCE_KINDS)}"
        )
    if requirement.scope not in SCOPES:
        out.append(f"scope {requirement.scope!r} is not one of {', '.join(SCOPES)}")
    if requirement.due_before is not None and requirement.due_before not in vocab.LIFECYCLE_STAGES:
        out.append(
            f"due_before {requirement.due_before!r} is not a life-cycle stage "
            f"({', '.join(vocab.LIFECYCLE_STAGES)})"
        )
    if requirement.owner not in OWNERS:
        out.append(f"owner {requirement.owner!r} is not one of {', '.join(OWNERS)}")
    if requirement.deadline_after_event is not None:
        kinds = set(EVENT_KINDS if event_kinds is None else event_kinds)
        event, hours = requirement.deadline_after_event
        if not isinstance(event, str) or event not in kinds:
            out.append(f"deadline_after_event names {unknown_kind(event, kinds)}")
        if not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0:
            out.append(
                "deadline_after_event hours must be a positive whole number of hours "
                f"(15 days is 360), not {hours!r}"
            )
        if requirement.scope == "operator":
            out.append(
                "deadline_after_event is owed per event, not per operator: use scope 'system'"
            )
    if requirement.valid_for_months is not None and requirement.valid_for_months <= 0:
        out.append("valid_for_months must be positive")
    profile_facts = _profile_types(questions)
    for fact in requirement.renew_on_change:
        # A substantial modification (an event, not a fact) may be the only trigger named.
        if fact not in profile_facts and fact != SUBSTANTIAL_MODIFICATION:
            out.append(f"renew_on_change names an {unknown_fact(fact, profile_facts)}")
    try:
        compile_rule(requirement.applies_when, questions)
    except RuleError as error:
        out.append(f"applicability {error}")
    return out
