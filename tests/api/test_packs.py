"""The packs API: built at once when small, by a real RQ worker on Redis otherwise; state and
progress; a download that resumes with a range request; errors as problem documents."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from tracker.models import Pack
from tracker.packs import service
from tracker.reminders import jobs
from tracker.runtime import runtime

TODAY = date.today().isoformat()


@pytest.fixture
def redis(settings) -> Redis:
    connection = Redis.from_url(settings.redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def worker(app, settings, redis, monkeypatch):
    """Runs the queued jobs in this process, with the app's settings and catalogue."""
    with app.app_context():
        monkeypatch.setattr(jobs, "_context", (settings, runtime().catalogue))

    def work() -> None:
        SimpleWorker([Queue(jobs.QUEUE_NAME, connection=redis)], connection=redis).work(burst=True)

    return work


def fetch(client, url: str, headers: dict):
    """A download, its file closed once read."""
    with client.get(url, headers=headers) as response:
        response.data  # noqa: B018 - read before the file closes
        return response


def test_a_small_pack_is_built_at_once(client, demo_agency, auth, tmp_path):
    made = client.post("/api/systems/1/packs", json={"as_of": TODAY}, headers=auth("auditor"))
    assert made.status_code == 201, made.json
    pack = made.json
    assert made.headers["Location"].endswith(f"/api/packs/{pack['id']}")
    assert pack["state"] == "ready" and pack["progress"] == 100
    assert pack["system_id"] == 1 and pack["as_of"] == TODAY
    assert pack["requested_by"] == "auditor-user"
    download = fetch(client, pack["download_url"], auth("auditor"))
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/zip"
    assert hashlib.sha256(download.data).hexdigest() == pack["sha256"]
    assert len(download.data) == pack["size"]
    listed = client.get("/api/systems/1/packs", headers=auth("viewer")).json
    assert [p["id"] for p in listed] == [pack["id"]]


def test_an_interrupted_download_resumes_with_a_range(client, demo_agency, auth):
    pack = client.post("/api/systems/1/packs", json={}, headers=auth("dpo")).json
    whole = fetch(client, pack["download_url"], auth("dpo")).data
    middle = len(whole) // 2
    rest = fetch(
        client,
        pack["download_url"],
        {**auth("dpo"), "Range": f"bytes={middle}-", "If-Range": f'"{pack["sha256"]}"'},
    )
    assert rest.status_code == 206
    assert rest.headers["Content-Range"] == f"bytes {middle}-{len(whole) - 1}/{len(whole)}"
    assert whole[:middle] + rest.data == whole


def test_the_agency_pack_is_built_by_the_worker(client, demo_agency, auth, worker):
    asked = client.post("/api/packs", json={"as_of": TODAY}, headers=auth("dpo"))
    assert asked.status_code == 202, asked.json
    pack = asked.json
    assert pack["state"] == "queued" and pack["download_url"] is None
    early = client.get(f"/api/packs/{pack['id']}/content", headers=auth("dpo"))
    assert early.status_code == 409
    assert early.headers["Content-Type"] == "application/problem+json"
    assert "queued" in early.json["detail"]

    worker()
    done = client.get(f"/api/packs/{pack['id']}", headers=auth("viewer")).json
    assert done["state"] == "ready" and done["progress"] == 100 and done["system_id"] is None
    data = fetch(client, done["download_url"], auth("dpo")).data
    assert hashlib.sha256(data).hexdigest() == done["sha256"]
    assert [p["id"] for p in client.get("/api/packs", headers=auth("viewer")).json] == [pack["id"]]


def test_a_large_system_pack_goes_to_the_worker_and_shows_progress(
    client, demo_agency, auth, worker, monkeypatch
):
    monkeypatch.setattr(service, "INLINE_BYTES", 0)
    asked = client.post("/api/systems/1/packs", json={}, headers=auth("legal"))
    assert asked.status_code == 202
    seen = []
    original = Pack.update

    def spy(*args, **kwargs):
        if "done" in kwargs and kwargs.get("state") is None:
            seen.append((kwargs["done"], kwargs["total"]))
        return original(*args, **kwargs)

    monkeypatch.setattr("tracker.packs.records.PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(Pack, "update", spy)
    worker()
    dones = [done for done, _ in seen]
    assert len(seen) > 2 and seen[-1][1] > 0 and dones == sorted(dones)  # it moves forward
    done = client.get(f"/api/packs/{asked.json['id']}", headers=auth("legal")).json
    assert done["state"] == "ready"


def test_bad_input_is_a_problem_naming_the_field(client, demo_agency, auth):
    bad = client.post("/api/systems/1/packs", json={"as_of": "yesterday"}, headers=auth("dpo"))
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "as_of"
    early = client.post("/api/systems/1/packs", json={"as_of": "2001-01-01"}, headers=auth("dpo"))
    assert early.status_code == 404 and "not registered by then" in early.json["detail"]
    assert Pack.select().where(Pack.state == "ready").count() == 0
    assert client.get("/api/packs/999", headers=auth("dpo")).status_code == 404
    assert client.post("/api/systems/999/packs", json={}, headers=auth("dpo")).status_code == 404


def test_a_pack_whose_file_is_gone_says_so(client, demo_agency, auth, settings):
    pack = client.post("/api/systems/1/packs", json={}, headers=auth("dpo")).json
    (settings.pack_dir / Pack.get_by_id(pack["id"]).file_name).unlink()
    gone = fetch(client, pack["download_url"], auth("dpo"))
    assert gone.status_code == 410 and "build the pack again" in gone.json["detail"]


def test_with_redis_down_a_queued_pack_is_a_503_and_recorded_as_failed(
    client, demo_agency, auth, monkeypatch, app
):
    with app.app_context():
        monkeypatch.setattr(
            runtime(),
            "settings",
            runtime().settings.with_overrides(redis_url="redis://127.0.0.1:1/0"),
        )
    answer = client.post("/api/packs", json={}, headers=auth("dpo"))
    assert answer.status_code == 503 and "Redis" in answer.json["detail"]
    assert Pack.get().state == "failed" and "could not queue" in Pack.get().error
