"""Many systems evaluated on one date, a chunk at a time, spread over the machine's cores: what
the portfolio's rows (:mod:`.index`) and the chart's points (:mod:`.chart_points`) are both
computed by.

A chunk of systems is read, evaluated and written at a time, so memory stays what one chunk
needs however large the agency; thousands of systems are shared out among worker processes,
one per core (:mod:`.parallel`). The caller says what to write for a chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from tracker import db, pg_copy
from tracker.completeness import cycle_collector_paused, load_snapshot
from tracker.completeness.driver import among
from tracker.completeness.facts import Snapshot, SystemFact
from tracker.completeness.loader import end_of
from tracker.models import AISystem
from tracker.plugin_host import Catalogue
from tracker.portfolio import parallel, stamps

CHUNK = 2000  # systems read, evaluated and written at a time: bounds memory
WHOLE_AGENCY = 4000  # up to this many systems, the agency is read whole, once

Progress = Callable[[int, int], None]  # (systems done, systems in all)


@dataclass
class Chunk:
    """Systems to evaluate on a date, with what they were read at. The stamps are always read
    before the facts: a write in between leaves what is computed from them stale."""

    agency_stamp: int
    stamps: dict[int, int]  # system id -> its stamp
    snapshot: Snapshot
    systems: list[tuple[SystemFact, str]]  # (system, its risk level)


Write = Callable[[Chunk], int]  # evaluates and writes a chunk; how many systems


def registered_by(as_of: date) -> list[int]:
    """The ids of the systems registered by the end of ``as_of``, in order."""
    query = AISystem.select(AISystem.id).where(AISystem.created_at <= end_of(as_of))
    return [row[0] for row in query.order_by(AISystem.id).tuples()]


def each_chunk(
    as_of: date,
    catalogue: Catalogue,
    wanted: list[int],
    write: Write,
    progress: Progress | None = None,
    workers: int | None = None,
    registered: int | None = None,
) -> int:
    """Call ``write`` on the ``wanted`` systems as of ``as_of``, a chunk at a time; return the
    sum of what it returned. ``progress`` is told after each chunk. ``registered``: how many
    systems are registered by the date, when the caller knows (``wanted`` is every one of
    them, from :func:`registered_by`); counted otherwise.

    Thousands of systems (:data:`parallel.FROM`) are shared out among as many worker
    processes as there are cores, a chunk each at a time, when this process may fork them
    (:func:`parallel.possible`); ``workers`` sets how many instead (1: this process alone).
    Each chunk's result is the same whichever process computes it."""
    if registered is None:
        registered = AISystem.select().where(AISystem.created_at <= end_of(as_of)).count()
    if workers is None:
        workers = parallel.workers_for(len(wanted))
    elif workers > 1 and not parallel.possible():
        workers = 1

    def in_worker(chunk: list[int]) -> int:
        """A worker's task: by the chunk's ids (never the whole agency: each worker reads
        only its share)."""
        with cycle_collector_paused():
            return sum(
                write(part)
                for part in chunks(as_of, catalogue, chunk, max(registered, WHOLE_AGENCY + 1))
            )

    done = 0
    if workers > 1 and len(wanted) > parallel.CHUNK:
        size = parallel.CHUNK
        shares = [wanted[start : start + size] for start in range(0, len(wanted), size)]
        for finished in parallel.run(in_worker, shares, min(workers, len(shares))):
            done += finished
            if progress is not None:
                progress(done, len(wanted))
    else:
        # Paused while the snapshots are read too, not only while they are evaluated: the
        # collector rescanned the chunk before's facts, still held, for nothing (a recompute
        # leaves a few hundred cyclic objects, which it collects once resumed).
        with cycle_collector_paused():
            for part in chunks(as_of, catalogue, wanted, registered):
                done += write(part)
                if progress is not None:
                    progress(done, len(wanted))
    return done


def chunks(
    as_of: date, catalogue: Catalogue, wanted: list[int], registered: int
) -> Iterator[Chunk]:
    """The ``wanted`` of the ``registered`` systems a chunk at a time.

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
            yield Chunk(agency, current, snapshot, systems[start : start + CHUNK])
        return
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        agency, current, risks = stamps.agency_stamp(), stamps.of_systems(part), _risk_levels(part)
        snapshot = load_snapshot(as_of, catalogue, part, include_retired=True)
        yield Chunk(agency, current, snapshot, [(s, risks.get(s.id, "")) for s in snapshot.systems])


def upsert(table: str, columns: Sequence[str], key: Sequence[str], values: list[tuple]) -> None:
    """Insert or replace rows (values in ``columns``' order, as the database takes them) with
    one prepared statement: peewee's own insert builds SQL for each of twenty thousand rows,
    which took longer than computing them. On PostgreSQL, copied in then upserted in one
    statement: psycopg2's executemany sends the rows one round trip each, which took as long
    as computing them."""
    if not values:
        return
    postgres = db.is_postgres()
    # Made afresh each time: a pooled connection outlives a schema upgrade.
    staging = f"{table}_incoming"
    values_clause = (
        f"SELECT {', '.join(columns)} FROM {staging}"
        if postgres
        else f"VALUES ({', '.join(['?'] * len(columns))})"
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) {values_clause} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    )
    cursor = db.database.cursor()
    if postgres:
        # Copied into a temporary table of the session, then upserted from it in one statement:
        # formatting each 10 KB summary as a quoted literal (execute_values) and parsing the
        # statements cost the client and the server more than the rows' writing.
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {table})")
        pg_copy.copy_rows(cursor, staging, columns, values)
        cursor.execute(sql)
        cursor.execute(f"DROP TABLE {staging}")
    else:
        cursor.executemany(sql, values)


def _risk_levels(system_ids: list[int]) -> dict[int, str]:
    query = AISystem.select(AISystem.id, AISystem.risk_level)
    return dict(query.where(among(AISystem.id, system_ids)).tuples())
