"""Worker faults: the schedulers outlive a Redis outage (issue 12, item 8).

A Redis server of the test's own (``redis-server`` on a free port, nothing saved) is killed and
started again on the same port while a real ``tracker worker`` or the sweep's cron scheduler
runs in another process; the shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import JobStatus
from rq.scheduler import RQScheduler

from tests.services import free_port
from tracker.reminders import jobs

NOTHING_KEPT = ["--save", "", "--appendonly", "no"]
WAIT = 60  # seconds: a deadline for something that takes one or two, never a measured time


class OwnRedis:
    """A throw-away redis-server that the test may kill and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is needed (Debian: apt-get install redis-server)"
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", *NOTHING_KEPT],
            stdout=subprocess.DEVNULL,
        )
        until(self.answers, "the test's Redis to start")

    def answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except RedisError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # an outage, not a clean shutdown
        self.process.wait()
        self.process = None


def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {WAIT} s"
        time.sleep(0.1)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    if server.process is not None:
        server.kill()


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("did not stop on SIGTERM") from None


def logged(path: Path, *texts: str) -> Callable[[], bool]:
    return lambda: any(text in path.read_text(errors="replace") for text in texts)


def test_the_worker_s_retry_scheduler_outlives_a_redis_outage(
    migrated, worker_environment, own_redis, monkeypatch, tmp_path
):
    monkeypatch.setenv("TRACKER_REDIS_URL", own_redis.url)
    output = tmp_path / "worker.log"
    tracker = Path(sys.executable).with_name("tracker")
    with output.open("wb") as out:
        worker = subprocess.Popen([tracker, "worker"], stdout=out, stderr=subprocess.STDOUT)
    try:
        redis = Redis.from_url(own_redis.url)
        lock = RQScheduler.get_locking_key(jobs.QUEUE_NAME)
        until(lambda: redis.exists(lock), "the worker's scheduler to take its lock")

        own_redis.kill()
        # RQ's scheduler notices within its one-second interval: it dies with a traceback, or
        # (fixed) says it lost Redis and waits.
        until(
            logged(output, "retry scheduler lost Redis", "raised an exception"),
            "the scheduler to notice",
        )
        own_redis.start()  # empty: the restarted Redis lost every key, the lock included

        # A delayed job is what a retry is: only the scheduler moves it to the queue.
        delayed = Queue(jobs.QUEUE_NAME, connection=redis).enqueue_in(
            timedelta(seconds=1), os.getpid
        )
        until(
            lambda: delayed.get_status(refresh=True) == JobStatus.FINISHED,
            "the delayed job to be queued by the scheduler and run by the worker",
        )
        text = output.read_text(errors="replace")
        assert "raised an exception" not in text and "Traceback" not in text
        assert "retry scheduler lost Redis" in text
        assert worker.poll() is None
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n--- worker output:\n{output.read_text()}") from None
    finally:
        if worker.poll() is None:
            assert stop(worker) == 0


SCHEDULER = """
import os, sys
from redis import Redis
from tracker.reminders import jobs

cron = jobs.SweepScheduler(connection=Redis.from_url(sys.argv[1]))
cron.register(os.getpid, queue_name="cron-faults", interval=1)
cron.start()
"""


def test_the_cron_scheduler_outlives_a_redis_outage_and_stops_on_sigterm(own_redis, tmp_path):
    """``tracker scheduler`` runs jobs.SweepScheduler; here it queues a job every second instead
    of the daily sweep, so that the outage is met at once rather than within the minute."""
    output = tmp_path / "scheduler.log"
    with output.open("wb") as out:
        scheduler = subprocess.Popen(
            [sys.executable, "-c", SCHEDULER, own_redis.url], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        redis = Redis.from_url(own_redis.url)
        queued = Queue("cron-faults", connection=redis)
        until(lambda: queued.count > 0, "the cron scheduler to queue its job")

        own_redis.kill()
        until(
            logged(output, "cron scheduler lost Redis", "Traceback"), "the cron scheduler to notice"
        )
        own_redis.start()

        until(lambda: queued.count > 0, "the cron scheduler to queue its job again")
        assert scheduler.poll() is None
        text = output.read_text(errors="replace")
        assert "Traceback" not in text and "cron scheduler lost Redis" in text
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n--- scheduler output:\n{output.read_text()}") from None
    finally:
        if scheduler.poll() is None:
            assert stop(scheduler) == 0
