"""Database connection: one peewee proxy shared by models, bound from a URL.

SQLite gets WAL journaling, enforced foreign keys and IMMEDIATE write
transactions (so concurrent writers queue instead of failing half-way);
PostgreSQL uses the same models unchanged. Given :class:`PoolSettings` (the
app does, from ``TRACKER_DATABASE_*``), either goes through a pool of
connections that each request takes at its start and gives back at its end,
instead of a new server process (PostgreSQL) or a new connection and its
pragmas (SQLite) per request. A pooled database forgets, in a forked child, the
connections it inherited (they are the parent's sockets).

A database that cannot be used (a URL no driver reads, a SQLite file that is
missing when it must exist, a folder where the file should be, a server that
does not answer) raises :class:`DatabaseUnavailable` with a message that names
the database, never its password. The message is a Phrase: English as data (logs,
the worker), in the reader's language where the CLI shows it.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlsplit, urlunsplit

import peewee
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parseresult_to_dict, schemes
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

from tracker.i18n.text import Phrase

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
}

# Row ids are PostgreSQL ``serial`` (32-bit) columns; SQLite's are wider, but an id past this
# never exists on either, and past 2**63 SQLite cannot even be asked.
MAX_ID = 2**31 - 1


class DatabaseUnavailable(Exception):
    """The database named by the settings cannot be opened or reached; the message says why."""


@dataclass(frozen=True)
class PoolSettings:
    """A connection pool, per process (a SQLite file's connections too; not an in-memory one).

    ``max_connections``: connections open at once, in use or idle; ``stale_timeout``: seconds
    after which a connection is closed rather than reused (the server or a proxy may have
    dropped it); ``wait_timeout``: seconds a request waits for a free connection before
    failing.
    """

    max_connections: int
    stale_timeout: int
    wait_timeout: int


# Every pooled database this process made: a forked child must not use the parent's sockets.
_pools: weakref.WeakSet[PooledDatabase] = weakref.WeakSet()
# The inherited connections a child set aside: never closed by it (closing would end the
# parent's session on the shared socket), never reused.
_inherited: list[object] = []


def _forget_inherited_connections() -> None:
    for pool in list(_pools):
        with pool._pool_lock:
            _inherited.extend(conn for _, _, conn in pool._connections)
            _inherited.extend(used.connection for used in pool._in_use.values())
        pool.dispose()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_connections)


def describe(url: str) -> str:
    """How messages name a database: the SQLite file, or the URL without its password."""
    if url.startswith("sqlite:///"):
        return Phrase("SQLite database %(path)s", path=sqlite_path(url) or ":memory:")
    return Phrase("database %(url)s", url=redacted(url))


def redacted(url: str) -> str:
    """``url`` without its password and query string (which may hold one too)."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            user = f"{parts.username}@" if parts.username else ""
            port = f":{parts.port}" if parts.port else ""
            parts = parts._replace(netloc=f"{user}{parts.hostname or ''}{port}")
        return urlunsplit(parts._replace(query=""))
    except ValueError:  # e.g. a port that is not a number
        return url.rpartition("@")[2]


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///`` URL ('' or ':memory:' for an in-memory database)."""
    return urlsplit(url.removeprefix("sqlite:///")).path if url.startswith("sqlite:///") else ""


def open_database(
    url: str, *, create: bool = True, pool: PoolSettings | None = None
) -> peewee.Database:
    """Create (but do not connect) the database named by ``url``.

    With ``create`` (the default) a missing SQLite file and its folder are made on
    connection; without it a missing file raises :class:`DatabaseUnavailable`, so that
    commands which only read never leave an empty database behind. With ``pool``, a
    PostgreSQL database is a pool of connections: ``close()`` gives the connection back.
    """
    try:
        scheme = urlsplit(url).scheme
    except ValueError:  # e.g. an unclosed IPv6 bracket
        scheme = ""
    if scheme not in schemes:
        raise DatabaseUnavailable(
            Phrase(
                "TRACKER_DATABASE_URL %(url)s is not a database URL the tracker reads: "
                "use sqlite:///PATH or postgresql://USER@HOST/NAME",
                url=repr(redacted(url)),
            )
        )
    if scheme.startswith("sqlite") and not url.startswith(f"{scheme}:///"):
        raise DatabaseUnavailable(
            Phrase(
                "TRACKER_DATABASE_URL %(url)s: a SQLite URL is sqlite:/// and a path "
                "(four slashes before an absolute path)",
                url=repr(redacted(url)),
            )
        )
    if scheme == "sqlite":
        path = sqlite_path(url)
        if path and path != ":memory:":
            _check_sqlite_path(Path(path), create)
            if pool is not None and "mode=memory" not in url:
                return _pooled_sqlite(url, pool)
        return connect_url(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    try:
        if pool is not None and scheme in ("postgres", "postgresql"):
            return _pooled(url, pool)
        return connect_url(url, autoconnect=True)
    except ValueError as error:  # no database name; peewee's message says where it goes
        message = str(error).replace(url, redacted(url))
        raise DatabaseUnavailable(f"TRACKER_DATABASE_URL {message}") from None


# Seconds after its last use during which a pooled PostgreSQL connection is handed out again
# without asking the server whether it is still there (as HikariCP's aliveBypassWindowMs does).
ALIVE_BYPASS_SECONDS = 0.5


class _PostgresPool(PooledPostgresqlDatabase):
    """peewee's pool, which asks the server ``SELECT 1`` before handing out any connection: a
    round trip in each request, a tenth of one system's answer. A connection given back less
    than :data:`ALIVE_BYPASS_SECONDS` ago, whose driver still sees it open and idle, is handed
    out without that question; one unused for longer is still asked. After the server went away
    (a restart), each connection given back in the half second before fails the one request that
    takes it, as it would have had the server gone during that request, and is then dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._given_back: dict[int, float] = {}  # connection key -> when (monotonic)

    def _is_closed(self, conn: Any) -> bool:
        given_back = self._given_back.pop(self.conn_key(conn), None)
        if (
            given_back is not None
            and time.monotonic() - given_back < ALIVE_BYPASS_SECONDS
            and not conn.closed
            and self._adapter.txn_status(conn) == self._adapter.txn_idle
        ):
            return False
        return super()._is_closed(conn)

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        with self._pool_lock:  # re-entrant: the pool's own check-in takes it too
            super()._close(conn, close_conn)
            # Only connections kept for reuse are remembered (a closed one's key may come back).
            kept = {self.conn_key(idle) for _, _, idle in self._connections}
            self._given_back = {key: at for key, at in self._given_back.items() if key in kept}
            if not close_conn and self.conn_key(conn) in kept:
                self._given_back[self.conn_key(conn)] = time.monotonic()


def _pooled(url: str, pool: PoolSettings) -> PooledPostgresqlDatabase:
    """The PostgreSQL database at ``url`` as a pool (peewee's playhouse.pool)."""
    parameters = parseresult_to_dict(urlparse(url))
    if not parameters.get("database"):
        return connect_url(url)  # raises peewee's ValueError, which says where the name goes
    database = _PostgresPool(
        autoconnect=True,
        max_connections=pool.max_connections,
        stale_timeout=pool.stale_timeout,
        # peewee reads 0 as "wait for ever": a wait of 0 seconds is not offered.
        timeout=pool.wait_timeout,
        **parameters,
    )
    _pools.add(database)
    return database


def _pooled_sqlite(url: str, pool: PoolSettings) -> PooledSqliteDatabase:
    """The SQLite file at ``url`` as a pool: opening a connection and setting its pragmas
    (journal mode, foreign keys, busy timeout) cost a request more than a static file does, and
    a kept connection holds no lock between requests (autocommit; an unfinished transaction is
    rolled back when it is given back)."""
    database = PooledSqliteDatabase(
        pragmas=SQLITE_PRAGMAS,
        lock_type="IMMEDIATE",
        max_connections=pool.max_connections,
        stale_timeout=pool.stale_timeout,
        timeout=pool.wait_timeout,
        # A connection given back by one request thread is taken by another; one at a time.
        check_same_thread=False,
        **parseresult_to_dict(urlparse(url)),
    )
    _pools.add(database)
    return database


def release_idle(database: peewee.Database) -> None:
    """Close the idle connections of a pooled database (no-op otherwise): before a server
    forks its workers, so that none starts with a connection it shares with its parent."""
    if isinstance(database, PooledDatabase):
        database.close_idle()


def _check_sqlite_path(path: Path, create: bool) -> None:
    try:
        if path.is_dir():
            raise DatabaseUnavailable(
                Phrase("the SQLite database %(path)s is a folder, not a database file", path=path)
            )
        if path.exists():
            return
        folder = next(parent for parent in path.parents if parent.exists())
        if not folder.is_dir():
            raise DatabaseUnavailable(
                Phrase(
                    "the SQLite database %(path)s cannot be made: %(folder)s is a file",
                    path=path,
                    folder=folder,
                )
            )
    except OSError as error:  # e.g. a folder on the way that may not be searched
        raise DatabaseUnavailable(
            Phrase(
                "cannot look at the SQLite database %(path)s: %(error)s",
                path=path,
                error=error.strerror,
            )
        ) from None
    if not create:
        raise DatabaseUnavailable(
            Phrase(
                "the SQLite database %(path)s does not exist yet: `tracker db upgrade` creates it",
                path=path,
            )
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnavailable(
            Phrase(
                "cannot create the folder for the SQLite database %(path)s: %(error)s",
                path=path,
                error=error.strerror,
            )
        ) from None


def bind(url: str, *, create: bool = True, pool: PoolSettings | None = None) -> peewee.Database:
    """Point the shared proxy at the database named by ``url`` and return it. A pool bound
    before is retired: its idle connections are closed (a test binds one per app)."""
    db = open_database(url, create=create, pool=pool)
    if database.obj is not None:
        release_idle(database.obj)
    database.initialize(db)
    return db


def connect(url: str, *, create: bool = True) -> peewee.Database:
    """Bind the database named by ``url`` and connect to it, or raise DatabaseUnavailable."""
    db = bind(url, create=create)
    try:
        db.connect(reuse_if_open=True)
    except (peewee.DatabaseError, peewee.InterfaceError) as error:
        raise DatabaseUnavailable(
            Phrase(
                "cannot open the %(database)s: %(error)s",
                database=describe(url),
                error=one_line(error),
            )
        ) from None
    return db


def one_line(error: BaseException) -> str:
    """A driver's message on one line (psycopg adds hints on further lines)."""
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip()) or repr(error)


def is_postgres(db: peewee.Database | None = None) -> bool:
    target = db if db is not None else database.obj
    return isinstance(target, peewee.PostgresqlDatabase)


@contextmanager
def write_transaction(*, wait_for_disk: bool = True) -> Iterator[None]:
    """A transaction for changes; all or nothing, serialised with other writers.

    ``wait_for_disk=False``: on PostgreSQL the commit returns before the database has flushed
    it to disk (``synchronous_commit`` off, for this transaction alone), as SQLite's commits do
    here (WAL, ``synchronous=NORMAL``). A crash of the database server, or of its machine, may
    then lose such commits of its last fraction of a second (whole: never half of one); a
    crash of this process loses nothing. For writes that are safe to lose so and frequent
    enough that waiting for the disk each time is what limits them."""
    with database.atomic():
        if not wait_for_disk and is_postgres():
            database.execute_sql("SET LOCAL synchronous_commit TO OFF")
        yield


def refresh_statistics(*models: type[peewee.Model]) -> None:
    """On PostgreSQL, ANALYZE these tables now, after a bulk write changed them (callers say
    why). Until autovacuum's next analyze, a minute or more later, the planner plans from the
    table as it was: rows it believes rare are read through their index even when they are a
    hundred thousand. SQLite keeps no statistics unless asked to, and plans by its indexes."""
    if is_postgres():
        for model in models:
            database.execute_sql(f'ANALYZE "{model._meta.table_name}"')


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in every timestamp column."""
    return datetime.now(UTC).replace(tzinfo=None)
