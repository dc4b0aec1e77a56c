"""Deciding each requirement's status for a system on a date.

Plain functions over a :class:`~tracker.completeness.facts.Snapshot`: which
requirements apply (jurisdictions, in-force dates and the applicability
rule), which evidence could serve each one, what state that evidence is in
(review, validity window, staleness after a profile change), and what blocks
the system's next life-cycle stage.

A portfolio means tens of thousands of requirement statuses, so the
per-requirement constants are computed once, applicability is cached by the
profile facts rules read, and requirements with no evidence at all take a
short path.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from tracker.completeness.facts import (
    MET,
    NOT_BLOCKING,
    RANK,
    EvidenceFact,
    EvidenceRef,
    ItemStatus,
    OperatorStatus,
    Score,
    Snapshot,
    SystemCompleteness,
    SystemFact,
)
from tracker.plugin_host import Catalogue
from tracker.requirements import Requirement
from tracker.vocabulary import LIFECYCLE_STAGES, next_stage

STAGE_INDEX = {stage: index for index, stage in enumerate(LIFECYCLE_STAGES)}
NO_EVIDENCE: dict[str, list[EvidenceFact]] = {}


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class _Constants:
    """What never changes about a requirement during an evaluation."""

    requirement: Requirement
    framework: str
    citation: str
    due_index: int | None
    window: int

    def item(self, status: str) -> ItemStatus:
        r = self.requirement
        return ItemStatus(
            r.id,
            self.framework,
            r.title,
            r.scope,
            status,
            r.due_before,
            False,
            self.citation,
            r.citation.verification,
            r.owner,
            r.in_force_from,
        )


class Evaluator:
    """Evaluates systems against one catalogue; caches applicability by the facts rules read."""

    def __init__(self, catalogue: Catalogue, expiring_soon_days: int = 30) -> None:
        self.catalogue = catalogue
        self.expiring_soon_days = expiring_soon_days
        self.symbols = sorted({name for rule in catalogue.rules.values() for name in rule.symbols})
        # Profiles are built with hashable values (lists as tuples), so C-level getters make the keys.
        self._key_of = _getter(self.symbols)
        self._rules = {
            rule.text: (rule, _getter(rule.symbols, as_tuple=True))
            for rule in catalogue.rules.values()
        }
        self._applicable: dict[tuple, list[_Constants]] = {}
        self._constants = {
            r.id: _Constants(
                r,
                r.framework,
                str(r.citation),
                STAGE_INDEX[r.due_before] if r.due_before else None,
                max(r.lead_days) if r.lead_days else expiring_soon_days,
            )
            for r in catalogue.requirements.values()
        }

    def applicable(self, system: SystemFact) -> list[Requirement]:
        """The requirements of the system's jurisdictions whose rule matches its profile."""
        return [c.requirement for c in self._applicable_constants(system)]

    def _applicable_constants(self, system: SystemFact) -> list[_Constants]:
        profile = system.profile
        key = (system.jurisdictions, self._key_of(profile))
        found = self._applicable.get(key)
        if found is None:
            wanted = set(system.jurisdictions) or set(self.catalogue.jurisdictions)
            verdicts = {}  # many requirements share a rule: judge each rule once per profile
            for text, (rule, getter) in self._rules.items():
                verdicts[text] = rule.applies_to_key(getter(profile))
            found = self._applicable[key] = [
                c
                for c in self._constants.values()
                if c.framework in wanted and verdicts[c.requirement.applies_when]
            ]
        return found

    def evaluate(
        self, system: SystemFact, snapshot: Snapshot, detail: bool = True
    ) -> SystemCompleteness:
        """The system's completeness; with ``detail=False`` only the scores, readiness and reasons
        (what a portfolio shows), without one object per requirement."""
        stage = system.profile["lifecycle_stage"]
        upcoming = next_stage(stage)
        upcoming_index = STAGE_INDEX[upcoming] if upcoming is not None else None
        mine = snapshot.evidence.get(system.id, NO_EVIDENCE)
        agency, waivers, as_of = snapshot.agency_evidence, snapshot.waivers, snapshot.as_of
        items, reasons, frameworks, overall = [], [], {}, Score()
        for constants in self._applicable_constants(system):
            requirement = constants.requirement
            judged = None
            status, note, waiver_id = "missing", "", None
            if requirement.scope == "operator" or any(
                rid in agency or (rid in mine and requirement.scope != "agency")
                for rid in requirement.accepted_ids
            ):
                judged = self._judged_item(constants, system, snapshot, mine)
                status, note = judged.status, judged.detail
            if requirement.in_force_from and as_of < requirement.in_force_from:
                # Evidence already held is still listed: the agency can see it is prepared.
                status, note = (
                    "not_in_force",
                    f"in force from {requirement.in_force_from.isoformat()}",
                )
            elif (
                status not in MET
                and (waiver := waivers.get((system.id, requirement.id))) is not None
            ):
                status, waiver_id = "waived", waiver.id
                note = f"waived until {waiver.expires_on.isoformat()}: {waiver.justification}"
            blocking = (
                upcoming_index is not None
                and constants.due_index is not None
                and constants.due_index <= upcoming_index
                and status not in NOT_BLOCKING
            )
            score = frameworks.get(constants.framework)
            if score is None:
                score = frameworks[constants.framework] = Score()
            score.add(status)
            overall.add(status)
            if blocking:
                reasons.append(
                    _reason(requirement, status, judged.operators_missing if judged else ())
                )
            if detail:
                item = judged or constants.item(status)
                item.status, item.detail, item.waiver_id, item.blocking = (
                    status,
                    note,
                    waiver_id,
                    blocking,
                )
                items.append(item)
        if upcoming is None:
            ready, reasons = None, [f"the system is {stage}: there is no next stage"]
        else:
            ready = not reasons
            reasons = reasons or [f"every requirement due before {upcoming} is met or waived"]
        return SystemCompleteness(
            system.id,
            system.name,
            stage,
            upcoming,
            as_of,
            items,
            frameworks,
            overall,
            ready,
            reasons,
            system.retired,
        )

    def _judged_item(
        self,
        constants: _Constants,
        system: SystemFact,
        snapshot: Snapshot,
        mine: dict[str, list[EvidenceFact]],
    ) -> ItemStatus:
        requirement = constants.requirement
        item = constants.item("missing")
        candidates = _candidates(requirement, mine, snapshot.agency_evidence)
        if requirement.scope == "operator":
            self._per_operator(item, constants, system, snapshot, candidates)
            return item
        item.evidence = [self._judge(e, constants, system, snapshot.as_of) for e in candidates]
        best = min(item.evidence, key=lambda ref: RANK[ref.status], default=None)
        if best is not None:
            item.status, item.valid_until = best.status, best.valid_until
        return item

    def _per_operator(
        self,
        item: ItemStatus,
        constants: _Constants,
        system: SystemFact,
        snapshot: Snapshot,
        candidates: list[EvidenceFact],
    ) -> None:
        operators = snapshot.operators.get(system.id, [])
        if not operators:
            item.status, item.detail = "satisfied", "no authorised operators on this date"
            return
        worst = "satisfied"
        for operator in operators:
            names = {operator.name.casefold(), operator.email.casefold()}
            mine = [
                self._judge(e, constants, system, snapshot.as_of)
                for e in candidates
                if e.certified_person.strip().casefold() in names
            ]
            item.evidence.extend(mine)
            status = min((ref.status for ref in mine), key=RANK.__getitem__, default="missing")
            item.operators.append(OperatorStatus(operator.id, operator.name, status))
            worst = max(worst, status, key=RANK.__getitem__)
        item.status = worst
        missing = item.operators_missing
        if missing:
            item.detail = (
                f"{len(missing)} of {len(operators)} operators not covered: {', '.join(missing)}"
            )

    def _judge(
        self, evidence: EvidenceFact, constants: _Constants, system: SystemFact, as_of: date
    ) -> EvidenceRef:
        """The state of one piece of evidence for one requirement on the date."""
        requirement = constants.requirement
        ref = EvidenceRef(
            evidence.id,
            evidence.title,
            evidence.kind,
            evidence.version,
            "satisfied",
            evidence.valid_until,
        )
        review = evidence.review
        if review is not None and review.decision == "rejected":
            ref.status, ref.note = "rejected", review.reason
            return ref
        until = evidence.valid_until
        if requirement.valid_for_months:
            lapse = add_months(evidence.reference_day, requirement.valid_for_months)
            until = min(until, lapse) if until else lapse
        ref.valid_until = until
        for fact in requirement.renew_on_change:
            changed = system.last_changed.get(fact)
            if changed is not None and changed.date() > evidence.reference_day:
                ref.status, ref.note = (
                    "expired",
                    f"stale: {fact} changed on {changed.date().isoformat()}",
                )
                return ref
        if evidence.valid_from and as_of < evidence.valid_from:
            ref.status, ref.note = "missing", f"valid only from {evidence.valid_from.isoformat()}"
        elif until and as_of > until:
            ref.status = "expired"
        elif review is None:
            ref.status = "pending_review"
        elif until and (until - as_of).days < constants.window:
            ref.status = "expiring_soon"
        return ref


def _getter(names: tuple[str, ...] | list[str], as_tuple: bool = False):
    """A fast function returning the profile's values for ``names`` (always a tuple with ``as_tuple``)."""
    if not names:
        return lambda profile: ()
    getter = itemgetter(*names)
    if as_tuple and len(names) == 1:
        return lambda profile: (getter(profile),)
    return getter


def _candidates(
    requirement: Requirement,
    mine: dict[str, list[EvidenceFact]],
    agency: dict[str, list[EvidenceFact]],
) -> list[EvidenceFact]:
    """Evidence meant for this requirement (or one whose evidence serves it), of an accepted kind."""
    found: dict[int, EvidenceFact] = {}
    kinds = requirement.evidence_kinds
    for requirement_id in requirement.accepted_ids:
        for evidence in agency.get(requirement_id, ()):
            if evidence.kind in kinds:
                found[evidence.id] = evidence
        if requirement.scope != "agency":
            for evidence in mine.get(requirement_id, ()):
                if evidence.kind in kinds:
                    found[evidence.id] = evidence
    return list(found.values())


def _reason(requirement: Requirement, status: str, operators_missing) -> str:
    text = f"{requirement.id} ({requirement.title}) is {status.replace('_', ' ')}"
    if operators_missing:
        text += f" for {', '.join(operators_missing)}"
    return text + (f", due before {requirement.due_before}" if requirement.due_before else "")
