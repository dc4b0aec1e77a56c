"""Requirement definitions: what a jurisdiction asks for, in a form a machine can check.

A plugin declares :class:`Requirement` objects. Each names the evidence kinds
that satisfy it, its scope (agency, system, operator), an applicability rule
over the system profile, the life-cycle stage before which it is due, how
long evidence stays valid, from when it is in force, and who owns it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import rule_engine

from tracker import vocabulary as vocab
from tracker.profile import ProfileQuestion

REQUIREMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9_]*$")
SCOPES = {"agency": "Agency-wide", "system": "Per system", "operator": "Per authorised operator"}
VERIFICATION = {
    "V": "checked against the full legal text",
    "V2": "checked against an official-language article page or several verbatim quotations",
    "P": "partly verified: some details not seen in a source",
    "U": "unverified: a lead to check, not a fact",
    "interpretation": "the compiler's interpretation, not verified",
    "guidance": "good-practice guidance, not law",
}
EVENT_KINDS = {"use": "One use of the system (e.g. a search)"}
OWNERS = {
    "legal": "Legal team",
    "dpo": "Data protection officer",
    "technology": "Technology team",
    "oversight_committee": "Oversight committee",
    "public_relations": "Public relations",
    "training": "Training department",
}


@dataclass(frozen=True)
class Citation:
    """Where a requirement comes from, and how well that is verified."""

    instrument: str  # e.g. "Directive (EU) 2016/680"
    article: str  # e.g. "Art 27(1)-(2)"
    url: str
    verification: str  # a key of VERIFICATION
    note: str = ""

    def __str__(self) -> str:
        return f"{self.instrument}, {self.article}"


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
    renew_on_change: tuple[str, ...] = ()  # profile facts whose change requires new evidence
    recurrence: str = ""  # e.g. "annual", shown to people
    in_force_from: date | None = None
    owner: str = "legal"
    description: str = ""
    # Evidence meant for these other requirements also satisfies this one (one DPIA, several duties).
    also_satisfied_by: tuple[str, ...] = ()
    lead_days: tuple[int, ...] = ()  # reminder lead times before expiry; empty: the deployment's
    # A deadline counted from each system event of this kind, e.g. ("use", 48): evidence within 48 hours.
    deadline_after_event: tuple[str, int] | None = None

    # Cached: the completeness engine reads these tens of thousands of times per portfolio.
    @functools.cached_property
    def framework(self) -> str:
        return self.id.split(".", 1)[0]

    @functools.cached_property
    def accepted_ids(self) -> tuple[str, ...]:
        return (self.id, *self.also_satisfied_by)


@dataclass(frozen=True)
class Jurisdiction:
    """A framework a plugin provides: its id is the prefix of its requirement ids."""

    id: str
    title: str
    description: str = ""
    url: str = ""


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
        "ai_act_role": string,
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
        "ai_act_role": list(vocab.AI_ACT_ROLES),
        "processes_personal_data": [True, False],
        "public_facing": [True, False],
    }
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

    try:
        rule = rule_engine.Rule(text, context=rule_engine.Context(type_resolver=resolve))
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


def problems_with(requirement: Requirement, questions: Iterable[ProfileQuestion] = ()) -> list[str]:
    """Everything wrong with a definition, as messages (empty when it is sound)."""
    out = []
    if not REQUIREMENT_ID.match(requirement.id):
        out.append(
            f"id {requirement.id!r} must look like 'framework.name' (lower case, digits, '-' and '_')"
        )
    if not requirement.title.strip():
        out.append("has no title")
    citation = requirement.citation
    if (
        not isinstance(citation, Citation)
        or not citation.article.strip()
        or not citation.url.startswith("http")
    ):
        out.append("has no citation: an article and an http(s) link are required")
    elif citation.verification not in VERIFICATION:
        out.append(
            f"citation verification {citation.verification!r} is not one of {', '.join(VERIFICATION)}"
        )
    unknown_kinds = [k for k in requirement.evidence_kinds if k not in vocab.EVIDENCE_KINDS]
    if unknown_kinds or not requirement.evidence_kinds:
        out.append(f"evidence kinds {list(unknown_kinds) or '(none)'} are not known evidence kinds")
    if requirement.scope not in SCOPES:
        out.append(f"scope {requirement.scope!r} is not one of {', '.join(SCOPES)}")
    if requirement.due_before is not None and requirement.due_before not in vocab.LIFECYCLE_STAGES:
        out.append(f"due_before {requirement.due_before!r} is not a life-cycle stage")
    if requirement.owner not in OWNERS:
        out.append(f"owner {requirement.owner!r} is not one of {', '.join(OWNERS)}")
    if requirement.deadline_after_event is not None:
        event, hours = requirement.deadline_after_event
        if event not in EVENT_KINDS or not isinstance(hours, int) or hours <= 0:
            out.append(
                f"deadline_after_event must be (one of {', '.join(EVENT_KINDS)}, positive hours)"
            )
    if requirement.valid_for_months is not None and requirement.valid_for_months <= 0:
        out.append("valid_for_months must be positive")
    profile_facts = _profile_types(questions)
    for fact in requirement.renew_on_change:
        if fact not in profile_facts:
            out.append(f"renew_on_change names {fact!r}, which is not a profile fact")
    try:
        compile_rule(requirement.applies_when, questions)
    except RuleError as error:
        out.append(f"applicability {error}")
    return out
