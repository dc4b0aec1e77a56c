"""The evaluator's summary path: scores, blocking reasons and blocking statuses without one object
per requirement (what a portfolio shows, ``Evaluator.evaluate(detail=False)``).

A portfolio means tens of thousands of requirement statuses: each requirement with no evidence,
waiver or operators is simply missing (or not yet in force), so a baseline per applicable set
(:mod:`tracker.completeness.sets`) stands for them, and only the few requirements a system has
something for are judged, without building objects.
"""

from __future__ import annotations

from tracker.completeness import events as event_duties
from tracker.completeness.assess import assess, candidates_for
from tracker.completeness.facts import (
    MET,
    NOT_BLOCKING,
    RANK,
    EventDuty,
    EvidenceByRequirement,
    Score,
    Snapshot,
    SystemFact,
)
from tracker.completeness.judging import NO_OPERATORS, blocking_reason
from tracker.completeness.sets import ApplicableSet, Constants, SnapshotIndex

MISSING_RANK = RANK["missing"]
# Statuses a waiver leaves as they are: met, or owed nothing yet (no event of the kind recorded).
NOTHING_TO_WAIVE = MET | {"not_triggered"}
NO_DUTIES: dict[str, list[EventDuty]] = {}


class Summarising:
    """The evaluator's summary path, as a base class of
    :class:`~tracker.completeness.engine.Evaluator`: it reads the evaluator's catalogue (its
    event kinds) and what serves each requirement (``_serving``)."""

    def _summary(
        self,
        applicable: ApplicableSet,
        system: SystemFact,
        snapshot: Snapshot,
        mine: EvidenceByRequirement,
        upcoming_index: int | None,
        duties: dict[str, list[EventDuty]] = NO_DUTIES,
    ) -> tuple[dict[str, Score], Score, list[str], dict[str, str]]:
        """Scores, blocking reasons and blocking statuses, judging only what the system has
        something for.

        Every requirement without evidence, waiver or operators is simply missing (or not yet in
        force); that baseline is computed once per applicable set and stage, then corrected for
        the few requirements this system actually has something for. Frameworks left at their
        baseline share its scores.
        """
        operators = snapshot.operators.get(system.id, ())
        baseline = applicable.baseline(snapshot.as_of, upcoming_index, bool(operators))
        index = self._index(snapshot)
        touched = applicable.touched(
            mine, index.waived.get(system.id, ()), index.agency_ids, self._serving
        )
        touched.update(duties)  # requirements owed by the system's events
        tally = baseline.tally
        changed: dict[str, dict[str, int]] = {}
        overall_counts = None
        judged_reasons = touched.intersection(baseline.reason_ids)
        if baseline.fixed is not None and not judged_reasons:
            kept = baseline.fixed
        else:
            names = [operator.name for operator in operators]
            kept = [
                (
                    position,
                    reason
                    if reason is not None
                    else blocking_reason(
                        applicable.constants[position].requirement, "missing", names
                    ),
                )
                for position, requirement_id, reason in baseline.reasons
                if requirement_id not in judged_reasons
            ]
        found_reasons = []
        found_statuses: dict[str, str] = {}
        for requirement_id in touched:
            position = applicable.positions[requirement_id]
            constants = applicable.constants[position]
            status, blocking, missing, why = self._quick(
                constants, system, snapshot, mine, upcoming_index, duties
            )
            was = tally.status[requirement_id]
            if status != was:
                framework_counts = changed.get(constants.framework)
                if framework_counts is None:
                    framework_counts = changed[constants.framework] = dict(
                        tally.counts[constants.framework]
                    )
                if overall_counts is None:
                    overall_counts = dict(tally.overall_counts)
                framework_counts[was] -= 1
                framework_counts[status] += 1
                overall_counts[was] -= 1
                overall_counts[status] += 1
            if blocking:
                found_reasons.append(
                    (position, self._blocking_reason(constants, status, missing, why))
                )
                found_statuses[requirement_id] = status
        if found_reasons:
            found_reasons.extend(kept)
            found_reasons.sort()
        else:
            found_reasons = kept
        reasons = [reason for _, reason in found_reasons]
        # In the reasons' order; the baseline's are requirements with nothing on file: missing.
        blocking_statuses = {}
        for position, _ in found_reasons:
            requirement_id = applicable.constants[position].requirement.id
            blocking_statuses[requirement_id] = found_statuses.get(requirement_id, "missing")
        if overall_counts is None:
            return tally.frameworks, tally.overall, reasons, blocking_statuses
        frameworks = dict(tally.frameworks)
        frameworks.update((name, Score.of(c)) for name, c in changed.items())
        return frameworks, Score.of(overall_counts), reasons, blocking_statuses

    def _index(self, snapshot: Snapshot) -> SnapshotIndex:
        # Kept on the snapshot: the lookups belong to the data, not to the evaluator.
        if snapshot.index is None:
            snapshot.index = SnapshotIndex(snapshot)
        return snapshot.index

    def _quick(
        self,
        constants: Constants,
        system: SystemFact,
        snapshot: Snapshot,
        mine: EvidenceByRequirement,
        upcoming_index: int | None,
        duties: dict[str, list[EventDuty]] = NO_DUTIES,
    ) -> tuple[str, bool, list[str], str]:
        """(status, blocking, operators missing, why): what :meth:`_decide` says, without
        building objects."""
        requirement, as_of = constants.requirement, snapshot.as_of
        candidates = candidates_for(requirement, mine, snapshot.agency_evidence)
        missing: list[str] = []
        why = ""
        if requirement.deadline_after_event:
            # The detail words a blocking reason only: asked for below when the row blocks.
            status, why = event_duties.row_status(
                constants, duties.get(requirement.id, ()), self.catalogue.event_kinds, False
            )
        elif requirement.scope == "operator":
            operators = snapshot.operators.get(system.id, ())
            status = "missing"
            if not operators:
                why = NO_OPERATORS
            elif not candidates:
                missing = [operator.name for operator in operators]
            else:
                worst = "satisfied"
                for operator in operators:
                    names = {operator.name.casefold(), operator.email.casefold()}
                    own = [
                        assess(e, constants, system, as_of)[0]
                        for e in candidates
                        if e.certified_person.strip().casefold() in names
                    ]
                    mine_status = min(own, key=RANK.__getitem__, default="missing")
                    if mine_status not in MET:
                        missing.append(operator.name)
                    worst = max(worst, mine_status, key=RANK.__getitem__)
                status = worst
        else:
            status, best = "missing", MISSING_RANK
            for evidence in candidates:
                judged = assess(evidence, constants, system, as_of)[0]
                if RANK[judged] < best:
                    status, best = judged, RANK[judged]
        if requirement.in_force_from and as_of < requirement.in_force_from:
            status = "not_in_force"
        elif status not in NOTHING_TO_WAIVE and (system.id, requirement.id) in snapshot.waivers:
            status = "waived"
        blocking = (
            upcoming_index is not None
            and constants.due_index is not None
            and constants.due_index <= upcoming_index
            and status not in NOT_BLOCKING
        )
        if blocking and requirement.deadline_after_event:
            why = event_duties.row_status(
                constants, duties.get(requirement.id, ()), self.catalogue.event_kinds
            )[1]
        if status in MET:
            return status, blocking, [], ""
        return (
            status,
            blocking,
            missing,
            why if status == "missing" or requirement.deadline_after_event else "",
        )
