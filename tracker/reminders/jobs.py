"""The reminder jobs on RQ: the daily sweep, and deliveries retried with backoff.

The schedule is RQ's own (``tracker scheduler`` runs RQ's cron scheduler; the
worker runs with RQ's scheduler for retries). Two schedulers may both enqueue
a sweep: a short Redis lock lets only one run, and the ledger's keys make any
later sweep on the same day add nothing.

Both schedulers outlive a Redis outage: RQ's own stop at the first connection
error (the worker's retry scheduler only comes back at the worker's next
maintenance, ten minutes on, the cron scheduler never), so each runs here under a
loop that logs one line, waits with a growing pause and starts it again.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Retry, Worker, get_current_job
from rq.cron import CronScheduler
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler

from tracker import audit, config, db, evidence_items, i18n
from tracker.audit import keys as audit_keys
from tracker.operations import request_id
from tracker.plugin_host import Catalogue, load_catalogue_for
from tracker.reminders import ledger, mail, retention
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences

QUEUE_NAME = "tracker"
SWEEP_LOCK_SECONDS = 15 * 60
# When a sweep last finished (Unix time), for /metrics in the web processes (tracker.operations).
LAST_SWEEP_KEY = "tracker:last-sweep-finished"
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)  # BusyLoadingError is a ConnectionError
FIRST_PAUSE = 1.0  # seconds before the first new try after Redis went away
LONGEST_PAUSE = 30.0
T = TypeVar("T")
log = logging.getLogger(__name__)

_context: tuple[config.Settings, Catalogue] | None = None


def context() -> tuple[config.Settings, Catalogue]:
    """Settings, a bound database and the catalogue, made once per worker process.

    Raises ConfigError when the settings are wrong, including jurisdictions or requirements
    that no plugin provides; plugin problems are logged here, once per process.
    """
    global _context
    if _context is None:
        settings = config.from_environ()
        catalogue = load_catalogue_for(settings)
        for problem in catalogue.problems:
            log.warning("%s (the rest keeps working)", problem)
        db.bind(settings.database_url)
        # Compiled and loaded here, once: the worker forks each job's process from this one.
        templates = mail.environment(settings)
        for name in ("digest.txt.j2", "digest.html.j2"):
            templates.get_template(name)
        i18n.load_every_language(settings.timezone)
        _context = (settings, catalogue)
    return _context


def redis_connection(settings: config.Settings) -> Redis:
    return Redis.from_url(settings.redis_url)


def queue(settings: config.Settings, connection: Redis | None = None) -> Queue:
    return Queue(QUEUE_NAME, connection=connection or redis_connection(settings))


def retry_policy(settings: config.Settings) -> Retry:
    return Retry(max=len(settings.retry_intervals), interval=list(settings.retry_intervals))


def agency_today(settings: config.Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def enqueue_deliveries(settings: config.Settings, connection: Redis) -> int:
    """Queue every deliverable message, in jobs of ``TRACKER_DELIVERY_BATCH`` sharing one SMTP
    connection each."""
    target = queue(settings, connection)
    queued = 0
    # A batch at a time as the ledger streams them: never every message of the day in memory.
    messages = ledger.iter_messages(load_preferences())
    while batch := [vars(m) for m in itertools.islice(messages, settings.delivery_batch)]:
        target.enqueue(deliver_job, batch, retry=retry_policy(settings), job_timeout=600)
        queued += len(batch)
    return queued


def sweep_job(as_of: str | None = None) -> dict:
    """The scheduled sweep: record today's reminders, then queue their delivery."""
    settings, catalogue = context()
    day = date.fromisoformat(as_of) if as_of else agency_today(settings)
    connection = redis_connection(settings)
    lock = f"tracker:sweep-running:{day.isoformat()}"
    if not connection.set(lock, "1", nx=True, ex=SWEEP_LOCK_SECONDS):
        log.info("sweep for %s already running elsewhere; skipped", day)
        return {"as_of": day.isoformat(), "skipped": True}
    try:
        with db.database.connection_context():
            # Counts only: the day's items and plan are recorded a chunk at a time, not kept.
            result = sweep(day, catalogue, settings, keep=False)
            items, new = result.item_count, result.new
            queued = enqueue_deliveries(settings, connection)
            prune_ledger(day, settings)
            audit_checkpoint(settings)
        evidence_items.sweep_interrupted_uploads(
            settings.evidence_dir, settings.upload_temp_max_age_hours, settings.evidence_url
        )
        connection.set(LAST_SWEEP_KEY, f"{time.time():.3f}")
    finally:
        connection.delete(lock)
    return {
        "as_of": day.isoformat(),
        "items": items,
        "new": new,
        "messages": queued,
    }


def prune_ledger(day: date, settings: config.Settings) -> None:
    """Ledger days older than the retention, summarised in the audit trail and deleted
    (tracker.reminders.retention). Before the checkpoint, which then covers their summaries;
    a problem is logged but never stops the sweep."""
    try:
        pruned = retention.prune(day, settings)
    except Exception:  # the sweep's work is done: the next sweep tries again
        log.exception("reminder ledger not pruned")
        return
    if pruned.days:
        log.info(
            "reminder ledger: %d rows of %d sweep days before %s pruned, summarised in the audit trail",
            pruned.rows,
            len(pruned.days),
            pruned.cutoff,
        )


def audit_checkpoint(settings: config.Settings) -> None:
    """The daily signed checkpoint of the audit trail, written outside the database
    (tracker.audit.checkpoints). A problem is logged loudly but never stops the sweep."""
    ring = audit_keys.keyring_for(settings)
    if ring.newest is None:
        log.warning("the audit trail is NOT protected: no audit key is configured, no checkpoint")
        return
    try:
        made = audit.checkpoint("scheduler", ring, settings.audit_checkpoint_file)
    except audit.ChainBroken as broken:
        log.error("the audit chain does not verify, no checkpoint: %s", broken.report.problem)
    except (config.ConfigError, OSError) as error:
        log.error("no audit checkpoint written: %s", error)
    else:
        log.info("audit checkpoint %s: events 1 to %s", made.checkpoint, made.last_id)


def deliver_job(batch: list[dict]) -> dict:
    """Send one batch; RQ retries it with backoff, and the last attempt leaves failures visible."""
    settings, _ = context()
    job = get_current_job()
    final = job is None or not job.retries_left
    with db.database.connection_context():
        result = deliver([ledger.Message(**m) for m in batch], settings, final_attempt=final)
    return vars(result)


def _patiently(
    run: Callable[[], T], stopped: Callable[[], bool], what: str, logger: logging.Logger
) -> T:
    """``run()``, tried again after each Redis outage until it gets through; StopRequested when a
    stop is requested meanwhile.

    One log line per failed try, with the pause before the next (1 s doubling to 30 s); the
    pause is cut short by a stop request, so a stopping process is not kept waiting.
    """
    pause = FIRST_PAUSE
    while not stopped():
        started = time.monotonic()
        try:
            return run()
        except REDIS_DOWN as error:
            if time.monotonic() - started > LONGEST_PAUSE:
                pause = FIRST_PAUSE  # it ran a good while: a new outage, not the same one
            logger.warning(
                "%s lost Redis (%s: %s); trying again in %.0f s",
                what,
                type(error).__name__,
                error,
                pause,
            )
            deadline = time.monotonic() + pause
            while not stopped() and time.monotonic() < deadline:
                time.sleep(min(0.2, pause))
            pause = min(pause * 2, LONGEST_PAUSE)
    raise StopRequested()


class RetryScheduler(RQScheduler):
    """RQ's scheduler for retries and delayed jobs, which the worker forks, surviving outages."""

    def work(self) -> None:
        # RQ's loop re-acquires its queue locks and re-registers as it starts, and its heartbeat
        # takes back a lock that expired (or vanished with a restarted Redis) meanwhile.
        with contextlib.suppress(StopRequested):
            _patiently(super().work, lambda: self._stop_requested, "retry scheduler", self.log)
        if self._stop_requested and self._status != self.Status.STOPPED:
            with contextlib.suppress(*REDIS_DOWN):  # stopped while Redis was away: locks expire
                self.stop()


class ReminderWorker(Worker):
    """RQ's worker, waiting for Redis to come back wherever its loop meets an outage (RQ's own
    waits only while it dequeues, and quits on one anywhere else), with the retry scheduler
    above instead of RQ's."""

    def _patiently(self, run: Callable[[], T]) -> T:
        return _patiently(run, lambda: self._stop_requested, f"worker {self.name}", self.log)

    def execute_job(self, job: Job, queue: Queue) -> None:
        # RQ's lines about the job (done, failed, retried), in this process and the work horse
        # it forks, carry the id of the request that queued it, as the job's own lines and
        # audit events do (tracker.operations.request_id).
        with request_id.bound(job.meta.get(request_id.META_KEY, "")):
            super().execute_job(job, queue)

    def check_for_suspension(self, burst: bool) -> None:
        self._patiently(lambda: super(ReminderWorker, self).check_for_suspension(burst))

    def run_maintenance_tasks(self) -> None:
        self._patiently(super().run_maintenance_tasks)

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        return self._patiently(
            lambda: super(ReminderWorker, self).dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        )

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        if pipeline is not None:  # part of a larger write, which meets the outage itself
            super().heartbeat(timeout, pipeline)
            return
        self._patiently(lambda: super(ReminderWorker, self).heartbeat(timeout))

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        # As RQ's own (rq 2.x/3.x), whose scheduler class is not a parameter.
        self.scheduler = RetryScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()


class SweepScheduler(CronScheduler):
    """RQ's cron scheduler (``tracker scheduler``), surviving outages.

    A sweep that fell due while Redis was away is queued as soon as it is back: the time it is
    due stays in memory, not in Redis.
    """

    def start(self) -> None:
        self._stopping = False
        try:
            _patiently(super().start, lambda: self._stopping, "cron scheduler", self.log)
        except (StopRequested, KeyboardInterrupt):  # signalled during a pause between tries
            self.log.info("CronScheduler %s: stopped while Redis was away", self.name)

    def _request_stop(self, signum, frame) -> None:
        # RQ's start() turns the signal into a clean return, unless Redis is down as it
        # deregisters: the flag keeps that from counting as an outage to outlive.
        self._stopping = True
        super()._request_stop(signum, frame)
