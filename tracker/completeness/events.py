"""Event duties: what each recorded event owes, by its own deadline, with its own evidence.

A requirement with ``deadline_after_event=(kind, hours)`` is judged per event
only. Every event of that kind recorded on or before the date, on a day the
requirement is in force, owes one duty: satisfied by accepted evidence linked
to that event and meant for the requirement, pending review while such
evidence waits for the DPO, open until the deadline and overdue after it, or
waived while the requirement is waived for the system. Evidence not linked to
an event, or linked to another one, never counts: one accepted authorisation
cannot cover every later use.

The requirement's own row summarises its duties (:func:`row_status`): overdue
if any duty is, missing while one is open, then pending review, then
satisfied; with no event it is ``not_triggered`` (nothing is owed yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.completeness.facts import (
    EVENT_DUTY_STATUSES,
    EventDuty,
    EventFact,
    EvidenceFact,
    EvidenceRef,
    Snapshot,
    SystemFact,
    WaiverFact,
    as_day,
)
from tracker.completeness.sets import ApplicableSet, Constants
from tracker.events.kinds import EventKind, title_of
from tracker.i18n import N_
from tracker.i18n.text import Phrase, joined
from tracker.vocabulary import STATUS_WORDS

# How an event's best linked evidence decides its duty, best first.
_EVIDENCE_STATUS = {"accepted": "satisfied", None: "pending_review", "rejected": "rejected"}
_BEST_FIRST = ("satisfied", "pending_review", "rejected")


def _created(evidence: EvidenceFact) -> datetime:
    created = evidence.created_at
    return datetime.fromisoformat(created) if isinstance(created, str) else created


def _late(evidence: EvidenceFact, deadline: datetime) -> bool:
    """Filed after the deadline: issued after its day if an issue date is given, else uploaded
    after it (a request made in time and uploaded later is not late)."""
    issued = as_day(evidence.issued_on)
    if issued is not None:
        return issued > deadline.date()
    return _created(evidence) > deadline


def _serves(evidence: EvidenceFact, constants: Constants) -> bool:
    requirement = constants.requirement
    return evidence.kind in requirement.evidence_kinds and any(
        rid in requirement.accepted_ids for rid in evidence.requirement_ids
    )


def moment_of(event: EventFact) -> datetime:
    """When the event happened, parsed once (the loader keeps SQLite's text as it comes)."""
    occurred = event.occurred_at
    if isinstance(occurred, str):
        occurred = event.occurred_at = datetime.fromisoformat(occurred)
    return occurred


@dataclass(slots=True)
class DutySummary:
    """What a portfolio summary needs of an event duty: its status and its deadline."""

    status: str
    deadline: datetime


def duty_for(
    event: EventFact,
    constants: Constants,
    linked: Sequence[EvidenceFact],
    moment: datetime,
    waiver: WaiverFact | None,
    detail: bool,
) -> EventDuty | DutySummary:
    """The duty ``event`` owes for one requirement, judged at ``moment`` (only its status and
    deadline without ``detail``)."""
    requirement = constants.requirement
    occurred = moment_of(event)
    deadline = occurred + timedelta(hours=requirement.deadline_after_event[1])
    refs: list[EvidenceRef] = []
    best, best_evidence = None, None
    for evidence in linked:
        if not _serves(evidence, constants):
            continue
        status = _EVIDENCE_STATUS.get(evidence.decision, "pending_review")
        if detail:
            note = evidence.decision_reason if status == "rejected" else ""
            refs.append(
                EvidenceRef(
                    evidence.id,
                    evidence.title,
                    evidence.kind,
                    evidence.version,
                    status,
                    as_day(evidence.valid_until),
                    note,
                )
            )
        if best is None or _BEST_FIRST.index(status) < _BEST_FIRST.index(best):
            best, best_evidence = status, evidence
    late, note = False, ""
    if best == "satisfied":
        status = "satisfied"
        late = _late(best_evidence, deadline)
        if late:
            note = "filed after the deadline"
    elif best == "pending_review":
        status = "pending_review"
    else:
        status = "overdue" if moment >= deadline else "open"
        if best == "rejected":
            note = "the evidence linked to it was rejected"
    waiver_id = None
    if waiver is not None and status != "satisfied":
        status, waiver_id = "waived", waiver.id
        note = waived_note(waiver)
    if not detail:  # a portfolio summary reads only the status and the deadline
        return DutySummary(status, deadline)
    return EventDuty(
        event.id,
        event.kind,
        occurred,
        event.description,
        requirement.id,
        constants.framework,
        requirement.title,
        constants.citation,
        requirement.citation.verification,
        requirement.owner,
        deadline,
        status,
        late,
        refs,
        waiver_id,
        note,
    )


def duties_of(
    system: SystemFact, applicable: ApplicableSet, snapshot: Snapshot, detail: bool
) -> dict[str, list[EventDuty]]:
    """The duties of the system's events, by requirement id (requirements with none left out).

    Only requirements of the applicable set, and only events on days they are in force.
    """
    events = snapshot.events.get(system.id)
    if not events or not applicable.event_triggered:
        return {}
    moment = snapshot.moment or datetime.combine(snapshot.as_of, datetime.max.time())
    out: dict[str, list[EventDuty]] = {}
    for event in events:
        triggered = applicable.event_triggered.get(event.kind)
        if not triggered:
            continue
        linked = snapshot.event_evidence.get(event.id, ())
        day = moment_of(event).date()
        for constants in triggered:
            in_force = constants.requirement.in_force_from
            if in_force and day < in_force:
                continue  # nothing is owed for an event before the rule applied
            requirement_id = constants.requirement.id
            waiver = snapshot.waivers.get((system.id, requirement_id))
            out.setdefault(requirement_id, []).append(
                duty_for(event, constants, linked, moment, waiver, detail)
            )
    return out


# A row's status from its duties' counts, first match wins (as row_status words it).
_ROW_ORDER = (
    ("overdue", "overdue"),
    ("open", "missing"),
    ("waived", "waived"),
    ("pending_review", "pending_review"),
)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def waived_note(waiver: WaiverFact) -> Phrase:
    """The note of a waived item: "waived until 2027-01-31: <the justification>"."""
    return Phrase(
        "waived until %(day)s: %(justification)s",
        day=waiver.expires_on,
        justification=waiver.justification,
    )


def row_status(
    constants: Constants,
    duties: Sequence[EventDuty],
    kinds: Mapping[str, EventKind],
    with_detail: bool = True,
) -> tuple[str, str]:
    """(status, detail) of an event-triggered requirement's own row, from its duties.

    The waiver of the requirement is already in the duties: the row is waived when a duty is.
    Without ``with_detail`` the detail is "" (a portfolio summary asks for it only when the
    row blocks the next stage).
    """
    if not duties:
        if not with_detail:
            return "not_triggered", ""
        label = title_of(constants.requirement.deadline_after_event[0], kinds)
        return "not_triggered", Phrase(
            "owed after each event '%(kind)s'; none is recorded", kind=label
        )
    counts = dict.fromkeys(EVENT_DUTY_STATUSES, 0)
    for duty in duties:
        counts[duty.status] += 1
    if not with_detail:
        for status, row in _ROW_ORDER:
            if counts[status]:
                return row, ""
        return "satisfied", ""
    label = title_of(constants.requirement.deadline_after_event[0], kinds)
    shown = joined(
        (
            Phrase("%(count)s %(status)s", count=n, status=Phrase(STATUS_WORDS[status]))
            for status, n in counts.items()
            if n
        ),
        ", ",
    )
    message = N_("%(count)s event '%(kind)s': %(counts)s")
    if len(duties) != 1:
        message = N_("%(count)s events '%(kind)s': %(counts)s")
    detail = Phrase(message, count=len(duties), kind=label, counts=shown)
    if counts["overdue"]:
        first = min(d.deadline for d in duties if d.status == "overdue")
        return "overdue", Phrase(
            "%(detail)s; the earliest deadline missed was %(when)s",
            detail=detail,
            when=_when(first),
        )
    if counts["open"]:
        due = min(d.deadline for d in duties if d.status == "open")
        return "missing", Phrase(
            "%(detail)s; next deadline %(when)s", detail=detail, when=_when(due)
        )
    if counts["waived"]:
        return "waived", detail
    if counts["pending_review"]:
        return "pending_review", detail
    return "satisfied", detail


def flatten(duties: Mapping[str, list[EventDuty]]) -> list[EventDuty]:
    """Every duty, newest event first, then by deadline and requirement."""
    return sorted(
        (duty for listed in duties.values() for duty in listed),
        key=lambda d: (-d.occurred_at.timestamp(), d.event_id, d.deadline, d.requirement_id),
    )


def next_change(duties: Mapping[str, list[EventDuty]], moment: datetime, end: datetime):
    """The earliest deadline after ``moment`` and by ``end`` of a duty still open: when an
    answer judged at ``moment`` stops being the answer at the end of its date."""
    return min(
        (
            duty.deadline
            for listed in duties.values()
            for duty in listed
            if duty.status == "open" and moment < duty.deadline <= end
        ),
        default=None,
    )


def count(duties: Mapping[str, list[EventDuty]]) -> dict[str, int]:
    counts = dict.fromkeys(EVENT_DUTY_STATUSES, 0)
    for listed in duties.values():
        for duty in listed:
            counts[duty.status] += 1
    return counts
