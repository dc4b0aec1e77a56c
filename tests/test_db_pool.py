"""The database through a connection pool (PostgreSQL's server connections, a SQLite file's
connections with their pragmas set): requests reuse a few connections, never more than
TRACKER_DATABASE_MAX_CONNECTIONS at once, and give each back when they end; a forked child
never uses its parent's; an in-memory SQLite database is not pooled; the settings are checked."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

from tracker import config, db
from tracker.app import create_app


def connection_id(database) -> int:
    """Which connection a request was given: PostgreSQL's server process, else the object."""
    if db.is_postgres():
        return database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    database.execute_sql("SELECT 1")
    return id(database.connection())


def test_requests_reuse_a_few_connections_and_never_exceed_the_maximum(settings, migrated):
    app = create_app(settings, database_max_connections=3, database_pool_timeout=20)
    database = db.database.obj
    pooled = PooledPostgresqlDatabase if db.is_postgres() else PooledSqliteDatabase
    assert isinstance(database, pooled)
    assert not database._connections and not database._in_use  # none kept for a fork
    in_use, lock = [], threading.Lock()

    @app.route("/test-pool/connection")
    def which_connection():
        with lock:
            in_use.append(len(database._in_use))
        found = connection_id(database)
        time.sleep(0.005)  # held a moment, so that eight threads contend for three
        return str(found)

    def requests(count: int) -> list[int]:
        client = app.test_client()
        found = []
        for _ in range(count):
            response = client.get("/test-pool/connection")
            assert response.status_code == 200, response.text
            found.append(int(response.text))
        return found

    with ThreadPoolExecutor(8) as threads:
        used = [one for batch in threads.map(requests, [25] * 8) for one in batch]

    assert len(used) == 200
    assert 1 <= len(set(used)) <= 3  # 200 requests, at most three connections
    assert max(in_use) <= 3
    assert not database._in_use  # every request gave its connection back
    assert len(database._connections) == len(set(used))  # kept, idle, for the next request
    if db.is_postgres():  # still open on the server
        alive = {
            row[0]
            for row in migrated.execute_sql(
                "SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (list(set(used)),)
            ).fetchall()
        }
        assert alive == set(used)
    else:  # each kept connection has the tracker's pragmas, set once when it was opened
        connection = database.connection()
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
        database.close()


def test_an_in_memory_sqlite_database_is_not_pooled(settings):
    database = db.open_database("sqlite:///:memory:", pool=settings.database_pool)
    assert not isinstance(database, PooledDatabase)  # each connection would be a new database


def test_a_forked_child_never_uses_its_parents_connections(settings, migrated):
    create_app(settings)
    database = db.database.obj
    parent = connection_id(database)
    database.close()  # back to the pool, idle: what a fork would inherit
    assert len(database._connections) == 1
    child = os.fork()
    if child == 0:  # the child: a new connection of its own, or exit 1
        try:
            mine = connection_id(database)
            database.close()
            os._exit(0 if mine != parent else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's connection was left alone: still the same, still working.
    assert connection_id(database) == parent
    database.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRACKER_DATABASE_MAX_CONNECTIONS", "0"),
        ("TRACKER_DATABASE_MAX_CONNECTIONS", "1001"),
        ("TRACKER_DATABASE_STALE_TIMEOUT", "0"),
        ("TRACKER_DATABASE_POOL_TIMEOUT", "-1"),
    ],
)
def test_pool_settings_out_of_range_are_refused_by_name(name, value):
    with pytest.raises(config.ConfigError, match=f"{name} must be from"):
        config.from_environ({name: value})


def test_pool_settings_must_be_whole_numbers():
    with pytest.raises(config.ConfigError, match="TRACKER_DATABASE_STALE_TIMEOUT must be a whole"):
        config.from_environ({"TRACKER_DATABASE_STALE_TIMEOUT": "5m"})


def test_pool_settings_defaults_and_values():
    assert config.from_environ({}).database_pool == db.PoolSettings(16, 300, 10)
    settings = config.from_environ(
        {
            "TRACKER_DATABASE_MAX_CONNECTIONS": "40",
            "TRACKER_DATABASE_STALE_TIMEOUT": "60",
            "TRACKER_DATABASE_POOL_TIMEOUT": "5",
        }
    )
    assert settings.database_pool == db.PoolSettings(40, 60, 5)


def asked_alive(database) -> list[int]:
    """Each time the pool asks the server whether a connection is still there."""
    asked: list[int] = []
    adapter = database._adapter
    original = adapter.is_connection_closed

    def is_connection_closed(conn):
        asked.append(1)
        return original(conn)

    adapter.is_connection_closed = is_connection_closed
    return asked


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a server to ask
def test_a_connection_given_back_a_moment_ago_is_reused_without_a_round_trip(settings, migrated):
    create_app(settings)
    database = db.database.obj
    asked = asked_alive(database)
    first = connection_id(database)
    database.close()
    assert connection_id(database) == first  # the same connection, taken back at once
    database.close()
    assert asked == []  # and nobody asked the server first

    # Unused for longer than the window: the pool asks before handing it out.
    key = database.conn_key(database._connections[0][2])
    database._given_back[key] -= db.ALIVE_BYPASS_SECONDS
    assert connection_id(database) == first
    database.close()
    assert asked == [1]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a server to ask
def test_a_connection_the_server_ended_is_not_handed_out_after_the_window(settings, migrated):
    create_app(settings)
    database = db.database.obj
    first = connection_id(database)
    database.close()
    migrated.execute_sql("SELECT pg_terminate_backend(%s)", (first,))
    key = database.conn_key(database._connections[0][2])
    database._given_back[key] -= db.ALIVE_BYPASS_SECONDS  # idle past the window
    second = connection_id(database)  # a new connection, not an error
    assert second != first
    database.close()
