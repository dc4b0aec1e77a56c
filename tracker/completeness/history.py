"""One system's completeness on many dates from one load: the completeness-over-time chart.

:func:`tracker.completeness.for_system` reads the facts as they stood on one date, in eight
queries; a chart of thirteen dates would run a hundred and four. Here the system's facts are
read once, up to the last date, with the moments that bound each row's life (uploaded,
superseded, decided, added, removed, revoked, recorded), and each date's snapshot is cut from
them in Python with the rules :func:`~tracker.completeness.loader.load_snapshot` applies in
SQL. The rows become facts through the loader's own builders (the ``*_reads`` modules), so a
replayed date gives exactly what ``for_system`` gives (``tests/completeness/test_history.py``
checks it on varied data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import peewee as pw

from tracker.completeness import prepared
from tracker.completeness.assess import add_months
from tracker.completeness.driver import as_moment, raw_rows
from tracker.completeness.engine import Evaluator
from tracker.completeness.event_reads import EVENT_COLUMNS, event_facts, event_kinds_counted
from tracker.completeness.evidence_reads import (
    EVIDENCE_COLUMNS,
    REVIEW_COLUMNS,
    apply_reviews,
    evidence_facts,
    prepared_evidence_rows,
)
from tracker.completeness.facts import OperatorFact, Snapshot, SystemCompleteness, as_day
from tracker.completeness.loader import (
    OPERATOR_COLUMNS,
    WAIVER_COLUMNS,
    WAIVER_STATES,
    end_of,
    moment_of,
    operator_facts,
    waiver_facts,
)
from tracker.completeness.system_reads import (
    profile_changes,
    replay_profiles,
    system_columns,
    system_facts,
    system_rows,
)
from tracker.models import (
    AISystem,
    Evidence,
    EvidenceReview,
    Operator,
    SystemEvent,
    Waiver,
)
from tracker.plugin_host import Catalogue

CHART_MONTHS = 12


def _by(moment: datetime | None, end: datetime) -> bool:
    """SQL's ``moment <= end``: an empty moment never is."""
    return moment is not None and moment <= end


def _after(moment: datetime | None, end: datetime) -> bool:
    """``moment IS NULL OR moment > end``: not yet ended at ``end``."""
    return moment is None or moment > end


@dataclass
class Timeline:
    """One system's rows up to the last date asked for, each with the moments that bound it.

    Each list holds (row as the loader reads it, moments...) pairs: the row is handed to the
    loader's builders unchanged once the date's rules keep it.
    """

    system_id: int
    columns: tuple[str, ...]
    system: dict | None  # None: not registered by the last date
    created_at: datetime | None
    changes: list[tuple]
    events: list[tuple[tuple, datetime, datetime]]  # (row, occurred_at, recorded_at)
    operators: list[tuple[tuple, datetime, datetime | None]]  # (row, added_at, removed_at)
    evidence: list[tuple[tuple, datetime, datetime | None]]  # (row, created_at, superseded_at)
    reviews: list[tuple[tuple, datetime]]  # (row, decided_at)
    waivers: list[tuple[tuple, datetime, date, datetime | None]]  # (row, decided, expires, revoked)


def load_timeline(
    system_id: int,
    first: date,
    last: date,
    catalogue: Catalogue,
    system: AISystem | None = None,
) -> Timeline:
    """Everything :func:`snapshot_on` needs for any date from ``first`` to ``last``: eight
    queries whatever the number of dates and systems, seven when the caller has read the
    ``system`` already (a page that shows its profile)."""
    end = end_of(last)
    columns = system_columns(catalogue)
    if system is not None:
        # The model's values are what the driver's would become once parsed (JSON, booleans).
        created = system.created_at
        found = [(*(getattr(system, name) for name in columns), created)] if created <= end else []
    else:
        found = list(
            raw_rows(
                AISystem.select(
                    *(getattr(AISystem, name) for name in columns), AISystem.created_at
                ).where((AISystem.id == system_id) & (AISystem.created_at <= end))
            )
        )
    system = system_rows([row[:-1] for row in found], columns)[0] if found else None
    created_at = as_moment(found[0][-1]) if found else None
    changes = profile_changes([system_id])
    kinds = tuple(event_kinds_counted(catalogue))
    events = prepared.rows(
        ("timeline events", kinds), lambda *values: _events_query(*values, kinds), system_id, end
    )
    operators = prepared.rows(("timeline operators",), _operators_query, system_id, end)
    evidence = _evidence(system_id, end)
    evidence_ids = list(dict.fromkeys(row[0] for row in evidence))
    reviews = prepared.rows(
        ("timeline reviews", len(evidence_ids)), _reviews_query, end, *evidence_ids
    )
    # Through peewee's tuples: their dates come back as dates, as the loader reads them.
    waivers = prepared.select(("timeline waivers",), _waivers_query, system_id, end, first)
    width = len(EVIDENCE_COLUMNS)
    parsed: dict[str, tuple] = {}
    evidence = [_requirement_ids_parsed(row, parsed) for row in evidence]
    return Timeline(
        system_id,
        columns,
        system,
        created_at,
        changes,
        [(row[:-1], as_moment(row[3]), as_moment(row[-1])) for row in events],
        [(row[:-2], as_moment(row[-2]), as_moment(row[-1])) for row in operators],
        [(row[:width], as_moment(row[11]), as_moment(row[width])) for row in evidence],
        [(row[:-1], as_moment(row[-1])) for row in reviews],
        [(row[:-2], as_moment(row[-2]), as_day(row[3]), as_moment(row[-1])) for row in waivers],
    )


def _evidence(system_id: int, end: datetime) -> list[tuple]:
    """:func:`~tracker.completeness.evidence_reads.evidence_rows` of the evidence uploaded by
    ``end`` for the system, with when each was superseded: its two queries prepared."""
    return prepared_evidence_rows(
        "timeline evidence",
        (*EVIDENCE_COLUMNS, Evidence.superseded_at),
        lambda end: Evidence.created_at <= end,
        end,
        [system_id],
    )


def _events_query(system_id: int, end: datetime, kinds: tuple[str, ...]) -> pw.Query:
    return (
        SystemEvent.select(*EVENT_COLUMNS, SystemEvent.recorded_at)
        .where(
            (SystemEvent.system == system_id)
            & (SystemEvent.occurred_at <= end)
            & (SystemEvent.recorded_at <= end)
            & SystemEvent.kind.in_(kinds)
        )
        .order_by(SystemEvent.occurred_at, SystemEvent.id)
    )


def _operators_query(system_id: int, end: datetime) -> pw.Query:
    return (
        Operator.select(*OPERATOR_COLUMNS, Operator.added_at, Operator.removed_at)
        .where((Operator.system == system_id) & (Operator.added_at <= end))
        .order_by(Operator.id)
    )


def _reviews_query(end: datetime, *evidence_ids: int) -> pw.Query:
    return (
        EvidenceReview.select(*REVIEW_COLUMNS, EvidenceReview.decided_at)
        .where(EvidenceReview.evidence.in_(evidence_ids) & (EvidenceReview.decided_at <= end))
        .order_by(EvidenceReview.id)
    )


def _waivers_query(system_id: int, end: datetime, first: date) -> pw.Query:
    return (
        Waiver.select(*WAIVER_COLUMNS, Waiver.decided_at, Waiver.revoked_at)
        .where(
            (Waiver.system == system_id)
            & Waiver.state.in_(WAIVER_STATES)
            & (Waiver.decided_at <= end)
            & (Waiver.expires_on > first)
        )
        .tuples()
    )


def _requirement_ids_parsed(row: tuple, parsed: dict[str, tuple]) -> tuple:
    """The row with its requirement ids (JSON text on SQLite) parsed once, not once per date."""
    ids = row[5]
    if isinstance(ids, str):
        if ids not in parsed:
            parsed[ids] = tuple(json.loads(ids))
        return (*row[:5], parsed[ids], *row[6:])
    return row


def snapshot_on(timeline: Timeline, as_of: date, catalogue: Catalogue) -> Snapshot | None:
    """The system's snapshot at the end of ``as_of``, as ``load_snapshot(as_of, catalogue,
    [system_id], include_retired=True)`` reads it; None before the system was registered."""
    end = end_of(as_of)
    if timeline.system is None or not _by(timeline.created_at, end):
        return None
    row = dict(timeline.system)  # the replay undoes later changes in its own copy
    defaults = catalogue.question_defaults()
    last_changed = replay_profiles([row], timeline.changes, end, defaults)
    events, modified = event_facts(
        row for row, occurred, recorded in timeline.events if occurred <= end and recorded <= end
    )
    systems = system_facts([row], timeline.columns, last_changed, modified, defaults, end)
    operators = operator_facts(
        row
        for row, added, removed in timeline.operators
        if _by(added, end) and _after(removed, end)
    )
    # Fresh facts per date: reviews set each one's decision as of the date.
    evidence, by_system, agency, by_event = evidence_facts(
        row
        for row, created, superseded in timeline.evidence
        if created <= end and _after(superseded, end)
    )
    apply_reviews(evidence, (row for row, decided in timeline.reviews if _by(decided, end)))
    waivers = waiver_facts(
        row
        for row, decided, expires, revoked in timeline.waivers
        if _by(decided, end) and expires > as_of and _after(revoked, end)
    )
    return Snapshot(
        as_of,
        systems,
        by_system,
        agency,
        operators,
        waivers,
        events=events,
        event_evidence=by_event,
        moment=moment_of(as_of),
    )


# Dates whose reach (which laws reach which countries on the date) the replay evaluator keeps:
# a chart's (a year of months and today) and a few registration days. The engine's evaluators
# keep DATES_KEPT (4); replaying thirteen dates through four, each date pushed another out on
# every request. (Baselines are kept per in-force epoch, whatever the dates: see sets.py.)
REPLAY_DATES_KEPT = CHART_MONTHS + 4


class ReplayEvaluator(Evaluator):
    """The engine's evaluator keeping the reach of :data:`REPLAY_DATES_KEPT` dates rather than
    :data:`~tracker.completeness.engine.DATES_KEPT`. Reach depends on the date and the
    system's countries only: keeping more changes no answer."""

    dates_kept = REPLAY_DATES_KEPT


def replay_evaluator(catalogue: Catalogue, expiring_soon_days: int = 30) -> Evaluator:
    """The evaluator replays use, built once per catalogue. Not the server's shared one
    (:func:`tracker.completeness.evaluator_for`): that one keeps the reach of the last few
    dates for the portfolio, and a replay of a dozen dates would push today's out."""
    key = ("history", ReplayEvaluator, expiring_soon_days)
    found = catalogue.derived.get(key)
    if found is None:
        found = catalogue.derived[key] = ReplayEvaluator(
            catalogue, expiring_soon_days, long_lived=True
        )
    return found


def replay(
    system_id: int,
    dates: Iterable[date],
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    detailed: Iterable[date] = (),
) -> dict[date, SystemCompleteness]:
    """The system's completeness on each date it was registered by, from one load: summaries
    (scores, readiness, blocking statuses), with every requirement for the ``detailed`` dates.
    Dates before the system was registered have no entry."""
    wanted = sorted(set(dates) | set(detailed))
    if not wanted:
        return {}
    timeline = load_timeline(system_id, wanted[0], wanted[-1], catalogue)
    return evaluate_timeline(timeline, wanted, catalogue, expiring_soon_days, detailed)


def evaluate_timeline(
    timeline: Timeline,
    dates: Iterable[date],
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    detailed: Iterable[date] = (),
) -> dict[date, SystemCompleteness]:
    """:func:`replay` on a timeline already loaded (for dates within it)."""
    detailed = set(detailed)
    evaluator = replay_evaluator(catalogue, expiring_soon_days)
    results = {}
    for day in sorted(set(dates) | detailed):
        snapshot = snapshot_on(timeline, day, catalogue)
        if snapshot is not None:
            results[day] = evaluator.evaluate(snapshot.systems[0], snapshot, day in detailed)
    return results


def operators_on(timeline: Timeline, day: date) -> list[OperatorFact]:
    """The operators authorised at the end of ``day``, as completeness counts them."""
    end = end_of(day)
    return operator_facts(
        row
        for row, added, removed in timeline.operators
        if _by(added, end) and _after(removed, end)
    ).get(timeline.system_id, [])


def month_starts(today: date, months: int = CHART_MONTHS) -> list[date]:
    """The first of each of the last ``months`` months (this one's included), oldest first."""
    return [add_months(today.replace(day=1), -back) for back in range(months - 1, -1, -1)]


def chart_dates(registered: date, today: date, months: int = CHART_MONTHS) -> list[date]:
    """The chart's dates: the first of each of the last ``months`` months, and today; a system
    registered within them starts on the day it was registered (no point before it)."""
    starts = month_starts(today, months)
    dates = [day for day in starts if day > registered] + [today]
    if registered < today:
        dates.insert(0, max(registered, starts[0]))
    return sorted(set(dates))


def overall_history(
    system_id: int, dates: Sequence[date], catalogue: Catalogue, expiring_soon_days: int = 30
) -> list[tuple[date, float | None]]:
    """(date, overall percent) for each date the system was registered by, from one load; the
    percent is None when nothing was in force."""
    results = replay(system_id, dates, catalogue, expiring_soon_days)
    return [(day, result.overall.percent) for day, result in sorted(results.items())]
