"""/healthz and /readyz: alive always, ready only when the database, Redis and the store answer."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from tests.evidence.s3_server import S3Server, running_s3_server
from tests.services import free_port
from tracker import db
from tracker.app import create_app
from tracker.operations import health


@pytest.fixture
def database_down(app, tmp_path) -> Iterator[None]:
    """The app's own database object made to fail every new connection, for real: a PostgreSQL
    port nothing listens on (its pool emptied first), a SQLite file in a folder that is not
    there. Put back afterwards, for the fixtures' clean-up."""
    database = db.database.obj
    if db.is_postgres(database):
        database.close_idle()
        before = dict(database.connect_params)
        database.connect_params["port"] = free_port()
        yield
        database.close_idle()
        database.connect_params.clear()
        database.connect_params.update(before)
    else:
        before = database.database
        database.close()
        database.database = str(tmp_path / "no-such-folder" / "tracker.db")
        yield
        database.database = before


def test_healthz_answers_with_nothing_else_up(client, database_down):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok"}


def test_readyz_is_ok_when_everything_answers(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "evidence_store": "ok"},
    }


def test_readyz_names_redis_when_it_does_not_answer(settings, migrated):
    app = create_app(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    checks = answer.json["checks"]
    assert answer.json["status"] == "fail"
    assert checks["redis"].startswith("unreachable: ")
    assert (checks["database"], checks["evidence_store"]) == ("ok", "ok")


def test_readyz_names_the_database_when_it_cannot_be_reached(client, database_down):
    started = time.monotonic()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json["checks"]
    assert checks["database"] != "ok" and checks["database"].startswith(("unreachable", "timed"))
    assert (checks["redis"], checks["evidence_store"]) == ("ok", "ok")
    assert time.monotonic() - started < 5  # the check's time limit, not a driver's


def test_readyz_names_the_database_when_its_schema_is_behind(client, migrated):
    newest = migrated.execute_sql(
        "SELECT name FROM schema_migration ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    migrated.execute_sql(f"DELETE FROM schema_migration WHERE name = '{newest}'")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["database"].startswith("not ready: schema version ")
    assert "tracker db upgrade" in answer.json["checks"]["database"]
    assert answer.json["checks"]["redis"] == "ok"


def test_readyz_names_the_store_when_its_folder_cannot_be_written(app, client):
    # The tests run as root, whom file modes do not stop: a file where the store's temporary
    # folder should be makes it unwritable for anyone.
    tmp = app.extensions["tracker"].store.tmp
    shutil.rmtree(tmp)
    tmp.write_text("not a folder")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json["checks"]
    assert checks["evidence_store"].startswith("unavailable: ")
    assert (checks["database"], checks["redis"]) == ("ok", "ok")


def test_a_hung_dependency_fails_the_probe_in_time(settings, migrated):
    # A listening socket that never answers: Redis's PING waits for its own timeout, and the
    # probe answers within the check's time limit whatever happens.
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        app = create_app(settings, redis_url=f"redis://127.0.0.1:{port}/0")
        started = time.monotonic()
        answer = app.test_client().get("/readyz")
        elapsed = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.json["checks"]["redis"] != "ok"
    assert elapsed < 4


def test_probes_are_public_and_never_rate_limited(settings, migrated):
    app = create_app(settings, api_rate_limit="2/minute", sign_in_rate_limit="2/minute")
    client = app.test_client()
    statuses = {client.get(path).status_code for path in ("/healthz", "/readyz") * 5}
    assert statuses == {200}


def test_readyz_says_nothing_secret(settings, migrated):
    password, token = "hunter2-redis-password", "metrics-token-never-shown-0123456789"
    app = create_app(
        settings,
        redis_url=f"redis://:{password}@127.0.0.1:{free_port()}/0",
        metrics_token=token,
        secret_key="a-session-secret-that-must-not-leak-0123456789",
    )
    body = app.test_client().get("/readyz").get_data(as_text=True)
    assert '"redis"' in body
    for secret in (password, token, "a-session-secret-that-must-not-leak", "127.0.0.1"):
        assert secret not in body


def test_a_check_that_never_returns_counts_as_timed_out():
    started = time.monotonic()
    results = health.within({"hung": lambda: time.sleep(30), "quick": lambda: "ok"}, 0.3)
    assert time.monotonic() - started < 2
    assert results["quick"] == "ok"
    assert isinstance(results["hung"], TimeoutError)
    assert health.describe_failure(results["hung"]).startswith("timed out")


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with running_s3_server() as server:
        yield server


def test_readyz_asks_an_object_store_for_its_bucket(settings, migrated, s3_server, monkeypatch):
    for name, setting in s3_server.environment().items():
        monkeypatch.setenv(name, setting)
    bucket = s3_server.new_bucket()
    app = create_app(settings, evidence_url=f"s3://{bucket}/evidence")
    client = app.test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["checks"]["evidence_store"] == "ok"
    s3_server.empty_bucket(bucket)  # and deletes it: every object lookup now answers 404
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["evidence_store"].startswith("unreachable: ")
    assert bucket not in answer.get_data(as_text=True)
