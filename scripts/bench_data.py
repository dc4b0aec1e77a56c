"""Realistic benchmark data: one generator for every benchmark, cached on disk.

Deterministic from (systems, seed, the day it is generated for): N systems over every life-cycle
stage and risk level with varied profiles and plugin answers, 2+ operators each (some removed),
agency-wide evidence, per-system evidence with several versions per item, accepted, rejected and
pending reviews, expired items and items expiring within 30 days, waivers in every state,
recorded events (some answered by linked evidence), and a year of profile changes in the audit
trail (a chained, unkeyed trail that ``tracker audit verify`` accepts).

Rows are written with explicit ids in bulk (insert_many in chunks, one transaction) into a fresh
database, then kept: a SQLite file under ``.bench-cache/``, or a PostgreSQL schema, both named
after the key (backend, size, seed, generator version, day), so reruns do not regenerate. The day
is in the key because "expiring within 30 days" is relative to it.

    python scripts/bench_data.py --systems 20000 [--seed 2026] [--database-url postgresql://127.0.0.1/test]

API for benchmarks: ``prepare(url_or_none, systems, seed) -> url`` and ``bind(url)``; and
``report(name, **figures)``, which appends one JSON line to the file named by ``$BENCH_RESULTS``
(read by scripts/bench_summary.py for ``make bench``'s table).

The cached database is shared: a benchmark that writes to it (beyond a user, token or session
of its own) asks ``prepare(..., scratch=True)`` for a private copy instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import peewee

from tracker import db, schema
from tracker.models import (
    AISystem,
    AuditEvent,
    AuditHead,
    Blob,
    Evidence,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    Waiver,
)
from tracker.plugin_host import load_catalogue
from tracker.territory import Deployment

sys.path.insert(0, str(Path(__file__).resolve().parent))  # when imported from elsewhere
from bench_agency import Generator

GENERATOR_VERSION = 2  # bump whenever the data generated for a key changes
REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".bench-cache"
# The benchmark agency works in Belgium: the EU frameworks reach its systems by territory.
AGENCY = Deployment(("BE",))


def report(name: str, **figures: Any) -> None:
    """Append one benchmark's headline figures as a JSON line to ``$BENCH_RESULTS`` (if set).

    ``make bench`` sets it and prints every line as one table (scripts/bench_summary.py). Give
    plain numbers and short strings, e.g. ``report("upload", size_mb=200, median_s=1.3,
    floor_s=1.1, target="PASS")``.
    """
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"bench": name, **figures}, default=str) + "\n")


def process_cpu(pid: int) -> float:
    """A running process's CPU seconds so far (user and system, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


KEY = re.compile(r"^(bench_[a-z]+_\d+_s\d+_v\d+)_m(\d+)_(\d{8})$")


def cache_key(backend: str, systems: int, seed: int, day: date) -> str:
    """The name of one generated database: what it holds, for which schema version and day."""
    migration = max(
        int(p.name[:4]) for p in schema.MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")
    )
    return f"bench_{backend}_{systems}_s{seed}_v{GENERATOR_VERSION}_m{migration}_{day:%Y%m%d}"


def upgradable(key: str, names: list[str]) -> str | None:
    """Among cached ``names``, the newest one holding the same data as ``key`` at an older schema
    version: upgraded, as production upgrades, it is that key (cheaper than generating)."""
    wanted = KEY.match(key)
    found = [
        (int(m.group(2)), name)
        for name in names
        if (m := KEY.match(name))
        and (m.group(1), m.group(3)) == (wanted.group(1), wanted.group(3))
        and int(m.group(2)) < int(wanted.group(2))
    ]
    return max(found)[1] if found else None


def bind(url: str) -> peewee.Database:
    """Bind the tracker's models to ``url`` and connect."""
    database = db.bind(url)
    database.connect(reuse_if_open=True)
    return database


def prepare(
    database_url: str | None = None,
    systems: int = 2000,
    seed: int = 2026,
    *,
    scratch: bool = False,
    quiet: bool = False,
) -> str:
    """The URL of a database holding the benchmark data, generated unless cached.

    ``database_url``: None for SQLite (a file under .bench-cache/), or a PostgreSQL URL, in
    whose database a schema named after the key holds the data (the URL returned sets its
    search_path). ``scratch``: a private copy the caller may write to (SQLite: a copy of the
    cached file in a temporary folder; PostgreSQL: a schema generated anew, ``..._scratch``).
    Models are left bound to the returned URL.
    """
    day = date.today()
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    if database_url is None or database_url.startswith("sqlite"):
        url = _prepare_sqlite(systems, seed, day, scratch, say)
    else:
        url = _prepare_postgres(database_url, systems, seed, day, scratch, say)
    bind(url)
    return url


def _prepare_sqlite(systems: int, seed: int, day: date, scratch: bool, say) -> str:
    CACHE.mkdir(exist_ok=True)
    key = cache_key("sqlite", systems, seed, day)
    path = CACHE / f"{key}.db"
    if not path.exists():
        older = upgradable(key, [p.stem for p in CACHE.glob("bench_sqlite_*.db")])
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        if older:
            say(f"upgrading the cached {older} to {path.name} ...")
            (CACHE / f"{older}.db").rename(building)
            database = bind(f"sqlite:///{building}")
            schema.upgrade(database)
        else:
            say(f"generating {systems} systems (seed {seed}) into {path.name} ...")
            database = bind(f"sqlite:///{building}")
            # A file nobody else uses until it is renamed: no journal while it is built.
            database.execute_sql("PRAGMA journal_mode=OFF")
            database.execute_sql("PRAGMA synchronous=OFF")
            database.execute_sql("PRAGMA cache_size=-262144")  # 256 MiB
            _build(database, systems, seed, day, say)
            database.execute_sql("PRAGMA journal_mode=WAL")  # as the tracker runs it
        database.close()
        building.rename(path)
        for stale in CACHE.glob(f"bench_sqlite_{systems}_s{seed}_*.db"):
            if stale != path:
                stale.unlink()  # another day's data (its dates are relative to that day)
    if scratch:
        copy = Path(tempfile.mkdtemp(prefix="tracker-bench-")) / "bench.db"
        shutil.copyfile(path, copy)
        path = copy
    return f"sqlite:///{path}"


def _prepare_postgres(base_url: str, systems: int, seed: int, day: date, scratch: bool, say) -> str:
    key = cache_key("pg", systems, seed, day)
    name = key + ("_scratch" if scratch else "")
    admin = bind(base_url)
    schemas = [
        row[0]
        for row in admin.execute_sql(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            (f"bench_pg_{systems}_s{seed}_%",),
        ).fetchall()
    ]
    if name in schemas and not scratch:
        admin.close()
        return _with_schema(base_url, name)
    building = name + "_building"
    admin.execute_sql(f'DROP SCHEMA IF EXISTS "{building}" CASCADE')
    admin.execute_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')  # an old scratch copy
    older = None if scratch else upgradable(key, schemas)
    if older:
        say(f"upgrading the cached schema {older} to {name} ...")
        admin.execute_sql(f'ALTER SCHEMA "{older}" RENAME TO "{building}"')
        admin.close()
        schema.upgrade(bind(_with_schema(base_url, building)))
    else:
        admin.execute_sql(f'CREATE SCHEMA "{building}"')
        admin.close()
        say(f"generating {systems} systems (seed {seed}) into schema {name} ...")
        _build(bind(_with_schema(base_url, building)), systems, seed, day, say)
    db.database.obj.close()
    admin = bind(base_url)
    admin.execute_sql(f'ALTER SCHEMA "{building}" RENAME TO "{name}"')
    for stale in schemas:
        if (
            KEY.match(stale)
            and stale not in (key, older)
            and not stale.endswith(day.strftime("%Y%m%d"))
        ):
            admin.execute_sql(f'DROP SCHEMA IF EXISTS "{stale}" CASCADE')  # another day's
    admin.close()
    return _with_schema(base_url, name)


def _with_schema(url: str, name: str) -> str:
    """``url`` with libpq's options setting the search path to the schema ``name``."""
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}options={quote(f'-c search_path={name}')}"


def _build(database: peewee.Database, systems: int, seed: int, day: date, say) -> None:
    start = time.perf_counter()
    schema.upgrade(database)
    catalogue = load_catalogue(deployment=AGENCY)
    generator = Generator(catalogue, random.Random(seed), day)
    with database.atomic():
        for tables in generator.batches(systems):
            insert(database, tables)
            say(
                f"  {generator.next_id.get(AISystem, 0)} systems at {time.perf_counter() - start:.1f} s"
            )
        finish(database, tables)
    database.execute_sql("ANALYZE")  # the planner's statistics, as a live database has them
    say(f"  done in {time.perf_counter() - start:.1f} s")


def insert(database: peewee.Database, tables: dict[type, list[dict]]) -> None:
    """Insert every table's rows through the driver's own bulk call (peewee's per-value
    conversion took most of a minute at 20,000 systems)."""
    postgres = isinstance(database, peewee.PostgresqlDatabase)
    cursor = database.cursor()
    for model, rows in tables.items():
        if not rows:
            continue
        fields = [model._meta.fields[name] for name in rows[0]]
        # Columns left out take the model's default, as peewee would fill them in.
        defaults = [
            f for f in model._meta.sorted_fields if f.name not in rows[0] and f.default is not None
        ]
        fixed = tuple(f.default() if callable(f.default) else f.default for f in defaults)
        fields += defaults
        convert = [_converter(field, postgres) for field in fields]
        values = [
            tuple(
                c(v) if c and v is not None else v
                for c, v in zip(convert, (*row.values(), *fixed), strict=True)
            )
            for row in rows
        ]
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        table = model._meta.table_name
        if postgres:
            from psycopg2.extras import execute_values

            execute_values(
                cursor, f'INSERT INTO "{table}" ({columns}) VALUES %s', values, page_size=2000
            )
        else:
            marks = ", ".join("?" * len(fields))
            cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)


def finish(database: peewee.Database, last: dict[type, list[dict]]) -> None:
    """The audit head on the newest event; on PostgreSQL, the id sequences past the explicit ids."""
    if last[AuditEvent]:
        newest = last[AuditEvent][-1]
        AuditHead.update(last_id=newest["id"], last_hash=newest["hash"]).execute()
    if isinstance(database, peewee.PostgresqlDatabase):
        for model in last:
            if model is Blob:
                continue
            table = model._meta.table_name
            database.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )


def _converter(field: peewee.Field, postgres: bool):
    """How a Python value is handed to the driver for ``field``, as peewee would store it."""
    if isinstance(field, peewee.JSONField):
        return json.dumps
    if postgres:
        return None  # psycopg2 adapts dates and datetimes itself
    if isinstance(field, peewee.DateTimeField):
        return str  # "YYYY-MM-DD HH:MM:SS[.ffffff]", peewee's SQLite format
    if isinstance(field, peewee.DateField):
        return date.isoformat
    return None


def counts(database: peewee.Database) -> dict[str, int]:
    """Rows per table, and the variety that matters to completeness."""
    found = {
        m._meta.table_name: m.select().count()
        for m in (
            AISystem,
            Operator,
            Evidence,
            EvidenceSystem,
            EvidenceReview,
            Waiver,
            SystemEvent,
            AuditEvent,
        )
    }
    today = date.today()
    found["evidence agency-wide"] = Evidence.select().where(Evidence.agency_wide == True).count()
    found["evidence superseded"] = (
        Evidence.select().where(Evidence.superseded_at.is_null(False)).count()
    )
    found["evidence expired (current)"] = (
        Evidence.select()
        .where(Evidence.superseded_at.is_null() & (Evidence.valid_until < today))
        .count()
    )
    found["evidence expiring <= 30 d"] = (
        Evidence.select()
        .where(
            Evidence.superseded_at.is_null()
            & (Evidence.valid_until >= today)
            & (Evidence.valid_until <= today + timedelta(days=30))
        )
        .count()
    )
    found["reviews rejected"] = (
        EvidenceReview.select().where(EvidenceReview.decision == "rejected").count()
    )
    found["evidence linked to events"] = (
        Evidence.select().where(Evidence.event.is_null(False)).count()
    )
    found["operators removed"] = Operator.select().where(Operator.removed_at.is_null(False)).count()
    found["profile changes"] = (
        AuditEvent.select().where(AuditEvent.action == "system.updated").count()
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    start = time.perf_counter()
    url = prepare(args.database_url, args.systems, args.seed)
    elapsed = time.perf_counter() - start
    print(
        f"database   {url if url.startswith('sqlite') else db.redacted(url) + ' (schema in options)'}"
    )
    for table, number in counts(db.database.obj).items():
        print(f"  {table:28} {number:>10,}")
    print(f"ready in {elapsed:.1f} s (a cached database is reused)")
    db.database.obj.close()


if __name__ == "__main__":
    main()
