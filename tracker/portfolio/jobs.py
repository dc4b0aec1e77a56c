"""The portfolio's nightly job: today's rows computed just after midnight by the worker, so
that the first reader of the day does not wait for the whole agency to be recomputed."""

from __future__ import annotations

import logging
import time
from datetime import date

from tracker import db
from tracker.portfolio import index
from tracker.reminders import jobs as worker_jobs

log = logging.getLogger(__name__)
CRON = "1 0 * * *"  # one minute past midnight


def refresh_job(as_of: str | None = None) -> dict:
    """Bring the date's rows (default: today's) up to date; how many systems it recomputed."""
    settings, catalogue = worker_jobs.context()
    day = date.fromisoformat(as_of) if as_of else date.today()
    started = time.perf_counter()
    with db.database.connection_context():
        recomputed = index.ensure(day, catalogue, settings.expiring_soon_days, wait=True).recomputed
    seconds = round(time.perf_counter() - started, 1)
    log.info("portfolio of %s: %d systems recomputed in %s s", day, recomputed, seconds)
    return {"as_of": day.isoformat(), "systems": recomputed, "seconds": seconds}
