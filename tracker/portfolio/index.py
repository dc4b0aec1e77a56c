"""The portfolio's index: each system's completeness summary on a date, kept up to date.

A row is fresh when it was computed with the system's current stamp, the agency's current
stamp and the current catalogue key (the enabled plugins and their versions, the deployment's
countries and answers, the expiring-soon lead), and, for today, no open event deadline has
passed since. :func:`stale` finds the rows that are not; :func:`refresh` recomputes them with
the completeness engine, a chunk of systems at a time so that memory stays bounded however
large the agency (thousands of systems in worker processes, one per core: :mod:`.recompute`);
:func:`ensure` decides what to recompute now and what in the background.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import peewee as pw

import tracker
from tracker import db, prepared
from tracker.catalogue_record import serialise
from tracker.completeness import evaluator_for
from tracker.completeness.driver import among
from tracker.completeness.facts import SystemCompleteness
from tracker.completeness.overdue import action_counts, stage_overdue
from tracker.db import database, utcnow
from tracker.models import AISystem, CompletenessStamp, PortfolioDate, PortfolioRow
from tracker.plugin_host import Catalogue
from tracker.portfolio import recompute, stamps, summary
from tracker.portfolio.recompute import Progress

# Up to this many stale systems are recomputed within the request; more (an agency-wide item,
# a catalogue change) are recomputed in the background while the previous rows are shown.
AT_ONCE = 500
DATES_KEPT = 8  # dates whose rows are kept, the most recently computed first


@dataclass(frozen=True)
class Freshness:
    """How current the date's rows are: ``refreshing`` while a background refresh runs."""

    refreshing: bool = False
    stale_systems: int = 0
    recomputed: int = 0  # systems this call recomputed before answering
    # While current: what the rows are current for (catalogue key, newest stamp, when they
    # next change by themselves, the date's generation); answers derived from the rows alone
    # (counts, totals) may be kept under it.
    version: tuple | None = None


def catalogue_key(catalogue: Catalogue, expiring_soon_days: int) -> str:
    """What every row depends on besides the stamps: the catalogue in use (its digest covers
    plugins, versions, requirements and in-force dates), the deployment, the lead time, the
    layout rows are written in and the tracker's version."""
    cache = ("portfolio-key", expiring_soon_days)
    found = catalogue.derived.get(cache)
    if found is None:
        # The tracker's version too: an upgrade may change what the engine answers, and rows
        # (or chart points, kept a year) computed by the version before must not be read.
        text = (
            f"{serialise(catalogue)['digest']}|{catalogue.deployment!r}|{expiring_soon_days}"
            f"|summary format {summary.FORMAT}|tracker {tracker.__version__}"
        )
        found = catalogue.derived[cache] = hashlib.sha256(text.encode()).hexdigest()
    return found


def stale(
    as_of: date, key: str, candidates: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Systems registered by the end of ``as_of`` whose row for the date is (missing, outdated);
    only among ``candidates`` if given."""
    query = stamps.not_current(
        PortfolioRow, PortfolioRow.as_of, as_of, key, PortfolioRow.changes_at <= utcnow()
    )
    if candidates is not None:
        query = query.where(among(AISystem.id, candidates))
    missing, outdated = [], []
    for system_id, held in query:
        (outdated if held is not None else missing).append(system_id)
    return missing, outdated


def refresh(
    as_of: date,
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    system_ids: Iterable[int] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> int:
    """Recompute the rows of ``system_ids`` (default: every system registered by the date);
    return how many; ``progress`` is told after each chunk. A chunk of systems is read,
    evaluated and written at a time, thousands of them over the machine's cores
    (:func:`.recompute.each_chunk`, which ``workers`` is passed to)."""
    key = catalogue_key(catalogue, expiring_soon_days)
    wanted = recompute.registered_by(as_of) if system_ids is None else sorted(set(system_ids))
    evaluator = evaluator_for(catalogue, expiring_soon_days)

    def write(chunk: recompute.Chunk) -> int:
        """Evaluate and write one chunk's rows (the cycle collector paused meanwhile)."""
        now = utcnow()
        writer = summary.Writer()  # per chunk: it keeps every sentence it wrote alive
        rows = [
            _row(
                evaluator.evaluate(system, chunk.snapshot, detail=False),
                catalogue,
                risk_level=risk_level,
                stamp=chunk.stamps[system.id],
                agency_stamp=chunk.agency_stamp,
                key=key,
                now=now,
                writer=writer,
            )
            for system, risk_level in chunk.systems
        ]
        del writer
        with database.atomic():
            _write(rows)
        return len(rows)

    every = len(wanted) if system_ids is None else None  # all of them: no need to count
    done = recompute.each_chunk(as_of, catalogue, wanted, write, progress, workers, every)
    if done > AT_ONCE:
        _forget_old_dates(as_of)
        # With the statistics of the table before, 20,000 new rows estimated at a hundred,
        # PostgreSQL sorted every row of the date for each page (19 ms) instead of walking the
        # (as_of, name_key) index (0.2 ms): under load, the web portfolio's workers waited on
        # the database half the time.
        db.refresh_statistics(PortfolioRow)
    return done


def _row(
    result: SystemCompleteness,
    catalogue: Catalogue,
    *,
    risk_level: str,
    stamp: int,
    agency_stamp: int,
    key: str,
    now: datetime,
    writer: summary.Writer | None = None,
) -> dict:
    overdue = stage_overdue(result, catalogue)
    counts = action_counts(result, overdue)
    percent = result.overall.percent
    return {
        "as_of": result.as_of,
        "system_id": result.system_id,
        "stamp": stamp,
        "agency_stamp": agency_stamp,
        "catalogue_key": key,
        "changes_at": result.changes_at,
        "computed_at": now,
        "name": result.name,
        "name_key": result.name.casefold()[:200],
        "lifecycle_stage": result.lifecycle_stage,
        "risk_level": risk_level,
        "retired": result.retired,
        "ready": result.ready,
        "nothing_applies": bool(result.nothing_applies),
        "percent": percent,
        "percent_key": -1.0 if percent is None else percent,
        **counts,
        "stage_overdue": len(overdue),
        "event_overdue": result.event_counts.get("overdue", 0),
        "frameworks": {name: score.percent for name, score in sorted(result.frameworks.items())},
        "summary": (writer or summary.Writer()).dumps(result),
    }


COLUMNS = list(PortfolioRow._meta.sorted_fields)
KEY = ("as_of", "system_id")


def _write(rows: list[dict]) -> None:
    """Insert or replace the rows (:func:`.recompute.upsert`)."""
    converters = [
        (field.name, summary.json_text if isinstance(field, pw.JSONField) else field.db_value)
        for field in COLUMNS
    ]
    recompute.upsert(
        PortfolioRow._meta.table_name,
        [field.column_name for field in COLUMNS],
        KEY,
        [tuple(convert(row[name]) for name, convert in converters) for row in rows],
    )


def _forget_old_dates(keep: date) -> None:
    """Keep the rows of the few dates computed last (and ``keep``): other dates are cheap to
    rebuild, and an index of every date ever asked for would grow without end."""
    recent = [
        row[0]
        for row in PortfolioRow.select(PortfolioRow.as_of)
        .group_by(PortfolioRow.as_of)
        .order_by(pw.fn.MAX(PortfolioRow.computed_at).desc())
        .limit(DATES_KEPT)
        .tuples()
    ]
    kept = list({keep, *recent})
    PortfolioRow.delete().where(PortfolioRow.as_of.not_in(kept)).execute()
    PortfolioDate.delete().where(PortfolioDate.as_of.not_in(kept)).execute()


class Background:
    """One background refresh per date in this process, each in a thread of its own with its
    own database connection. The engine's work is plain Python and SQL: no app context."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[date, threading.Thread] = {}

    def start(self, as_of: date, run: Callable[[], object]) -> bool:
        """Start ``run`` for the date unless one is running; True if it runs now."""
        with self._lock:
            thread = self._running.get(as_of)
            if thread is not None and thread.is_alive():
                return True
            thread = threading.Thread(
                target=self._run, args=(as_of, run), name=f"portfolio-{as_of}", daemon=True
            )
            self._running[as_of] = thread
            thread.start()
            return True

    def _run(self, as_of: date, run: Callable[[], object]) -> None:
        try:
            with database.connection_context():
                run()
        finally:
            with self._lock:
                if self._running.get(as_of) is threading.current_thread():
                    del self._running[as_of]

    def running(self, as_of: date) -> bool:
        with self._lock:
            thread = self._running.get(as_of)
            return thread is not None and thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every refresh running now (tests, and a clean shutdown)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout)


BACKGROUND = Background()


def ensure(
    as_of: date, catalogue: Catalogue, expiring_soon_days: int = 30, *, wait: bool = False
) -> Freshness:
    """Bring the date's rows up to date enough to answer: a few stale systems now; many, when
    every one of them has a row to show meanwhile, in the background (:data:`BACKGROUND`),
    unless ``wait``: then everything now.

    While no stamp is newer than when the date's rows were last all current (two index
    look-ups), nothing is checked at all: that is the usual case of a read."""
    key = catalogue_key(catalogue, expiring_soon_days)
    newest = stamps.newest()  # before anything is read: a later write makes it newer
    marker = prepared.first(("portfolio date",), _marker, as_of)
    if (
        marker is not None
        and marker.catalogue_key == key
        and marker.stamp == newest
        and (marker.changes_at is None or marker.changes_at > utcnow())
    ):
        return Freshness(version=(key, newest, marker.changes_at, marker.generation))
    missing, outdated = stale(as_of, key, _changed_since(marker, key, as_of))
    if wait or len(missing) + len(outdated) <= AT_ONCE or len(missing) > AT_ONCE:
        if len(missing) + len(outdated) > AT_ONCE:
            # A whole date to compute (the first reader of a day): one request computes it,
            # the others of this process wait for it rather than each doing the same work.
            with _computing(as_of):
                missing, outdated = stale(as_of, key)
                recomputed = refresh(as_of, catalogue, expiring_soon_days, missing + outdated)
        elif missing or outdated:
            recomputed = refresh(as_of, catalogue, expiring_soon_days, missing + outdated)
        else:
            recomputed = 0
        version = (key, newest, *_mark_current(as_of, key, newest))
        return Freshness(version=version, recomputed=recomputed)
    if missing:  # systems with no row at all would be absent from the answer
        refresh(as_of, catalogue, expiring_soon_days, missing)

    def in_background() -> None:
        newest = stamps.newest()
        refresh(as_of, catalogue, expiring_soon_days, _still_stale(as_of, key))
        _mark_current(as_of, key, newest)

    BACKGROUND.start(as_of, in_background)
    return Freshness(refreshing=True, stale_systems=len(outdated))


def _marker(as_of: date) -> pw.Query:
    return PortfolioDate.select().where(PortfolioDate.as_of == as_of).limit(1)


def _changed_since(marker: PortfolioDate | None, key: str, as_of: date) -> list[int] | None:
    """The only systems whose rows can be stale when the date's rows were all current at the
    marker: those written to since, and those whose rows change by themselves by now. None
    when every system must be checked (no marker, another catalogue, an agency-wide write, or
    too many to list)."""
    if marker is None or marker.catalogue_key != key or stamps.agency_stamp() > marker.stamp:
        return None
    written = [
        row[0]
        for row in CompletenessStamp.select(CompletenessStamp.system_id)
        .where(CompletenessStamp.stamp > marker.stamp)
        .limit(AT_ONCE + 1)
        .tuples()
    ]
    if len(written) > AT_ONCE:
        return None
    due = [
        row[0]
        for row in PortfolioRow.select(PortfolioRow.system_id)
        .where((PortfolioRow.as_of == as_of) & (PortfolioRow.changes_at <= utcnow()))
        .tuples()
    ]
    return sorted({*written, *due})


_LOCKS: dict[date, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _computing(as_of: date) -> threading.Lock:
    """The lock of a date's large recompute in this process."""
    with _LOCKS_GUARD:
        if len(_LOCKS) > DATES_KEPT * 4:
            _LOCKS.clear()  # an unused lock costs nothing to make again
        return _LOCKS.setdefault(as_of, threading.Lock())


def _mark_current(as_of: date, key: str, newest: int) -> tuple[datetime | None, str]:
    """Every row of the date is current as of stamp ``newest``; when the first of them
    changes by itself (today's next open event deadline), if one does, and the new generation."""
    generation = secrets.token_hex(8)
    changes_at = PortfolioDate.changes_at.python_value(
        PortfolioRow.select(pw.fn.MIN(PortfolioRow.changes_at))
        .where(PortfolioRow.as_of == as_of)
        .scalar()
    )
    (
        PortfolioDate.insert(
            as_of=as_of,
            catalogue_key=key,
            stamp=newest,
            changes_at=changes_at,
            generation=generation,
        )
        .on_conflict(
            conflict_target=[PortfolioDate.as_of],
            preserve=[
                PortfolioDate.catalogue_key,
                PortfolioDate.stamp,
                PortfolioDate.changes_at,
                PortfolioDate.generation,
            ],
        )
        .execute()
    )
    return changes_at, generation


def _still_stale(as_of: date, key: str) -> list[int]:
    missing, outdated = stale(as_of, key)
    return missing + outdated
