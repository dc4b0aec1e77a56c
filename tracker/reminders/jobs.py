"""The reminder jobs on RQ: the daily sweep, and deliveries retried with backoff.

The schedule is RQ's own (``tracker scheduler`` runs RQ's cron scheduler; the
worker runs with RQ's scheduler for retries). Two schedulers may both enqueue
a sweep: a short Redis lock lets only one run, and the ledger's keys make any
later sweep on the same day add nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from redis import Redis
from rq import Queue, Retry, get_current_job

from tracker import audit, config, db, evidence_items
from tracker.audit import keys as audit_keys
from tracker.plugin_host import Catalogue, load_catalogue_for
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences

QUEUE_NAME = "tracker"
MESSAGES_PER_JOB = 50
SWEEP_LOCK_SECONDS = 15 * 60
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
    """Queue every deliverable message, in batches sharing one SMTP connection each."""
    messages = ledger.messages(load_preferences())
    target = queue(settings, connection)
    for start in range(0, len(messages), MESSAGES_PER_JOB):
        batch = [vars(m) for m in messages[start : start + MESSAGES_PER_JOB]]
        target.enqueue(deliver_job, batch, retry=retry_policy(settings), job_timeout=600)
    return len(messages)


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
            result = sweep(day, catalogue, settings)
            queued = enqueue_deliveries(settings, connection)
            audit_checkpoint(settings)
        evidence_items.sweep_interrupted_uploads(
            settings.evidence_dir, settings.upload_temp_max_age_hours
        )
    finally:
        connection.delete(lock)
    return {
        "as_of": day.isoformat(),
        "items": len(result.items),
        "new": result.new,
        "messages": queued,
    }


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
