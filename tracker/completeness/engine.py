"""Deciding each requirement's status for a system on a date.

Plain functions over a :class:`~tracker.completeness.facts.Snapshot`: which
requirements apply (jurisdictions, in-force dates and the applicability
rule), which evidence could serve each one, what state that evidence is in
(review, validity window, staleness after a profile change), and what blocks
the system's next life-cycle stage.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

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


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Evaluator:
    """Evaluates systems against one catalogue; caches applicability by the facts rules read."""

    def __init__(self, catalogue: Catalogue, expiring_soon_days: int = 30) -> None:
        self.catalogue = catalogue
        self.expiring_soon_days = expiring_soon_days
        self.symbols = sorted({name for rule in catalogue.rules.values() for name in rule.symbols})
        self._applicable: dict[tuple, list[Requirement]] = {}

    def applicable(self, system: SystemFact) -> list[Requirement]:
        """The requirements of the system's jurisdictions whose rule matches its profile."""
        key = (system.jurisdictions, *(_frozen(system.profile.get(name)) for name in self.symbols))
        found = self._applicable.get(key)
        if found is None:
            wanted = set(system.jurisdictions) or set(self.catalogue.jurisdictions)
            rules = self.catalogue.rules
            found = self._applicable[key] = [
                r
                for r in self.catalogue.requirements.values()
                if r.framework in wanted and rules[r.id].applies(system.profile)
            ]
        return found

    def evaluate(self, system: SystemFact, snapshot: Snapshot) -> SystemCompleteness:
        stage = system.profile["lifecycle_stage"]
        upcoming = next_stage(stage)
        items = [
            self._item(requirement, system, snapshot, upcoming)
            for requirement in self.applicable(system)
        ]
        frameworks: dict[str, Score] = {}
        overall = Score()
        for item in items:
            frameworks.setdefault(item.framework, Score()).add(item.status)
            overall.add(item.status)
        blocking = [item for item in items if item.blocking]
        if upcoming is None:
            ready, reasons = None, [f"the system is {stage}: there is no next stage"]
        else:
            ready = not blocking
            reasons = [_reason(item) for item in blocking] or [
                f"every requirement due before {upcoming} is met or waived"
            ]
        return SystemCompleteness(
            system.id,
            system.name,
            stage,
            upcoming,
            snapshot.as_of,
            items,
            frameworks,
            overall,
            ready,
            reasons,
            system.retired,
        )

    def _item(
        self, requirement: Requirement, system: SystemFact, snapshot: Snapshot, upcoming: str | None
    ) -> ItemStatus:
        item = ItemStatus(
            requirement.id,
            requirement.framework,
            requirement.title,
            requirement.scope,
            "missing",
            requirement.due_before,
            False,
            str(requirement.citation),
            requirement.citation.verification,
            requirement.owner,
            requirement.in_force_from,
        )
        as_of = snapshot.as_of
        candidates = _candidates(requirement, system, snapshot)
        window = max(requirement.lead_days) if requirement.lead_days else self.expiring_soon_days
        if requirement.scope == "operator":
            self._per_operator(item, requirement, system, snapshot, candidates, window)
        else:
            item.evidence = [self._judge(e, requirement, system, as_of, window) for e in candidates]
            best = min(item.evidence, key=lambda ref: RANK[ref.status], default=None)
            if best is not None:
                item.status, item.valid_until = best.status, best.valid_until
        if requirement.in_force_from and as_of < requirement.in_force_from:
            # Evidence already held is still listed: the agency can see it is prepared.
            item.status = "not_in_force"
            item.detail = f"in force from {requirement.in_force_from.isoformat()}"
            return item
        waiver = snapshot.waivers.get((system.id, requirement.id))
        if waiver is not None and item.status not in MET:
            item.status, item.waiver_id = "waived", waiver.id
            item.detail = f"waived until {waiver.expires_on.isoformat()}: {waiver.justification}"
        due = requirement.due_before
        item.blocking = (
            upcoming is not None
            and due is not None
            and item.status not in NOT_BLOCKING
            and STAGE_INDEX[due] <= STAGE_INDEX[upcoming]
        )
        return item

    def _per_operator(
        self,
        item: ItemStatus,
        requirement: Requirement,
        system: SystemFact,
        snapshot: Snapshot,
        candidates: list[EvidenceFact],
        window: int,
    ) -> None:
        operators = snapshot.operators.get(system.id, [])
        if not operators:
            item.status, item.detail = "satisfied", "no authorised operators on this date"
            return
        worst = "satisfied"
        for operator in operators:
            names = {operator.name.casefold(), operator.email.casefold()}
            mine = [
                self._judge(e, requirement, system, snapshot.as_of, window)
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
        self,
        evidence: EvidenceFact,
        requirement: Requirement,
        system: SystemFact,
        as_of: date,
        window: int,
    ) -> EvidenceRef:
        """The state of one piece of evidence for one requirement on the date."""
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
        elif until and (until - as_of).days < window:
            ref.status = "expiring_soon"
        return ref


def _candidates(
    requirement: Requirement, system: SystemFact, snapshot: Snapshot
) -> list[EvidenceFact]:
    """Evidence meant for this requirement (or one whose evidence serves it), of an accepted kind."""
    found: dict[int, EvidenceFact] = {}
    for requirement_id in requirement.accepted_ids:
        pools: Iterable[list[EvidenceFact]] = (snapshot.agency_evidence.get(requirement_id, ()),)
        if requirement.scope != "agency":
            pools = (*pools, snapshot.evidence.get((system.id, requirement_id), ()))
        for pool in pools:
            for evidence in pool:
                if evidence.kind in requirement.evidence_kinds:
                    found[evidence.id] = evidence
    return list(found.values())


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def _reason(item: ItemStatus) -> str:
    text = f"{item.requirement_id} ({item.title}) is {item.status.replace('_', ' ')}"
    if item.operators_missing:
        text += f" for {', '.join(item.operators_missing)}"
    return text + (f", due before {item.due_before}" if item.due_before else "")
