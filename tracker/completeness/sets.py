"""Applicable sets: the requirements that apply to one kind of profile, and what summaries reuse.

Many systems share the same set of applicable requirements. Each set keeps, per stage, the
baseline a summary starts from (every requirement missing, or not yet in force), and which of
its requirements a given piece of evidence can serve.

A baseline depends on the date only through which of the set's requirements are in force by
then, so it is kept per *epoch*: the span between two of the set's in-force dates. Every date of
a year's chart usually falls in one or two epochs, and so does any registration day: one
baseline serves them all, and the set's memory is bounded by its in-force dates, not by the
dates asked for.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker.completeness.facts import STATUSES, ItemStatus, Score, Snapshot
from tracker.events.kinds import SUBSTANTIAL_MODIFICATION
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
    # The blocking reason of a per-operator requirement when the system has no operators.
    no_operators_reason: str
    # What makes its evidence stale: the facts in renew_on_change and, when there are any, a
    # recorded substantial modification (set from the requirement, never passed).
    watched: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        renew = self.requirement.renew_on_change
        watched = tuple(dict.fromkeys((*renew, SUBSTANTIAL_MODIFICATION))) if renew else ()
        object.__setattr__(self, "watched", watched)

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


class Tally:
    """An applicable set's scores on a date when every requirement is missing (or not yet in
    force), whatever the system's stage. A per-operator requirement with no certificate at all
    is missing for every operator, and missing outright when no operator is recorded: nobody
    trained is not everybody trained.

    A system with nothing on file shares these :class:`Score` objects outright.
    """

    def __init__(self, constants: list[Constants], as_of: date, has_operators: bool) -> None:
        counts: dict[str, dict[str, int]] = {}
        status: dict[str, str] = {}
        # (position, requirement id, due index, reason) of each missing requirement with a due
        # stage; a reason of None stands for "missing for <the system's operators>".
        missing_due: list[tuple[int, str, int, str | None]] = []
        for position, c in enumerate(constants):
            requirement = c.requirement
            in_force = requirement.in_force_from
            if in_force and as_of < in_force:
                state = "not_in_force"
            elif requirement.deadline_after_event:
                state = "not_triggered"  # owed per event; a system with events is judged
            else:
                state = "missing"
                if c.due_index is not None:
                    if requirement.scope != "operator":
                        reason = c.missing_reason
                    else:
                        reason = None if has_operators else c.no_operators_reason
                    missing_due.append((position, requirement.id, c.due_index, reason))
            status[requirement.id] = state
            framework_counts = counts.get(c.framework)
            if framework_counts is None:
                framework_counts = counts[c.framework] = dict.fromkeys(STATUSES, 0)
            framework_counts[state] += 1
        self.counts, self.status, self.missing_due = counts, status, missing_due
        self.overall_counts = {s: sum(c[s] for c in counts.values()) for s in STATUSES}
        self.frameworks = {name: Score.of(c) for name, c in counts.items()}
        self.overall = Score.of(self.overall_counts)


class Baseline:
    """A tally and the blocking reasons it gives before a given stage."""

    def __init__(self, tally: Tally, upcoming_index: int | None) -> None:
        self.tally = tally
        self.reasons: list[tuple[int, str, str | None]] = []
        reason_ids: set[str] = set()
        # Ready-made (position, reason) pairs, unless a reason needs the system's operator names.
        fixed: list[tuple[int, str]] | None = []
        if upcoming_index is not None:
            for position, requirement_id, due_index, reason in tally.missing_due:
                if due_index <= upcoming_index:
                    self.reasons.append((position, requirement_id, reason))
                    reason_ids.add(requirement_id)
                    if reason is None:
                        fixed = None
                    elif fixed is not None:
                        fixed.append((position, reason))
        self.reason_ids = reason_ids
        self.fixed = fixed


@dataclass(frozen=True, slots=True)
class Serving:
    """Which requirements evidence meant for a requirement can serve: itself, and those that
    declare they reuse its evidence. Evidence of a system's own never serves an agency-wide
    requirement; agency-wide evidence serves any."""

    own: dict[str, tuple[str, ...]]
    agency: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, constants: Iterable[Constants]) -> Serving:
        own: dict[str, list[str]] = {}
        agency: dict[str, list[str]] = {}
        for c in constants:
            for evidence_for in c.requirement.accepted_ids:
                agency.setdefault(evidence_for, []).append(c.requirement.id)
                if c.requirement.scope != "agency":
                    own.setdefault(evidence_for, []).append(c.requirement.id)
        return cls({k: tuple(v) for k, v in own.items()}, {k: tuple(v) for k, v in agency.items()})


class SnapshotIndex:
    """Lookups every system of one snapshot shares."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.agency_ids = tuple(snapshot.agency_evidence)
        self.waived: dict[int, list[str]] = {}
        for system_id, requirement_id in snapshot.waivers:
            self.waived.setdefault(system_id, []).append(requirement_id)


class ApplicableSet:
    """The requirements that apply to one kind of profile, with what summaries need about them."""

    def __init__(self, constants: list[Constants]) -> None:
        self.constants = constants
        self.positions = {c.requirement.id: position for position, c in enumerate(constants)}
        # Requirements owed per event, by the event kind they count from.
        self.event_triggered: dict[str, list[Constants]] = {}
        for c in constants:
            if c.requirement.deadline_after_event:
                self.event_triggered.setdefault(c.requirement.deadline_after_event[0], []).append(c)
        # The distinct days its requirements come into force: a date's epoch is how many of them
        # it has reached, and which requirements are in force depends on nothing else.
        self._in_force_days = sorted(
            {c.requirement.in_force_from for c in constants if c.requirement.in_force_from}
        )
        self._baselines: dict[tuple[int, int | None, bool], Baseline] = {}
        self._tallies: dict[tuple[int, bool], Tally] = {}
        self._agency_touched: tuple[tuple[str, ...], list[str]] | None = None

    def agency_touched(self, agency_ids: tuple[str, ...], serving: Serving) -> list[str]:
        """Applicable requirements that some agency-wide evidence can serve (the same for every system)."""
        if self._agency_touched is None or self._agency_touched[0] is not agency_ids:
            touched = [
                served
                for evidence_for in agency_ids
                for served in serving.agency.get(evidence_for, ())
                if served in self.positions
            ]
            self._agency_touched = (agency_ids, touched)
        return self._agency_touched[1]

    def touched(
        self,
        evidence_for: Iterable[str],
        waived: Iterable[str],
        agency_ids: tuple[str, ...],
        serving: Serving,
    ) -> set[str]:
        """Applicable requirements a system has something for: evidence of its own (meant for
        ``evidence_for``), agency-wide evidence, or a waiver. Everything else is at its baseline."""
        positions = self.positions
        touched = set(self.agency_touched(agency_ids, serving))
        own = serving.own
        for requirement_id in evidence_for:
            for served in own.get(requirement_id, ()):
                if served in positions:
                    touched.add(served)
        touched.update(requirement_id for requirement_id in waived if requirement_id in positions)
        return touched

    def epoch(self, as_of: date) -> int:
        """How many of the set's in-force days ``as_of`` has reached: dates with the same epoch
        have the same requirements in force, hence the same baselines."""
        return bisect_right(self._in_force_days, as_of)

    def baseline(self, as_of: date, upcoming_index: int | None, has_operators: bool) -> Baseline:
        """The baseline of ``as_of``'s epoch before the upcoming stage; built once per epoch (a
        tally built on one date of an epoch is the tally of every date in it)."""
        epoch = self.epoch(as_of)
        key = (epoch, upcoming_index, has_operators)
        found = self._baselines.get(key)
        if found is None:
            tally = self._tallies.get((epoch, has_operators))
            if tally is None:
                tally = self._tallies[(epoch, has_operators)] = Tally(
                    self.constants, as_of, has_operators
                )
            found = self._baselines[key] = Baseline(tally, upcoming_index)
        return found
