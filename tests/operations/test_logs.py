"""Log lines: one per request (route, method, status, duration, user, client, request id), as
JSON or text; the request id from X-Request-ID or made, sent back, carried into the RQ jobs a
request queues and onto the audit events it and they record; never a secret in a line."""

from __future__ import annotations

import io
import json
import logging
from datetime import date

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from tests import factories
from tests.web.conftest import PASSWORD, create_people, csrf_token
from tracker import audit
from tracker.models import AuditEvent
from tracker.operations import logs, request_id
from tracker.reminders import jobs
from tracker.runtime import runtime

TODAY = date.today().isoformat()
JOB_LOGGER = "tests.operations.job"


@pytest.fixture
def log_output(settings):
    """What the process logs, as TRACKER_LOG_FORMAT=json writes it (with the settings' secrets)."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure("json", stream=stream, secrets=logs.secrets_of(settings))
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def request_lines(stream: io.StringIO) -> list[dict]:
    return [line for line in lines(stream) if line["logger"] == logs.REQUEST_LOGGER]


def test_each_request_writes_one_json_line_with_its_id_sent_back(client, auth, log_output):
    given = "edge-7f3a9c1e-0001"
    response = client.get(
        "/api/systems", headers={**auth("viewer"), "X-Request-ID": given}, buffered=True
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == given
    (line,) = request_lines(log_output)
    assert line["route"] == "/api/systems" and line["method"] == "GET" and line["status"] == 200
    assert line["user"] == "viewer-user" and line["client"] == "127.0.0.1"
    assert line["request_id"] == given and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"] and line["message"].startswith("GET /api/systems 200 ")


def test_a_request_without_a_sane_id_gets_a_new_one(client, log_output):
    seen = []
    for header in (
        {},
        {"X-Request-ID": "x" * 65},
        {"X-Request-ID": "a b<script>"},
        {"X-Request-ID": "short"},
    ):
        response = client.get("/register/about", headers=header, buffered=True)
        assert response.status_code == 200
        made = response.headers["X-Request-ID"]
        assert len(made) == 32 and int(made, 16) >= 0  # a fresh uuid4, in hex
        seen.append(made)
    assert len(set(seen)) == 4
    logged = request_lines(log_output)
    assert [line["request_id"] for line in logged] == seen
    assert {line["user"] for line in logged} == {"-"}
    assert {line["route"] for line in logged} == {"/register/about"}


def test_an_unknown_path_and_an_error_status_are_logged_too(client, auth, log_output):
    assert client.get("/no/such/page", buffered=True).status_code == 404
    assert client.get("/api/systems/999", headers=auth("viewer"), buffered=True).status_code == 404
    missing, unknown_system = request_lines(log_output)
    assert missing["route"] == "-" and missing["status"] == 404
    assert unknown_system["route"] == "/api/systems/<int:system_id>"
    assert unknown_system["status"] == 404 and unknown_system["user"] == "viewer-user"


def test_the_text_format_has_the_same_line(client, settings):
    stream = io.StringIO()
    handler = logs.configure("text", stream=stream)
    try:
        client.get("/register/about", headers={"X-Request-ID": "text-format-01"}, buffered=True)
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = [x for x in stream.getvalue().splitlines() if logs.REQUEST_LOGGER in x]
    assert " INFO tracker.requests [text-format-01] GET /register/about 200 " in line


def test_no_token_password_cookie_or_secret_reaches_the_log(
    app,
    client,
    tokens,
    log_output,
):
    people = create_people()
    token = tokens["admin"]
    assert (
        client.get(
            "/api/systems", headers={"Authorization": f"Bearer {token}"}, buffered=True
        ).status_code
        == 200
    )
    # A token in the query string and in a path (an e-mail's unsubscribe link).
    client.get(f"/api/systems?token={token}&access_token={token}", buffered=True)
    client.get(f"/unsubscribe/{token}", buffered=True)
    # A sign-in form with a password; then a page with the session cookie it set.
    signed = client.post(
        "/sign-in",
        data={"username": people["dpo"], "password": PASSWORD, "csrf_token": csrf_token(client)},
        buffered=True,
    )
    assert signed.status_code == 302
    cookie = client.get_cookie("tracker_session").value
    page = client.get("/portfolio", buffered=True)
    assert page.status_code == 200
    wrong = client.post(
        "/sign-in",
        data={"username": people["dpo"], "password": "wrong " + PASSWORD, "csrf_token": "x"},
        buffered=True,
    )
    assert wrong.status_code in (200, 400)
    # Something logging a secret by mistake is masked all the same.
    logging.getLogger("tracker.somewhere").warning(
        "retrying with Authorization: Bearer %s, password=%s", token, PASSWORD.replace(" ", "-")
    )
    text = log_output.getvalue()
    logged = request_lines(log_output)
    assert len(logged) == 7
    assert logged[2]["route"] == "/unsubscribe/<token>"
    assert [line["user"] for line in logged[3:6]] == ["-", people["dpo"], people["dpo"]]
    assert token not in text and token[:12] not in text
    assert PASSWORD not in text and PASSWORD.replace(" ", "-") not in text
    assert cookie not in text and "tracker_session" not in text
    assert "Bearer [redacted]" in text and "password=[redacted]" in text


def test_configured_secrets_never_appear(settings):
    configured = settings.with_overrides(
        smtp_password="smtp-pass-5d1f2a",
        metrics_token="metrics-token-88aa1f",
        secret_key="k" * 40,
        redis_url="redis://:redis%2Fpass-77@127.0.0.1:6379/0",
    )
    stream = io.StringIO()
    handler = logs.configure_for(configured, stream=stream)
    try:
        logging.getLogger("tracker.mail").error(
            "SMTP login refused for %s / %s (%s)",
            "smtp-pass-5d1f2a",
            "metrics-token-88aa1f",
            "k" * 40,
        )
        logging.getLogger("tracker.db").error(
            "cannot reach postgresql://tracker:pg-secret-9@db.internal/tracker; the Redis password "
            "is %s",
            "redis/pass-77",
        )
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert "smtp-pass-5d1f2a" not in text and "metrics-token-88aa1f" not in text
    assert "k" * 40 not in text and "pg-secret-9" not in text and "redis/pass-77" not in text
    assert "postgresql://tracker:[redacted]@db.internal/tracker" in text
    assert text.count("[redacted]") == 5


def test_a_change_made_by_a_request_carries_its_id_in_the_audit_trail(client, auth, log_output):
    given = "change-0123456789abcdef"
    made = client.post(
        "/api/systems",
        json=factories.profile(name="Traced system"),
        headers={**auth("legal"), "X-Request-ID": given},
        buffered=True,
    )
    assert made.status_code == 201, made.json
    events = list(AuditEvent.select().where(AuditEvent.request_id == given))
    assert events and {event.actor for event in events} == {"legal-user"}
    # Outside a request, no id: the column stays empty.
    assert not request_id.current()
    report = audit.verify()
    assert report.ok, report.problem
    # The id is part of what the hash covers: changing it breaks the chain.
    AuditEvent.update(request_id="forged-000000").where(AuditEvent.id == events[0].id).execute()
    assert audit.verify().first_broken_id == events[0].id


def test_events_without_a_request_id_hash_as_before():
    values = {
        "id": 3,
        "occurred_at": "2026-01-01T00:00:00.000000",
        "actor": "a",
        "action": "x.changed",
        "entity_type": "x",
        "entity_id": 1,
        "before": None,
        "after": {"n": 1},
        "key_id": "",
    }
    assert "request_id" not in audit.hashed_fields({**values, "request_id": ""})
    assert audit.event_hash("0" * 64, values) == audit.event_hash(
        "0" * 64, {**values, "request_id": ""}
    )
    assert audit.event_hash("0" * 64, values) != audit.event_hash(
        "0" * 64, {**values, "request_id": "abcdef012345"}
    )


def job_that_logs(word: str) -> str:
    """A job for the worker test: logs a line and records an audit event."""
    from tracker.db import write_transaction

    logging.getLogger(JOB_LOGGER).info("working on %s", word)
    with write_transaction():
        audit.record("worker-test", "test.job_ran", "test", word)
    return word


@pytest.fixture
def redis(settings):
    connection = Redis.from_url(settings.redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


def run_worker(app, settings, redis, monkeypatch) -> None:
    with app.app_context():
        monkeypatch.setattr(jobs, "_context", (settings, runtime().catalogue))
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=redis)], connection=redis).work(burst=True)


def test_a_job_logs_and_audits_with_the_id_of_the_request_that_queued_it(
    app, settings, redis, monkeypatch, log_output
):
    queue = Queue(jobs.QUEUE_NAME, connection=redis)
    with request_id.bound("queued-by-req-42"):
        queued = queue.enqueue(job_that_logs, "alpha", meta=request_id.job_meta())
    assert queued.meta == {"request_id": "queued-by-req-42"}
    queue.enqueue(job_that_logs, "beta")  # queued outside any request: no id
    run_worker(app, settings, redis, monkeypatch)
    by_word = {line["message"]: line for line in lines(log_output) if line["logger"] == JOB_LOGGER}
    assert by_word["working on alpha"]["request_id"] == "queued-by-req-42"
    assert by_word["working on beta"]["request_id"] == "-"
    # RQ's own lines go through the same JSON handler (it adds none of its own where the
    # process's logging is set up, as `tracker worker` does).
    assert any(line["logger"] == "rq.worker" for line in lines(log_output))
    events = {
        e.entity_id: e for e in AuditEvent.select().where(AuditEvent.action == "test.job_ran")
    }
    assert events["alpha"].request_id == "queued-by-req-42" and events["beta"].request_id == ""
    assert audit.verify().ok


def test_the_pack_a_request_queues_is_built_and_audited_under_its_id(
    app, client, demo_agency, auth, settings, redis, monkeypatch, log_output
):
    given = "pack-request-000111"
    asked = client.post(
        "/api/packs", json={"as_of": TODAY}, headers={**auth("dpo"), "X-Request-ID": given}
    )
    assert asked.status_code == 202, asked.json
    (job,) = Queue(jobs.QUEUE_NAME, connection=redis).get_jobs()
    assert job.func_name == "tracker.packs.records.build_job"
    assert job.meta["request_id"] == given
    run_worker(app, settings, redis, monkeypatch)
    built = (
        AuditEvent.select()
        .where(AuditEvent.entity_id == str(asked.json["id"]))
        .order_by(AuditEvent.id.desc())
        .first()
    )
    assert built is not None and built.request_id == given
    assert audit.verify().ok


def test_gunicorn_s_own_lines_are_json_too_and_it_writes_no_access_line():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")  # even asked for, there is none: the app's line replaces it
    stream = io.StringIO()
    handler = logs.configure("json", stream=stream)
    try:
        gunicorn_log = logs.GunicornLogger(config)
        gunicorn_log.info("Booting worker with pid: %s", 4242)
        gunicorn_log.access(None, None, {"QUERY_STRING": "token=abc"}, None)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger("gunicorn.error").propagate = False
    (line,) = lines(stream)
    assert line["logger"] == "gunicorn.error" and line["message"] == "Booting worker with pid: 4242"
    assert not gunicorn_log.access_log_enabled
