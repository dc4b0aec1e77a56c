"""The completeness chart's kept points: each system's overall percent on the first of each of
the chart's months, so that the system page replays only what is not kept.

The system page charts a system's completeness on the first of each of the last twelve months,
each replayed from the register as it stood at the end of that day
(:mod:`tracker.completeness.history`): twelve evaluations per view, a fifth of the page's time.
A past day's answer changes only when what it was computed from changes: the system's facts
(its stamp), the agency-wide items (the agency's stamp), the catalogue or the lead time (the
catalogue key, which also names the tracker's version), exactly as a portfolio row's
(:mod:`.index`). So each point is kept with those, and read back while they still match;
:func:`refresh` (the scheduler's nightly job, or ``tracker portfolio refresh``) computes the
points that are missing or stale, and :func:`kept` gives the page the current ones. A point
that is not current is replayed by the page, never shown stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import peewee as pw

from tracker import db, prepared
from tracker.completeness import evaluator_for
from tracker.completeness.driver import as_moment
from tracker.completeness.history import month_starts
from tracker.db import database
from tracker.models import AISystem, ChartPoint
from tracker.plugin_host import Catalogue
from tracker.portfolio import recompute, stamps
from tracker.portfolio.index import AT_ONCE, catalogue_key
from tracker.portfolio.recompute import Progress

COLUMNS = ("system_id", "day", "stamp", "agency_stamp", "catalogue_key", "percent")
KEY = ("system_id", "day")


def days_kept(today: date) -> list[date]:
    """The days whose points are kept for every system: the chart's month starts before today
    (today's point is the page's own answer). A system registered after the first of them
    has a point on the day it was registered too (:func:`registration_days`)."""
    return [day for day in month_starts(today) if day < today]


def registration_days(today: date, key: str, everything: bool = False) -> dict[date, list[int]]:
    """Day -> the systems registered on it whose point for it is missing or stale (every one's
    with ``everything``), for the systems registered within the chart's months: their chart
    starts on that day (:func:`tracker.completeness.history.chart_dates`). A day the chart
    has a point on anyway (a month start) is not one of them."""
    starts = month_starts(today)
    if everything:
        query = (
            AISystem.select(AISystem.id, AISystem.created_at)
            .where(stamps.registered_between(starts[0], today))
            .order_by(AISystem.id)
            .tuples()
        )
    else:
        query = stamps.not_current_on_registration(
            ChartPoint, ChartPoint.day, key, starts[0], today
        )
    days: dict[date, list[int]] = {}
    for system_id, created_at in query:
        day = as_moment(created_at).date()
        if day not in starts:
            days.setdefault(day, []).append(system_id)
    return days


def kept(system_id: int, days: Iterable[date], key: str) -> dict[date, float | None]:
    """The system's current points among ``days`` (day -> percent, None: nothing in force):
    those computed at its stamp, the agency's stamp and the catalogue key ``key``. Each system
    page asks: the SQL is built once per number of days (tracker.prepared)."""
    wanted = list(days)
    if not wanted:
        return {}
    found = prepared.rows(("kept chart points", len(wanted)), _kept, system_id, key, *wanted)
    return {_as_date(day): percent for day, percent in found}


def _kept(system_id: int, key: str, *days: date) -> pw.Query:
    return ChartPoint.select(ChartPoint.day, ChartPoint.percent).where(
        (ChartPoint.system_id == system_id)
        & ChartPoint.day.in_(list(days))
        & (ChartPoint.catalogue_key == key)
        & stamps.still_current(ChartPoint)
    )


def stale(day: date, key: str) -> list[int]:
    """Systems registered by the end of ``day`` whose point for the day is missing or was
    computed from what has changed since."""
    query = stamps.not_current(ChartPoint, ChartPoint.day, day, key)
    return [system_id for system_id, _held in query]


def refresh(
    today: date,
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    *,
    everything: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> int:
    """Compute the missing and stale points of the chart's days (every system's with
    ``everything``) and forget the points of days the chart no longer shows; return how many
    were computed. ``progress`` is told (points done, points to do) after each chunk."""
    key = catalogue_key(catalogue, expiring_soon_days)
    days = days_kept(today)
    todo = {day: recompute.registered_by(day) if everything else stale(day, key) for day in days}
    for day, wanted in sorted(registration_days(today, key, everything).items()):
        todo.setdefault(day, []).extend(wanted)
    total = sum(len(ids) for ids in todo.values())
    evaluator = evaluator_for(catalogue, expiring_soon_days)
    day_value = ChartPoint.day.db_value

    def write(chunk: recompute.Chunk) -> int:
        values = [
            (
                system.id,
                day_value(chunk.snapshot.as_of),
                chunk.stamps[system.id],
                chunk.agency_stamp,
                key,
                evaluator.evaluate(system, chunk.snapshot, detail=False).overall.percent,
            )
            for system, _risk in chunk.systems
        ]
        with database.atomic():
            recompute.upsert(ChartPoint._meta.table_name, COLUMNS, KEY, values)
        return len(values)

    done = 0
    for day, wanted in todo.items():
        before = done

        def told(finished: int, _all: int, before: int = before) -> None:
            if progress is not None:
                progress(before + finished, total)

        if wanted:  # a day with nothing stale reads nothing (a small agency is read whole)
            # Every system registered by a month start: no need to count them.
            every = len(wanted) if everything and day in days else None
            done += recompute.each_chunk(day, catalogue, wanted, write, told, workers, every)
    # The chart's days: its month starts, and the registration days after the first of them.
    ChartPoint.delete().where((ChartPoint.day < days[0]) | (ChartPoint.day >= today)).execute()
    if done > AT_ONCE:
        # As for the portfolio's rows: thousands of new points planned from the statistics of
        # an empty table would be read by a scan.
        db.refresh_statistics(ChartPoint)
    return done


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
