"""Judging one piece of evidence for one requirement on a date.

Plain functions the engine calls for every candidate: which evidence could serve a requirement
(its own, or evidence a definition says serves it too), and what state a piece is in: rejected,
not yet valid, lapsed (its end date, the requirement's validity period), stale after a change the
requirement watches, waiting for review, expiring soon, or satisfied.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, datetime

from tracker.completeness.facts import EvidenceByRequirement, EvidenceFact, SystemFact, as_day
from tracker.completeness.sets import Constants
from tracker.events.kinds import SUBSTANTIAL_MODIFICATION
from tracker.i18n.text import Phrase
from tracker.requirements import Requirement


@functools.lru_cache(maxsize=16384)
def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def assess(evidence: EvidenceFact, constants: Constants, system: SystemFact, as_of: date) -> tuple:
    """(status, valid until, note) of one piece of evidence for one requirement on the date."""
    requirement = constants.requirement
    decision = evidence.decision
    until = as_day(evidence.valid_until)
    if decision == "rejected":
        return "rejected", until, evidence.decision_reason
    if requirement.valid_for_months:
        lapse = add_months(evidence.reference_day, requirement.valid_for_months)
        until = min(until, lapse) if until else lapse
    for fact in constants.watched:  # renew_on_change, and a recorded substantial modification
        changed = system.last_changed.get(fact)
        if changed is not None and (stale := staleness(evidence, fact, changed)):
            return "expired", until, stale
    start = as_day(evidence.valid_from)
    if start and as_of < start:
        return "missing", until, Phrase("valid only from %(day)s", day=start)
    if until and as_of > until:
        return "expired", until, ""
    if decision is None:
        return "pending_review", until, ""
    if until and (until - as_of).days < constants.window:
        return "expiring_soon", until, ""
    return "satisfied", until, ""


def staleness(evidence: EvidenceFact, fact: str, changed: datetime) -> str:
    """Why ``evidence`` no longer speaks for the system after ``fact`` changed at ``changed``
    (UTC), or "" when it still does.

    Evidence speaks for the state the system was in when it was made. It is stale when
    - its date (issued, else valid from, else uploaded) is a day before the change's day: an
      old document stays old however late it is uploaded or reviewed; or
    - it was uploaded at or before the moment of the change: it could not know the new
      state, whatever date it bears (a same-day change after the upload counts).
    Evidence dated on or after the change's day and uploaded after the change is for the new
    state. The review's time does not count: accepting a document does not rewrite it, so an
    old document accepted after a change is as stale as one accepted before it.
    """
    what = (
        Phrase("a substantial modification was put into service")
        if fact == SUBSTANTIAL_MODIFICATION
        else Phrase("%(fact)s changed", fact=fact)
    )
    when = Phrase(
        "stale: %(what)s on %(day)s at %(time)s UTC",
        what=what,
        day=changed.date(),
        time=changed.strftime("%H:%M"),
    )
    dated = evidence.reference_day
    if dated < changed.date():
        return Phrase("%(stale)s, after the evidence's date (%(day)s)", stale=when, day=dated)
    created = evidence.created_at
    uploaded = datetime.fromisoformat(created) if isinstance(created, str) else created
    if uploaded <= changed:
        return Phrase(
            "%(stale)s, after the evidence was uploaded (%(moment)s UTC)",
            stale=when,
            moment=uploaded.strftime("%Y-%m-%d %H:%M"),
        )
    return ""


def candidates_for(
    requirement: Requirement,
    mine: EvidenceByRequirement,
    agency: EvidenceByRequirement,
) -> list[EvidenceFact]:
    """Evidence meant for this requirement (or one whose evidence serves it), of an accepted kind."""
    kinds = requirement.evidence_kinds
    if not agency and not requirement.also_satisfied_by:  # the common case, kept short
        if requirement.scope == "agency":
            return []
        return [e for e in mine.get(requirement.id, ()) if e.kind in kinds]
    found: dict[int, EvidenceFact] = {}
    for requirement_id in requirement.accepted_ids:
        for evidence in agency.get(requirement_id, ()):
            if evidence.kind in kinds:
                found[evidence.id] = evidence
        if requirement.scope != "agency":
            for evidence in mine.get(requirement_id, ()):
                if evidence.kind in kinds:
                    found[evidence.id] = evidence
    return list(found.values())
