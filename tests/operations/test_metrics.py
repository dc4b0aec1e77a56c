"""/metrics: what it counts, what it reads at scrape time, who may read it, and `tracker serve`'s
worker processes counting together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from tests import sample_files
from tests.factories import profile, upload_form
from tests.services import free_port, redis_url_for_this_worker
from tracker import config
from tracker.app import create_app
from tracker.models import Notification
from tracker.reminders import jobs, ledger

TOKEN = "metrics-token-0123456789-abcdef"
DURATION = "tracker_http_request_duration_seconds"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/plain"
    return samples(answer.get_data(as_text=True))


def request(client, method: str, path: str, **kwargs):
    # A WSGI server closes each response; the test client leaves that to the caller, and the
    # duration is observed when the response body is closed.
    answer = client.open(path, method=method, **kwargs)
    answer.close()
    return answer


@pytest.fixture
def redis(settings) -> Redis:
    connection = Redis.from_url(settings.redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_an_api_request_is_timed_under_its_route_not_its_path(client, auth):
    system = client.post("/api/systems", json=profile(), headers=auth("legal")).json["id"]
    route = "/api/systems/<int:system_id>"
    before = scrape(client)
    request(client, "GET", f"/api/systems/{system}", headers=auth("viewer"))
    request(client, "GET", f"/api/systems/{system + 1000}", headers=auth("viewer"))
    request(client, "GET", "/no/such/page")
    after = scrape(client)

    def count(**labels: str) -> float:
        return value(after, f"{DURATION}_count", **labels) - value(
            before, f"{DURATION}_count", **labels
        )

    assert count(route=route, method="GET", status="2xx") == 1
    assert count(route=route, method="GET", status="4xx") == 1
    assert count(route="(unmatched)", method="GET", status="4xx") == 1
    inf = value(after, f"{DURATION}_bucket", route=route, method="GET", status="2xx", le="+Inf")
    assert inf == value(after, f"{DURATION}_count", route=route, method="GET", status="2xx")
    assert not any(f"/api/systems/{system}" in dict(labels).get("route", "") for _, labels in after)


def test_an_upload_counts_its_files_and_bytes(client, auth):
    system = client.post("/api/systems", json=profile(), headers=auth("legal")).json["id"]
    first, second = sample_files.pdf("Assessment one"), sample_files.pdf("Assessment two, longer")
    before = scrape(client)
    created = request(
        client,
        "POST",
        "/api/evidence",
        data=upload_form(system_ids=[system], files=[(first, "a.pdf"), (second, "b.pdf")]),
        headers=auth("legal"),
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    refused = request(
        client,
        "POST",
        "/api/evidence",
        data=upload_form(system_ids=[system], files=[(b"", "empty.pdf")]),
        headers=auth("legal"),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    after = scrape(client)
    assert (
        value(after, "tracker_evidence_uploads_total")
        - value(before, "tracker_evidence_uploads_total")
        == 2
    )
    assert value(after, "tracker_evidence_upload_bytes_total") - value(
        before, "tracker_evidence_upload_bytes_total"
    ) == len(first) + len(second)


def test_reminders_are_counted_by_state(client, migrated):
    for number, state in enumerate(["pending", "pending", "sent", "sent", "sent", "failed"]):
        Notification.create(
            key=f"dpo@police.example|item-{number}|30",
            recipient="dpo@police.example",
            kind="expiring",
            item_key=f"item-{number}",
            window="30",
            sweep_date=date(2026, 11, 27),
            state=state,
        )
    found = scrape(client)
    counts = {state: value(found, "tracker_reminders", state=state) for state in ledger.STATES}
    assert counts == {"pending": 2, "sending": 0, "sent": 3, "failed": 1, "obsolete": 0}


def test_queue_depth_and_failed_jobs_are_read_from_redis(client, settings, redis):
    queue = jobs.queue(settings, redis)
    for _ in range(3):
        queue.enqueue("builtins.print", "never run")
    found = scrape(client)
    assert value(found, "tracker_queue_jobs", queue=jobs.QUEUE_NAME) == 3
    assert value(found, "tracker_queue_failed_jobs", queue=jobs.QUEUE_NAME) == 0
    assert value(found, "tracker_metrics_source_up", source="redis") == 1


def test_the_last_sweep_is_the_time_the_sweep_job_finished(client, settings, redis, monkeypatch):
    assert "tracker_last_sweep_timestamp_seconds" not in {name for name, _ in scrape(client)}
    for name, setting in {
        "TRACKER_ENV": "testing",
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_REDIS_URL": settings.redis_url,
    }.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setattr(jobs, "_context", None)
    started = time.time()
    assert "skipped" not in jobs.sweep_job("2026-11-27")
    finished = value(scrape(client), "tracker_last_sweep_timestamp_seconds")
    assert started <= finished <= time.time()


def test_the_last_audit_verification_is_the_newest_checkpoint(client, settings):
    found = scrape(client)
    assert "tracker_last_audit_verification_timestamp_seconds" not in {n for n, _ in found}
    settings.audit_checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
    settings.audit_checkpoint_file.write_text(
        '{"checkpoint": 1, "events": 3, "last_id": 3, "head_hash": "aa", "key_id": "k", '
        '"made_at": "2026-11-26T07:00:02Z", "signature": "s"}\n'
        "a damaged line\n"
        '{"checkpoint": 2, "events": 5, "last_id": 5, "head_hash": "bb", "key_id": "k", '
        '"made_at": "2026-11-27T07:00:02Z", "signature": "s"}\n'
    )
    found = scrape(client)
    expected = datetime(2026, 11, 27, 7, 0, 2, tzinfo=UTC).timestamp()
    assert value(found, "tracker_last_audit_verification_timestamp_seconds") == expected


def test_integrity_failures_are_counted(app, client, auth):
    system = client.post("/api/systems", json=profile(), headers=auth("legal")).json["id"]
    item = client.post(
        "/api/evidence",
        data=upload_form(system_ids=[system]),
        headers=auth("legal"),
        content_type="multipart/form-data",
    ).json
    stored = item["files"][0]
    before = value(scrape(client), "tracker_evidence_integrity_failures_total")
    path = app.extensions["tracker"].store.path_for(stored["sha256"])
    path.chmod(0o640)
    path.write_bytes(b"altered on disk")
    url = f"/api/evidence/{item['id']}/files/{stored['id']}/content"
    assert request(client, "GET", url, headers=auth("legal")).status_code == 500
    after = value(scrape(client), "tracker_evidence_integrity_failures_total")
    assert after - before == 1


# --- Who may read -------------------------------------------------------------------------------


def status(app, address: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    answer = app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": address}
    )
    return answer.status_code


def test_a_scraper_asking_for_openmetrics_gets_it(client):
    answer = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert answer.status_code == 200
    assert answer.mimetype == "application/openmetrics-text"
    assert answer.get_data(as_text=True).endswith("# EOF\n")
    plain = client.get("/metrics")
    assert plain.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


def test_with_no_setting_only_loopback_reads(app):
    assert status(app, "127.0.0.1") == 200
    assert status(app, "::1") == 200
    assert status(app, "10.0.0.7") == 403
    assert status(app, "203.0.113.9", TOKEN) == 403


def test_loopback_through_an_untrusted_proxy_is_not_this_machine(settings, migrated):
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    app = create_app(settings)
    answer = app.test_client().get("/metrics", headers=forwarded)
    assert answer.status_code == 403  # nginx on this machine, any client behind it
    trusting = create_app(settings, trusted_proxies=1)
    assert trusting.test_client().get("/metrics", headers=forwarded).status_code == 403
    local = {"X-Forwarded-For": "127.0.0.1"}
    assert trusting.test_client().get("/metrics", headers=local).status_code == 200


def test_networks_limit_who_reads(settings, migrated):
    app = create_app(settings, metrics_networks="10.0.0.0/8, 192.0.2.5")
    assert status(app, "10.20.30.40") == 200
    assert status(app, "192.0.2.5") == 200
    assert status(app, "192.0.2.6") == 403
    assert status(app, "127.0.0.1") == 403  # the networks replace the loopback default


def test_a_token_is_required_when_one_is_set(settings, migrated):
    app = create_app(settings, metrics_token=TOKEN)
    assert status(app, "203.0.113.9", TOKEN) == 200
    assert status(app, "127.0.0.1") == 401
    assert status(app, "203.0.113.9", "wrong") == 401
    answer = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_with_both_set_both_must_be_met(settings, migrated):
    app = create_app(settings, metrics_token=TOKEN, metrics_networks="10.0.0.0/8")
    assert status(app, "10.1.1.1", TOKEN) == 200
    assert status(app, "10.1.1.1") == 401
    assert status(app, "203.0.113.9", TOKEN) == 403


def test_a_network_that_is_not_one_stops_the_app(settings, migrated):
    with pytest.raises(config.ConfigError, match="TRACKER_METRICS_NETWORKS"):
        create_app(settings, metrics_networks="10.0.0.0/8,intranet")


def test_metrics_say_nothing_secret(settings, migrated):
    password = "hunter2-redis-password"
    app = create_app(
        settings,
        metrics_token=TOKEN,
        redis_url=f"redis://:{password}@127.0.0.1:{free_port()}/0",
        secret_key="a-session-secret-that-must-not-leak-0123456789",
    )
    answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert 'tracker_metrics_source_up{source="redis"} 0.0' in body
    for secret in (TOKEN, password, "a-session-secret-that-must-not-leak", settings.database_url):
        assert secret not in body


# --- tracker serve: two worker processes ----------------------------------------------------------


def test_serve_adds_up_every_worker_process_also_those_that_exited(tmp_path, services):
    """Counts from workers that were stopped (and replaced by gunicorn) are still in the sum."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "PROMETHEUS"))}
    env.update(
        HOME=str(tmp_path),
        TRACKER_ENV="testing",
        TRACKER_DATA_DIR=str(data),
        TRACKER_DATABASE_URL=f"sqlite:///{data / 'tracker.db'}",
        TRACKER_REDIS_URL=redis_url_for_this_worker(services.redis_url),
    )
    tracker = [sys.executable, "-m", "tracker.cli"]
    subprocess.run([*tracker, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    folder = data / "metrics" / f"127-0-0-1-{port}"
    folder.mkdir(parents=True)
    (folder / "histogram_1.db").write_bytes(b"left over from a previous run")
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [*tracker, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, server, log)
        assert not (folder / "histogram_1.db").exists()
        for _ in range(20):
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        served = pids_counting(folder) - {server.pid}
        assert served
        for pid in served:  # gunicorn starts a new worker for each one stopped
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in served):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        for _ in range(10):
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        answer = httpx.get(f"{base}/metrics", timeout=10)
        assert answer.status_code == 200, answer.text
        found = samples(answer.text)
        healthz = value(found, f"{DURATION}_count", route="/healthz", method="GET", status="2xx")
        assert healthz == 30
        assert value(found, "tracker_metrics_source_up", source="database") == 1
        assert pids_counting(folder) - {server.pid} - served  # the new workers' files
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, log.read_text()
        try:
            httpx.get(f"{base}/readyz", timeout=10)  # not /healthz, whose requests are counted
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start\n" + log.read_text()
            time.sleep(0.1)


def pids_counting(folder: Path) -> set[int]:
    """The processes that timed a request: each writes histogram_<pid>.db."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in folder.glob("histogram_*.db")}


def alive(pid: int) -> bool:
    # A stopped worker is the master's child: once the master reaped it, the pid is gone.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_file_response_stays_the_servers_file_wrapper(tmp_path):
    """Gunicorn sends a download with sendfile() only when the body is its own file wrapper:
    the timer must hand that object on, and still time the response when it is closed."""
    from werkzeug.wsgi import FileWrapper

    from tracker.operations.metrics import RequestTimer, instruments

    served = tmp_path / "file.bin"
    served.write_bytes(b"x" * 100)
    handle = open(served, "rb")  # noqa: SIM115 - closed through the wrapper, as a server does
    body = FileWrapper(handle)

    def wsgi_app(environ, start_response):
        start_response("200 OK", [])
        return body

    def timed() -> float:
        labels = {"route": "(unmatched)", "method": "GET", "status": "2xx"}
        return sum(
            sample.value
            for metric in instruments().duration.collect()
            for sample in metric.samples
            if sample.name == f"{DURATION}_count" and sample.labels == labels
        )

    before = timed()
    environ = {"REQUEST_METHOD": "GET", "wsgi.file_wrapper": FileWrapper}
    answer = RequestTimer(wsgi_app)(environ, lambda status, headers, exc_info=None: None)
    assert answer is body
    answer.close()
    assert handle.closed
    assert timed() == before + 1
