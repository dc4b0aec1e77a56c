"""The plain data the engine works on (facts as of a date) and the answers it gives."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Best first: when several pieces of evidence could serve, the best status wins.
STATUSES = {
    "satisfied": "Accepted evidence, valid on the date",
    "expiring_soon": "Accepted evidence that expires within the lead time",
    "pending_review": "Evidence uploaded, not yet reviewed by the DPO",
    "expired": "Accepted evidence that has lapsed, or is stale after a profile change",
    "rejected": "The DPO rejected the evidence",
    "missing": "No evidence",
    "overdue": "A deadline counted from an event (e.g. a use) passed without accepted evidence "
    "linked to that event",
    "waived": "Waived by an approved, unexpired waiver (never counts as satisfied)",
    "not_in_force": "The rule is not yet in force on the date",
    "not_triggered": "Owed after each event of its kind (e.g. each use); none is recorded by the "
    "date, so nothing is owed yet (not counted as applicable)",
}
RANK = {
    status: rank
    for rank, status in enumerate(
        (
            "satisfied",
            "expiring_soon",
            "pending_review",
            "expired",
            "rejected",
            "missing",
            "overdue",
        )
    )
}
MET = frozenset({"satisfied", "expiring_soon"})
NOT_BLOCKING = MET | {"waived", "not_in_force", "not_triggered"}
# Statuses that owe nothing on the date, so neither count as applicable nor as met.
NOT_OWED = ("not_in_force", "not_triggered")
# What one event owes for one requirement triggered by its kind (see completeness.events).
EVENT_DUTY_STATUSES = {
    "satisfied": "Accepted evidence linked to the event",
    "pending_review": "Evidence linked to the event awaits the DPO's review",
    "open": "No accepted evidence linked to the event yet; its deadline has not passed",
    "overdue": "The deadline passed without accepted evidence linked to the event",
    "waived": "The requirement is waived for the system",
}


@functools.lru_cache(maxsize=16384)
def _parsed_day(text: str) -> date:
    return date.fromisoformat(text)


def as_day(value: date | str | None) -> date | None:
    """A date from a date or ISO text; SQLite rows keep dates as text until someone needs them."""
    return _parsed_day(value) if isinstance(value, str) else value


@dataclass(slots=True)
class EvidenceFact:
    id: int
    lineage: int
    version: int
    kind: str
    title: str
    requirement_ids: tuple[str, ...]
    agency_wide: bool
    issued_on: date | str | None  # str: ISO text from SQLite, see as_day
    valid_from: date | str | None
    valid_until: date | str | None
    certified_person: str
    created_at: datetime | str  # text straight from SQLite until someone needs it
    # The newest DPO decision as of the date (None: not reviewed yet) and its reason.
    decision: str | None = None
    decision_reason: str = ""
    event_id: int | None = None  # the recorded event it answers, if any

    @property
    def reference_day(self) -> date:
        """The day the evidence speaks for: when issued, else when valid from, else when uploaded."""
        if self.issued_on or self.valid_from:
            return as_day(self.issued_on or self.valid_from)
        created = self.created_at
        return (datetime.fromisoformat(created) if isinstance(created, str) else created).date()


# Requirement id -> the evidence meant for it.
EvidenceByRequirement = dict[str, Sequence[EvidenceFact]]


@dataclass(slots=True)
class OperatorFact:
    id: int
    name: str
    email: str
    unit: str


@dataclass(slots=True)
class WaiverFact:
    id: int
    expires_on: date
    justification: str


@dataclass(slots=True)
class EventFact:
    """One recorded event: its deadlines count from ``occurred_at``."""

    id: int
    system_id: int
    kind: str
    occurred_at: datetime | str  # ISO text from SQLite until a duty needs it (events.moment_of)
    description: str


@dataclass(slots=True)
class SystemFact:
    id: int
    name: str
    profile: dict[str, Any]  # as of the date, with plugin answers merged in by question id
    jurisdictions: tuple[str, ...]
    last_changed: dict[str, datetime]  # profile fact -> when it last changed, up to the date
    retired: bool = False


@dataclass
class Snapshot:
    """Everything completeness needs, as it stood at the end of ``as_of``."""

    as_of: date
    systems: list[SystemFact]
    evidence: dict[int, EvidenceByRequirement]  # system id -> requirement id -> evidence
    agency_evidence: EvidenceByRequirement  # requirement id -> agency-wide evidence
    operators: dict[int, list[OperatorFact]]
    waivers: dict[tuple[int, str], WaiverFact]
    index: Any = field(default=None, repr=False, compare=False)  # the engine's lookups, built once
    # Events recorded by the date, per system, oldest first; evidence linked to each event.
    events: dict[int, list[EventFact]] = field(default_factory=dict)
    event_evidence: dict[int, list[EvidenceFact]] = field(default_factory=dict)
    # The moment event deadlines are judged at: the end of the date, or now for today.
    moment: datetime | None = None


@dataclass(slots=True)
class EvidenceRef:
    id: int
    title: str
    kind: str
    version: int
    status: str
    valid_until: date | None
    note: str = ""


@dataclass(slots=True)
class OperatorStatus:
    id: int
    name: str
    status: str


@dataclass(slots=True)
class ItemStatus:
    requirement_id: str
    framework: str
    title: str
    scope: str
    status: str
    due_before: str | None
    blocking: bool
    citation: str
    verification: str
    owner: str
    in_force_from: date | None
    valid_until: date | None = None
    evidence: list[EvidenceRef] = field(default_factory=list)
    operators: list[OperatorStatus] = field(default_factory=list)
    waiver_id: int | None = None
    detail: str = ""
    # Why it applies: the jurisdiction's reason, then the facts and answers that made its rule
    # true (see tracker.completeness.why). Filled in by detailed evaluations only.
    why: str = ""

    @property
    def operators_missing(self) -> list[str]:
        return [o.name for o in self.operators if o.status not in MET]


@dataclass(slots=True)
class EventDuty:
    """What one recorded event owes for one requirement counted from its kind, by its deadline."""

    event_id: int
    kind: str
    occurred_at: datetime
    description: str
    requirement_id: str
    framework: str
    title: str
    citation: str
    verification: str
    owner: str
    deadline: datetime
    status: str  # a key of EVENT_DUTY_STATUSES
    late: bool = False  # satisfied by evidence filed after the deadline
    evidence: list[EvidenceRef] = field(default_factory=list)
    waiver_id: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    """Scores are shared between results with the same counts: never change one."""

    applicable: int = 0
    met: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @classmethod
    def of(cls, counts: dict[str, int]) -> Score:
        """A score from status counts."""
        applicable = sum(counts.values()) - sum(counts[status] for status in NOT_OWED)
        return cls(applicable, counts["satisfied"] + counts["expiring_soon"], counts)

    @property
    def percent(self) -> float | None:
        """Met as a share of what is in force; None when nothing is: 0 of 0 is not 100 %."""
        return round(100 * self.met / self.applicable, 1) if self.applicable else None


@dataclass(slots=True)
class SystemCompleteness:
    system_id: int
    name: str
    lifecycle_stage: str
    next_stage: str | None
    as_of: date
    items: list[ItemStatus]
    frameworks: dict[str, Score]
    overall: Score
    ready: bool | None  # None when there is no next stage
    reasons: list[str]
    retired: bool = False
    # Why no requirement at all applies (empty when some do); such a system is never "ready".
    nothing_applies: str = ""
    # Each recorded event's duties (detailed answers only), newest event first, and how many
    # duties are in each status (summaries too).
    events: list[EventDuty] = field(default_factory=list)
    event_counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(EVENT_DUTY_STATUSES, 0)
    )
    # Requirement id -> status of each requirement blocking the next stage, in the reasons'
    # order (summaries too: what a portfolio needs without one object per requirement).
    blocking_statuses: dict[str, str] = field(default_factory=dict)
    # Judged at a moment within the date (today): the earliest deadline of an open event duty
    # later that day, when this answer changes by itself; None when nothing changes by its end.
    changes_at: datetime | None = None
