"""Database connection: one peewee proxy shared by models, bound from a URL.

SQLite gets WAL journaling, enforced foreign keys and IMMEDIATE write
transactions (so concurrent writers queue instead of failing half-way);
PostgreSQL uses the same models unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import peewee
from playhouse.db_url import connect as connect_url

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
}


def open_database(url: str) -> peewee.Database:
    """Create (but do not connect) the database named by ``url``."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return connect_url(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    return connect_url(url, autoconnect=True)


def bind(url: str) -> peewee.Database:
    """Point the shared proxy at the database named by ``url`` and return it."""
    db = open_database(url)
    database.initialize(db)
    return db


def is_postgres(db: peewee.Database | None = None) -> bool:
    target = db if db is not None else database.obj
    return isinstance(target, peewee.PostgresqlDatabase)


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction for changes; all or nothing, serialised with other writers."""
    with database.atomic():
        yield


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in every timestamp column."""
    return datetime.now(UTC).replace(tzinfo=None)
