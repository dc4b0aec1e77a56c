"""PostgreSQL through a connection pool: requests reuse a few server connections, never more
than TRACKER_DATABASE_MAX_CONNECTIONS at once, and give each back when they end; SQLite is
not pooled; the settings are checked."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase

from tracker import config, db
from tracker.app import create_app


def test_requests_reuse_a_few_connections_and_never_exceed_the_maximum(settings, migrated):
    app = create_app(settings, database_max_connections=3, database_pool_timeout=20)
    database = db.database.obj
    if not db.is_postgres():
        assert not isinstance(database, PooledDatabase)  # a file: nothing to pool
        return
    assert isinstance(database, PooledPostgresqlDatabase)
    assert not database._connections and not database._in_use  # none kept for a fork
    in_use, lock = [], threading.Lock()

    @app.route("/test-pool/pid")
    def backend_pid():
        with lock:
            in_use.append(len(database._in_use))
        pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        time.sleep(0.005)  # held a moment, so that eight threads contend for three
        return str(pid)

    def requests(count: int) -> list[int]:
        client = app.test_client()
        pids = []
        for _ in range(count):
            response = client.get("/test-pool/pid")
            assert response.status_code == 200, response.text
            pids.append(int(response.text))
        return pids

    with ThreadPoolExecutor(8) as threads:
        pids = [pid for batch in threads.map(requests, [25] * 8) for pid in batch]

    assert len(pids) == 200
    assert 1 <= len(set(pids)) <= 3  # 200 requests, at most three server processes
    assert max(in_use) <= 3
    assert not database._in_use  # every request gave its connection back
    # The pooled connections are still open on the server, idle, waiting for the next request.
    alive = {
        row[0]
        for row in migrated.execute_sql(
            "SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (list(set(pids)),)
        ).fetchall()
    }
    assert alive == set(pids) and len(database._connections) == len(alive)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite is not pooled
def test_a_forked_child_never_uses_its_parents_connections(settings, migrated):
    create_app(settings)
    database = db.database.obj
    parent = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    database.close()  # back to the pool, idle: what a fork would inherit
    assert len(database._connections) == 1
    child = os.fork()
    if child == 0:  # the child: a new connection of its own, or exit 1
        try:
            mine = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            database.close()
            os._exit(0 if mine != parent else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's connection was left alone: still the same, still working.
    assert database.execute_sql("SELECT pg_backend_pid()").fetchone()[0] == parent
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
