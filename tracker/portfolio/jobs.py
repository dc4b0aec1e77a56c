"""The portfolio's nightly job: today's rows computed just after midnight by the worker, so
that the first reader of the day does not wait for the whole agency to be recomputed, and the
completeness chart's kept points brought up to date (a new month's first point, the systems
written to the day before)."""

from __future__ import annotations

import logging
import time
from datetime import date

from tracker import db
from tracker.portfolio import chart_points, index
from tracker.reminders import jobs as worker_jobs

log = logging.getLogger(__name__)
CRON = "1 0 * * *"  # one minute past midnight


def refresh_job(as_of: str | None = None) -> dict:
    """Bring the date's rows (default: today's, and then the chart's kept points) up to date;
    how many systems and points it recomputed."""
    settings, catalogue = worker_jobs.context()
    day = date.fromisoformat(as_of) if as_of else date.today()
    started = time.perf_counter()
    with db.database.connection_context():
        recomputed = index.ensure(day, catalogue, settings.expiring_soon_days, wait=True).recomputed
        points = 0
        if as_of is None:
            points = chart_points.refresh(day, catalogue, settings.expiring_soon_days)
    seconds = round(time.perf_counter() - started, 1)
    log.info(
        "portfolio of %s: %d systems and %d chart points recomputed in %s s",
        day,
        recomputed,
        points,
        seconds,
    )
    return {
        "as_of": day.isoformat(),
        "systems": recomputed,
        "chart_points": points,
        "seconds": seconds,
    }
