"""Reading the facts completeness needs, as they stood at the end of a date.

Seven queries whatever the number of systems: systems, their profile changes
(from the audit trail), recorded events, operators, evidence with the systems
it covers (and the event it answers), reviews and waivers (for some systems,
their evidence and the agency-wide items in one statement). Read for some systems,
every query is led by an index on those systems (or on the evidence they
lead to), so one system costs what one system holds, not what the agency
holds (tests/completeness/test_query_plans.py reads the plans). Replaying a past
date uses only what was true then: evidence not yet uploaded or already
superseded, decisions not yet taken, operators not yet added or already
removed, events not yet recorded, and profile changes made later are all left
out or undone.

The reads of each kind of fact live beside their builders: systems and their profiles in
:mod:`~tracker.completeness.system_reads`, events in :mod:`~tracker.completeness.event_reads`,
evidence and its reviews in :mod:`~tracker.completeness.evidence_reads`; operators and waivers,
one small query each, here. :func:`load_snapshot` runs them for a date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time

import peewee as pw

from tracker.completeness import prepared
from tracker.completeness.driver import Listing
from tracker.completeness.event_reads import event_facts, read_events
from tracker.completeness.evidence_reads import (
    apply_reviews,
    evidence_facts,
    read_current_evidence,
    reviews_query,
)
from tracker.completeness.facts import OperatorFact, Snapshot, WaiverFact, as_day
from tracker.completeness.system_reads import (
    profile_changes,
    read_systems,
    replay_profiles,
    system_columns,
    system_facts,
)
from tracker.db import utcnow
from tracker.models import Operator, Waiver
from tracker.plugin_host import Catalogue


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max)


def load_snapshot(
    as_of: date,
    catalogue: Catalogue,
    system_ids: Iterable[int] | None = None,
    include_retired: bool = False,
) -> Snapshot:
    """The facts of the given systems (default: all) at the end of ``as_of``."""
    end = end_of(as_of)
    columns = system_columns(catalogue)
    rows = read_systems(end, system_ids, include_retired, columns)
    ids = [row["id"] for row in rows]
    restrict = system_ids is not None
    defaults = catalogue.question_defaults()
    last_changed = replay_profiles(rows, profile_changes(ids if restrict else None), end, defaults)
    events, modified = event_facts(read_events(end, ids, restrict, catalogue))
    systems = system_facts(rows, columns, last_changed, modified, defaults, end)

    operators = operator_facts(
        prepared.read(("operators",), _operators, end, ids if restrict else None)
    )
    evidence, by_system, agency, by_event = evidence_facts(
        read_current_evidence(end, ids if restrict else None)
    )
    reviewed = list(evidence) if restrict else None
    apply_reviews(evidence, prepared.read(("reviews",), reviews_query, end, reviewed))

    return Snapshot(
        as_of,
        systems,
        by_system,
        agency,
        operators,
        waiver_facts(prepared.read(("waivers",), _waivers, end, ids if restrict else None, as_of)),
        events=events,
        event_evidence=by_event,
        moment=moment_of(as_of),
    )


def _waivers(end: datetime, as_of: date, ids: list[int] | None, listing: Listing) -> pw.Query:
    """The waivers in force at ``end`` (of ``as_of``), as :data:`WAIVER_COLUMNS`."""
    query = Waiver.select(*WAIVER_COLUMNS).where(
        Waiver.state.in_(WAIVER_STATES)
        & (Waiver.decided_at <= end)
        & (Waiver.expires_on > as_of)
        & (Waiver.revoked_at.is_null() | (Waiver.revoked_at > end))
    )
    return query if ids is None else query.where(listing(Waiver.system, ids))


def _operators(end: datetime, ids: list[int] | None, listing: Listing) -> pw.Query:
    query = (
        Operator.select(*OPERATOR_COLUMNS)
        .where(
            (Operator.added_at <= end)
            & (Operator.removed_at.is_null() | (Operator.removed_at > end))
        )
        .order_by(Operator.id)
    )
    return query if ids is None else query.where(listing(Operator.system, ids))


# The builders below turn rows into facts; :func:`load_snapshot` and the replay of many dates
# from one load (:mod:`tracker.completeness.history`) both use them, so both read rows alike.

OPERATOR_COLUMNS = (Operator.system, Operator.id, Operator.name, Operator.email, Operator.unit)
WAIVER_COLUMNS = (
    Waiver.system,
    Waiver.requirement_id,
    Waiver.id,
    Waiver.expires_on,
    Waiver.justification,
)
# A revoked waiver counted until it was revoked.
WAIVER_STATES = ("approved", "revoked")


def operator_facts(rows: Iterable[tuple]) -> dict[int, list[OperatorFact]]:
    """Operators per system, from rows of :data:`OPERATOR_COLUMNS`."""
    operators: dict[int, list[OperatorFact]] = defaultdict(list)
    for system_id, *fields in rows:
        operators[system_id].append(OperatorFact(*fields))
    return dict(operators)


def waiver_facts(rows: Iterable[tuple]) -> dict[tuple[int, str], WaiverFact]:
    """(system id, requirement id) -> waiver, from rows of :data:`WAIVER_COLUMNS` (straight
    from the driver too: SQLite hands the end date back as ISO text)."""
    return {
        (system_id, requirement_id): WaiverFact(waiver_id, as_day(expires_on), justification)
        for system_id, requirement_id, waiver_id, expires_on, justification in rows
    }


def moment_of(as_of: date) -> datetime:
    """The moment event deadlines are judged at: the end of the date; for today, this moment,
    so that a deadline later today is not yet overdue."""
    end = end_of(as_of)
    return min(end, utcnow()) if as_of == date.today() else end
