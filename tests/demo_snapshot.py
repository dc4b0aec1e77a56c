"""The demo agency's year for tests: seeded once per test process, then copied into each test.

Seeding the demo (scripts/demo_data.py) takes seconds: 82 documents stored with fsync and a
year of acts run through the domain functions. Some thirty tests on two backends start from
it, so each process seeds it once per snapshot key and copies the result into each test's own
database and evidence store:

- SQLite: SQLite's backup API copies the snapshot's database, page for page, into the test's
  open connection;
- PostgreSQL: the snapshot lives in a schema of its own; in one transaction the test's freshly
  migrated schema is emptied and every table refilled from it (INSERT ... SELECT), and every
  sequence is set where the snapshot's stands, so the next row gets the id it would get;
- the files the seed wrote in the data folder (the evidence store, and whatever else the
  settings keep there) are copied to the same places in the test's data folder (real copies,
  no links: a test may damage one on purpose).

A copy is what ``demo.seed(settings)`` leaves when run at the snapshot's moment, because a
snapshot is only used where a seed then would have made the same rows:

- most of the story is dated by whole days counted back from the seed's date (UTC), but a few
  events are counted back from the seed's very moment (a use five hours ago, a breach two days
  and six hours ago) and round to the minute. Every day a moment of the story falls on changes
  only on the hour, so a snapshot serves until the UTC hour changes: a copy is dated as a seed
  at most an hour earlier would be, with each row on the same day as in a fresh seed, and only
  those few events up to an hour older than they would be;
- the backend, the migrations applied (a snapshot's schema is the test's own), the settings
  that choose the catalogue (jurisdictions, dates, countries, binding answers) and
  ``sys.path`` (a test that installs a plugin changes the catalogue) are part of the key too;
- so is what the database held before the seed: nothing, or the web tests' ``people``
  (created in the snapshot, then the demo, in that order, so every id is the one a fresh seed
  gives). The test's database must hold exactly that, table by table, or the copy refuses (it
  would silently replace other rows).

tests/test_demo_snapshot.py checks that a copy equals, row for row, id for id and file for file,
a fresh seed run at the snapshot's moment; the seed itself is tested in tests/test_demo_data.py.
Nothing in the app keeps state about one database across tests (its caches are keyed by the
database URL, which is the test's own).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace

import peewee

from tracker import config, db, schema
from tracker.models import ALL_MODELS, User

# What a database may hold before the demo is copied in, by name: how to make it.
BEFORE_SEED: dict[str, Callable[[], object]] = {"empty": lambda: None}
# The table of the migration runner: the test's own schema already has it, filled the same way.
MIGRATIONS_TABLE = "schema_migration"
TABLES = [model._meta.table_name for model in peewee.sort_models(ALL_MODELS)]  # parents first


def _people() -> object:
    from tests.web.conftest import create_people  # the `people` fixture's own code

    return create_people()


BEFORE_SEED["people"] = _people


def migrations() -> tuple[str, ...]:
    """The migrations applied to the bound database, by name."""
    rows = db.database.execute_sql(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name")
    return tuple(name for (name,) in rows.fetchall())


def contents() -> tuple:
    """What the bound database holds, as compared before a copy: each table's row count and
    the usernames (enough to tell an empty database from one with the web tests' people)."""
    counts = tuple((model._meta.table_name, model.select().count()) for model in ALL_MODELS)
    return counts, tuple(sorted(User.select(User.username).tuples()))


def seed_at(demo: ModuleType, settings: config.Settings, moment: datetime) -> None:
    """``demo.seed(settings)`` as if run at ``moment`` (naive UTC, to the second): the seed
    reads the time once, as ``db.utcnow()`` in its own module, and tells the story up to it."""
    real = demo.db
    demo.db = SimpleNamespace(utcnow=lambda: moment)
    try:
        if demo.seed(settings) is not True:
            raise RuntimeError("the demo was not seeded: the database already has systems")
    finally:
        demo.db = real


@dataclass
class Snapshot:
    moment: datetime  # when the seed ran (naive UTC)
    database_url: str
    data_dir: Path  # the seed's data folder: what it wrote there, but the SQLite database
    before: tuple  # contents() just before the seed
    postgres_schema: str = ""


class DemoSnapshots:
    """The snapshots of one test process, made when first needed."""

    def __init__(self, folder: Path, postgres_url: str, schema_url: Callable[[str], str]) -> None:
        self.folder = folder
        self.postgres_url = postgres_url
        self.schema_url = schema_url  # the URL of a PostgreSQL schema, by its name
        self.snapshots: dict[tuple, Snapshot] = {}
        self.schemas: list[str] = []  # made in PostgreSQL, dropped at the end
        self._numbers = itertools.count()

    def copy_into(self, settings: config.Settings, demo: ModuleType) -> Snapshot:
        """Give the test's database (bound and migrated) and store the demo agency, as
        ``demo.seed(settings)`` would; returns the snapshot copied."""
        database = db.database  # where the seed would have written: the bound database
        found = contents()
        users = {username for (username,) in found[1]}
        before = "people" if users and users <= _people_names() else "empty"
        snapshot = self._snapshot(settings, demo, before)
        if found != snapshot.before:
            raise RuntimeError(
                "the demo agency is copied from a snapshot seeded into a database that held "
                f"{snapshot.before}, but this test's database holds {found}: request the "
                "demo_agency fixture before the fixtures that add these rows"
            )
        if snapshot.postgres_schema:
            _copy_postgres_schema(database, snapshot.postgres_schema)
        else:
            source = sqlite3.connect(db.sqlite_path(snapshot.database_url))
            try:
                source.backup(database.connection())
            finally:
                source.close()
        shutil.copytree(snapshot.data_dir, settings.data_dir, dirs_exist_ok=True)
        return snapshot

    def _snapshot(self, settings: config.Settings, demo: ModuleType, before: str) -> Snapshot:
        applied = migrations()
        while True:
            moment = db.utcnow().replace(microsecond=0)
            hour = moment.replace(minute=0, second=0)
            key = (*_key(settings, before), applied, hour)
            if key not in self.snapshots:
                self.snapshots[key] = self._seed(settings, demo, before, applied, moment)
            # A seed that began just before the hour changed serves no one: seed again.
            if db.utcnow().replace(minute=0, second=0, microsecond=0) == hour:
                return self.snapshots[key]

    def _seed(
        self,
        settings: config.Settings,
        demo: ModuleType,
        before: str,
        applied: tuple[str, ...],
        moment: datetime,
    ) -> Snapshot:
        number = next(self._numbers)
        folder = self.folder / f"{before}-{number}"
        folder.mkdir()
        name = ""
        if _backend(settings) == "postgres":
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            name = f"demo_snapshot_{worker}_{os.getpid()}_{folder.name.replace('-', '_')}"
            admin = db.open_database(self.postgres_url)
            admin.execute_sql(f'CREATE SCHEMA "{name}"')
            admin.close()
            self.schemas.append(name)
            url = self.schema_url(name)
        else:
            url = f"sqlite:///{self.folder / f'{before}-{number}.db'}"
        seeding = _moved(settings, folder, url)
        test_database = db.database.obj  # the proxy goes back to the test's database after
        database = db.bind(url)
        try:
            with database.connection_context():
                schema.upgrade(database)
                if migrations() != applied:  # the migrations changed on disk since
                    raise RuntimeError(f"the test's database has {applied}, now {migrations()}")
                BEFORE_SEED[before]()
                state = contents()
                seed_at(demo, seeding, moment)
        finally:
            db.database.initialize(test_database)
        return Snapshot(moment, url, folder, state, name)

    def drop(self) -> None:
        """Remove the PostgreSQL schemas (the folders go with pytest's temporary ones)."""
        if not self.schemas:
            return
        admin = db.open_database(self.postgres_url)
        for name in self.schemas:
            admin.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()


def _people_names() -> set[str]:
    from tests.web.conftest import PEOPLE

    return set(PEOPLE.values())


def _moved(settings: config.Settings, folder: Path, database_url: str) -> config.Settings:
    """The settings with another database, and ``folder`` as the data folder: every path in
    the test's data folder (the evidence store, ...) goes to the same place in ``folder``."""
    if not settings.evidence_dir.is_relative_to(settings.data_dir):
        raise RuntimeError("demo_agency copies the data folder: the evidence store must be in it")
    paths = {
        field.name: folder / value.relative_to(settings.data_dir)
        for field in dataclasses.fields(settings)
        if isinstance(value := getattr(settings, field.name), Path)
        and value.is_absolute()
        and value.is_relative_to(settings.data_dir)
    }
    return settings.with_overrides(**paths, database_url=database_url)


def _key(settings: config.Settings, before: str) -> tuple:
    catalogue = (
        settings.jurisdictions,
        tuple(sorted(settings.in_force_from.items())),
        settings.agency_countries,
        tuple(sorted(settings.binding.items())),
        tuple(sys.path),
    )
    return _backend(settings), before, catalogue


def _backend(settings: config.Settings) -> str:
    return "sqlite" if settings.database_url.startswith("sqlite") else "postgres"


def _quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


def _copy_postgres_schema(database: peewee.Database | peewee.DatabaseProxy, source: str) -> None:
    """Make the current schema's rows and sequences those of ``source``, in one transaction."""
    target = database.execute_sql("SELECT current_schema()").fetchone()[0]
    found = {
        row[0]
        for row in database.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (source,)
        )
    }
    if found != {*TABLES, MIGRATIONS_TABLE}:
        raise RuntimeError(f"the demo snapshot's tables {sorted(found)} are not the models'")
    with database.atomic():
        # DELETE, not TRUNCATE: an idle connection of the test's app may hold a lock on a table.
        for table in reversed(TABLES):
            database.execute_sql(f"DELETE FROM {_quoted(target, table)}")
        # The stamps last: the triggers of the rows copied before them write stamps too.
        for table in sorted(TABLES, key=lambda name: name == "completeness_stamp"):
            if table == "completeness_stamp":
                database.execute_sql(f"DELETE FROM {_quoted(target, table)}")
            columns = ", ".join(
                _quoted(row[0])
                for row in database.execute_sql(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                    (target, table),
                )
            )
            database.execute_sql(
                f"INSERT INTO {_quoted(target, table)} ({columns}) "
                f"SELECT {columns} FROM {_quoted(source, table)}"
            )
        sequences = database.execute_sql(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s", (source,)
        ).fetchall()
        for sequence, last_value in sequences:
            # A sequence never used restarts at 1, as in a fresh schema.
            database.execute_sql(
                "SELECT setval(%s, %s, %s)",
                (_quoted(target, sequence), last_value or 1, last_value is not None),
            )
