"""`tracker worker` and `tracker scheduler` with TRACKER_LOG_FORMAT=json: every line they log is
JSON, and a job's lines, RQ's about that job included, carry the id of the request that queued
it."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

from redis import Redis
from rq import Queue

from tracker.operations import request_id
from tracker.reminders import jobs

TRACKER = [sys.executable, "-m", "tracker.cli"]
WAIT = 30  # seconds: a bound on hanging


def job_that_logs(word: str) -> str:
    logging.getLogger("tests.operations.job").info("working on %s", word)
    return word


def environment(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_ENV="testing",
        TRACKER_DATA_DIR=str(settings.data_dir),
        TRACKER_DATABASE_URL=settings.database_url,
        TRACKER_REDIS_URL=settings.redis_url,
        TRACKER_EVIDENCE_DIR=str(settings.evidence_dir),
        TRACKER_AGENCY_COUNTRIES=",".join(settings.agency_countries),
        TRACKER_BINDING=",".join(f"{k}={v}" for k, v in settings.binding.items()),
        TRACKER_LOG_FORMAT="json",
    )
    return env


def json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # fails on any line that is not JSON


def test_the_worker_logs_json_with_the_queuing_request_s_id(settings, migrated):
    redis = Redis.from_url(settings.redis_url)
    redis.flushdb()
    with request_id.bound("queued-by-req-77"):
        job = Queue(jobs.QUEUE_NAME, connection=redis).enqueue(
            job_that_logs, "alpha", meta=request_id.job_meta()
        )
    done = subprocess.run(
        [*TRACKER, "worker", "--burst"],
        check=False,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
    )
    redis.flushdb()
    assert done.returncode == 0, done.stderr
    logged = json_lines(done.stderr)
    assert not done.stdout.strip()
    (working,) = [x for x in logged if x["logger"] == "tests.operations.job"]
    assert working["request_id"] == "queued-by-req-77"
    about_the_job = [x for x in logged if x["logger"] == "rq.worker" and "Job OK" in x["message"]]
    assert about_the_job and {x["request_id"] for x in about_the_job} == {"queued-by-req-77"}
    assert job.id in " ".join(x["message"] for x in about_the_job)


def test_the_scheduler_logs_json(settings, migrated, tmp_path):
    errors, output = tmp_path / "stderr", tmp_path / "stdout"
    with open(errors, "w") as err, open(output, "w") as out:
        process = subprocess.Popen(
            [*TRACKER, "scheduler"], env=environment(settings), stdout=out, stderr=err
        )
    try:
        deadline = time.monotonic() + WAIT
        while "starting" not in errors.read_text() + output.read_text():
            assert process.poll() is None and time.monotonic() < deadline, errors.read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT)
    logged = json_lines(errors.read_text())
    assert any(x["logger"] == "rq.cron" and "starting" in x["message"] for x in logged)
    assert output.read_text().startswith("daily sweep at ")  # what it says, not a log line
