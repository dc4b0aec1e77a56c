"""The portfolio's index: each system's completeness summary on a date, kept up to date.

A row is fresh when it was computed with the system's current stamp, the agency's current
stamp and the current catalogue key (the enabled plugins and their versions, the deployment's
countries and answers, the expiring-soon lead), and, for today, no open event deadline has
passed since. :func:`stale` finds the rows that are not; :func:`refresh` recomputes them with
the completeness engine, a chunk of systems at a time so that memory stays bounded however
large the agency (thousands of systems in worker processes, one per core: :mod:`.parallel`);
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

from tracker import db, pg_copy
from tracker.catalogue_record import serialise
from tracker.completeness import cycle_collector_paused, evaluator_for, load_snapshot
from tracker.completeness.driver import among
from tracker.completeness.engine import Evaluator
from tracker.completeness.facts import Snapshot, SystemCompleteness
from tracker.completeness.loader import end_of
from tracker.completeness.overdue import action_counts, stage_overdue
from tracker.db import database, utcnow
from tracker.models import AISystem, CompletenessStamp, PortfolioDate, PortfolioRow
from tracker.plugin_host import Catalogue
from tracker.portfolio import parallel, stamps, summary

CHUNK = 2000  # systems read, evaluated and written at a time: bounds memory
WHOLE_AGENCY = 4000  # up to this many systems, the agency is read whole, once
# Up to this many stale systems are recomputed within the request; more (an agency-wide item,
# a catalogue change) are recomputed in the background while the previous rows are shown.
AT_ONCE = 500
DATES_KEPT = 8  # dates whose rows are kept, the most recently computed first

Progress = Callable[[int, int], None]  # (systems done, systems in all)


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
    plugins, versions, requirements and in-force dates), the deployment, the lead time and the
    layout rows are written in."""
    cache = ("portfolio-key", expiring_soon_days)
    found = catalogue.derived.get(cache)
    if found is None:
        text = (
            f"{serialise(catalogue)['digest']}|{catalogue.deployment!r}|{expiring_soon_days}"
            f"|summary format {summary.FORMAT}"
        )
        found = catalogue.derived[cache] = hashlib.sha256(text.encode()).hexdigest()
    return found


def stale(
    as_of: date, key: str, candidates: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Systems registered by the end of ``as_of`` whose row for the date is (missing, outdated);
    only among ``candidates`` if given."""
    now = utcnow()
    query = (
        AISystem.select(AISystem.id, PortfolioRow.system_id)
        .join(
            CompletenessStamp,
            pw.JOIN.LEFT_OUTER,
            on=(CompletenessStamp.system_id == AISystem.id),
        )
        .switch(AISystem)
        .join(
            PortfolioRow,
            pw.JOIN.LEFT_OUTER,
            on=((PortfolioRow.system_id == AISystem.id) & (PortfolioRow.as_of == as_of)),
        )
        .where(
            (AISystem.created_at <= end_of(as_of))
            & (
                PortfolioRow.system_id.is_null()
                | (PortfolioRow.stamp != pw.fn.COALESCE(CompletenessStamp.stamp, 0))
                | (PortfolioRow.agency_stamp != stamps.agency_stamp())
                | (PortfolioRow.catalogue_key != key)
                | (PortfolioRow.changes_at <= now)
            )
        )
        .order_by(AISystem.id)
        .tuples()
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
    evaluated and written at a time, so memory stays what one chunk needs however large the
    agency.

    Thousands of systems (:data:`parallel.FROM`) are recomputed by as many worker processes
    as there are cores, a chunk each at a time, when this process may fork them
    (:func:`parallel.possible`); ``workers`` sets how many instead (1: this process alone).
    Each chunk's rows are the same whichever process computes them."""
    key = catalogue_key(catalogue, expiring_soon_days)
    registered = AISystem.select(AISystem.id).where(AISystem.created_at <= end_of(as_of))
    if system_ids is None:
        wanted = [row[0] for row in registered.order_by(AISystem.id).tuples()]
        count = len(wanted)
    else:
        wanted, count = sorted(set(system_ids)), registered.count()
    evaluator = evaluator_for(catalogue, expiring_soon_days)
    if workers is None:
        workers = parallel.workers_for(len(wanted))
    elif workers > 1 and not parallel.possible():
        workers = 1

    def recompute(chunk: list[int]) -> int:
        """Read, evaluate and write the rows of ``chunk``: a worker's task. By the chunk's ids
        (never the whole agency: each worker reads only its share)."""
        with cycle_collector_paused():
            return sum(
                _recompute(*part, catalogue, evaluator, key)
                for part in _chunks(as_of, catalogue, chunk, max(count, WHOLE_AGENCY + 1))
            )

    done = 0
    if workers > 1 and len(wanted) > parallel.CHUNK:
        size = parallel.CHUNK
        chunks = [wanted[start : start + size] for start in range(0, len(wanted), size)]
        for recomputed in parallel.run(recompute, chunks, min(workers, len(chunks))):
            done += recomputed
            if progress is not None:
                progress(done, len(wanted))
    else:
        # Paused while the snapshots are read too, not only while they are evaluated: the
        # collector rescanned the chunk before's facts, still held, for nothing (a recompute
        # leaves a few hundred cyclic objects, which it collects once resumed).
        with cycle_collector_paused():
            for part in _chunks(as_of, catalogue, wanted, count):
                done += _recompute(*part, catalogue, evaluator, key)
                if progress is not None:
                    progress(done, len(wanted))
    if done > AT_ONCE:
        _forget_old_dates(as_of)
        # With the statistics of the table before, 20,000 new rows estimated at a hundred,
        # PostgreSQL sorted every row of the date for each page (19 ms) instead of walking the
        # (as_of, name_key) index (0.2 ms): under load, the web portfolio's workers waited on
        # the database half the time.
        db.refresh_statistics(PortfolioRow)
    return done


def _recompute(
    agency: int,
    current: dict[int, int],
    snapshot: Snapshot,
    systems: list,
    catalogue: Catalogue,
    evaluator: Evaluator,
    key: str,
) -> int:
    """Evaluate and write one chunk of :func:`_chunks`; how many rows. Called with the cycle
    collector paused (:func:`cycle_collector_paused`)."""
    now = utcnow()
    writer = summary.Writer()  # per chunk: it keeps every sentence it wrote alive
    rows = [
        _row(
            evaluator.evaluate(system, snapshot, detail=False),
            catalogue,
            risk_level=risk_level,
            stamp=current[system.id],
            agency_stamp=agency,
            key=key,
            now=now,
            writer=writer,
        )
        for system, risk_level in systems
    ]
    del snapshot, writer
    with database.atomic():
        _write(rows)
    return len(rows)


def _chunks(as_of: date, catalogue: Catalogue, wanted: list[int], registered: int):
    """(agency stamp, system stamps, snapshot, [(system, risk level)]) a chunk at a time, for
    the ``wanted`` of the ``registered`` systems.

    The stamps are always read before the facts: a write in between leaves its rows stale.
    A small agency is read whole once (an IN list of most of its ids makes SQLite's planner
    walk the evidence table and probe the list, a hundred times slower); a large one a chunk
    of systems at a time, by their ids, so that memory stays what a chunk needs.
    """
    if registered <= WHOLE_AGENCY:
        agency, current = stamps.agency_stamp(), stamps.of_systems(wanted)
        risks = _risk_levels(wanted)
        snapshot = load_snapshot(as_of, catalogue, include_retired=True)
        chosen = set(wanted)
        systems = [(s, risks.get(s.id, "")) for s in snapshot.systems if s.id in chosen]
        for start in range(0, len(systems), CHUNK):
            yield agency, current, snapshot, systems[start : start + CHUNK]
        return
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        agency, current, risks = (
            stamps.agency_stamp(),
            stamps.of_systems(chunk),
            _risk_levels(chunk),
        )
        snapshot = load_snapshot(as_of, catalogue, chunk, include_retired=True)
        yield agency, current, snapshot, [(s, risks.get(s.id, "")) for s in snapshot.systems]


def _risk_levels(system_ids: list[int]) -> dict[int, str]:
    query = AISystem.select(AISystem.id, AISystem.risk_level)
    return dict(query.where(among(AISystem.id, system_ids)).tuples())


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
    """Insert or replace rows with one prepared statement: peewee's own insert builds SQL for
    each of twenty thousand rows, which took longer than computing them. On PostgreSQL, copied
    in then upserted in one statement: psycopg2's executemany sends the rows one round trip
    each, which took as long as computing them."""
    if not rows:
        return
    postgres = db.is_postgres()
    names = [field.column_name for field in COLUMNS]
    # Made afresh each time: a pooled connection outlives a schema upgrade.
    staging = "portfolio_row_incoming"
    values_clause = (
        f"SELECT {', '.join(names)} FROM {staging}"
        if postgres
        else f"VALUES ({', '.join(['?'] * len(names))})"
    )
    sql = (
        f"INSERT INTO {PortfolioRow._meta.table_name} ({', '.join(names)}) {values_clause} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in names if name not in KEY)
    )
    converters = [
        (field.name, summary.json_text if isinstance(field, pw.JSONField) else field.db_value)
        for field in COLUMNS
    ]
    values = [tuple(convert(row[name]) for name, convert in converters) for row in rows]
    cursor = database.cursor()
    if postgres:
        # Copied into a temporary table of the session, then upserted from it in one statement:
        # formatting each 10 KB summary as a quoted literal (execute_values) and parsing the
        # statements cost the client and the server more than the rows' writing.
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {PortfolioRow._meta.table_name})")
        pg_copy.copy_rows(cursor, staging, names, values)
        cursor.execute(sql)
        cursor.execute(f"DROP TABLE {staging}")
    else:
        cursor.executemany(sql, values)


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
    marker = PortfolioDate.get_or_none(PortfolioDate.as_of == as_of)
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
