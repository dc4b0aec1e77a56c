"""Applicable sets: the requirements that apply to one kind of profile, and what summaries reuse.

Many systems share the same set of applicable requirements. Each set keeps, per date and stage,
the baseline a summary starts from (every requirement missing, or not yet in force), and which
of its requirements a given piece of evidence can serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.completeness.facts import STATUSES, ItemStatus, Snapshot
from tracker.requirements import Requirement


@dataclass(frozen=True, slots=True)
class Constants:
    """What never changes about a requirement during an evaluation."""

    requirement: Requirement
    framework: str
    citation: str
    due_index: int | None
    window: int
    missing_reason: str  # the blocking reason when nothing was ever uploaded

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


class Baseline:
    """Scores and blocking reasons of an applicable set when every requirement is missing."""

    def __init__(
        self, counts: dict, status: dict[str, str], reasons: list[tuple[int, str, str]]
    ) -> None:
        self.counts = counts
        self.status = status
        self.reasons = reasons

    @staticmethod
    def scores(
        constants: list[Constants], as_of: date, has_operators: bool
    ) -> tuple[dict, dict[str, str]]:
        """Counts and statuses: the same whatever the system's stage. A per-operator requirement
        with no certificate at all is missing for every operator, or met when there are none."""
        counts: dict[str, dict[str, int]] = {}
        status: dict[str, str] = {}
        for c in constants:
            in_force = c.requirement.in_force_from
            if in_force and as_of < in_force:
                state = "not_in_force"
            elif c.requirement.scope == "operator" and not has_operators:
                state = "satisfied"
            else:
                state = "missing"
            status[c.requirement.id] = state
            framework_counts = counts.get(c.framework)
            if framework_counts is None:
                framework_counts = counts[c.framework] = dict.fromkeys(STATUSES, 0)
            framework_counts[state] += 1
        return counts, status


class SnapshotIndex:
    """Lookups every system of one snapshot shares."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.agency_ids = tuple(snapshot.agency_evidence)
        self.waived: dict[int, list[str]] = {}
        for system_id, requirement_id in snapshot.waivers:
            self.waived.setdefault(system_id, []).append(requirement_id)


class ApplicableSet:
    """The requirements that apply to one kind of profile, with what summaries need about them."""

    def __init__(self, constants: list[Constants]) -> None:
        self.constants = constants
        self.positions = {c.requirement.id: position for position, c in enumerate(constants)}
        self._baselines: dict[tuple, Baseline] = {}
        self._scores: dict[tuple[date, bool], tuple[dict, dict[str, str]]] = {}
        self._accepting: dict[tuple[str, bool], tuple[str, ...]] = {}
        self._agency_touched: tuple[tuple[str, ...], list[str]] | None = None

    def agency_touched(
        self, agency_ids: tuple[str, ...], accepted_by: dict[str, list[Constants]]
    ) -> list[str]:
        """Applicable requirements that some agency-wide evidence can serve (the same for every system)."""
        if self._agency_touched is None or self._agency_touched[0] is not agency_ids:
            touched = [
                rid
                for evidence_for in agency_ids
                for rid in self.accepting(evidence_for, accepted_by, exclude_agency=False)
            ]
            self._agency_touched = (agency_ids, touched)
        return self._agency_touched[1]

    def baseline(self, as_of: date, upcoming_index: int | None, has_operators: bool) -> Baseline:
        key = (as_of, upcoming_index, has_operators)
        found = self._baselines.get(key)
        if found is None:
            scores = self._scores.get((as_of, has_operators))
            if scores is None:
                scores = self._scores[(as_of, has_operators)] = Baseline.scores(
                    self.constants, as_of, has_operators
                )
            counts, status = scores
            reasons = []
            if upcoming_index is not None:
                # A reason of None stands for "missing for <the system's operators>", filled in later.
                reasons = [
                    (
                        position,
                        c.requirement.id,
                        None if c.requirement.scope == "operator" else c.missing_reason,
                    )
                    for position, c in enumerate(self.constants)
                    if status[c.requirement.id] == "missing"
                    and c.due_index is not None
                    and c.due_index <= upcoming_index
                ]
            found = self._baselines[key] = Baseline(counts, status, reasons)
        return found

    def accepting(
        self, evidence_for: str, accepted_by: dict[str, list[Constants]], exclude_agency: bool
    ) -> tuple[str, ...]:
        """Applicable requirements that evidence meant for ``evidence_for`` can serve."""
        key = (evidence_for, exclude_agency)
        found = self._accepting.get(key)
        if found is None:
            found = self._accepting[key] = tuple(
                c.requirement.id
                for c in accepted_by.get(evidence_for, ())
                if c.requirement.id in self.positions
                and not (exclude_agency and c.requirement.scope == "agency")
            )
        return found
