"""The portfolio's nightly jobs, run by the worker on the scheduler's cron: today's rows just
after midnight, so that the first reader of the day does not wait for the whole agency to be
recomputed; then the system page chart's kept points (those of the systems written to the day
before; every system's on the night after a month starts, an agency-wide item or a catalogue
change), in a job of their own, with a timeout of their own; and every ten minutes, the kept
answers of the systems written to since (every system's just after midnight)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

from tracker import db
from tracker.plugin_host import Catalogue
from tracker.portfolio import answers, chart_points, index
from tracker.reminders import jobs as worker_jobs

log = logging.getLogger(__name__)
CRON = "1 0 * * *"  # one minute past midnight
CHART_CRON = "31 0 * * *"  # after the rows: both use every core
# Twelve full recomputes when every point is stale: minutes at national scale, never more.
CHART_TIMEOUT = 3 * 3600
# Each system's answer for today: all of them after midnight (a few minutes at national scale),
# then those written to or due to change since (an agency-wide item: all of them again).
ANSWERS_CRON = "*/10 * * * *"
ANSWERS_TIMEOUT = 1800


def refresh_job(as_of: str | None = None) -> dict:
    """Bring the date's rows (default: today's) up to date; how many systems it recomputed."""
    day = date.fromisoformat(as_of) if as_of else date.today()
    return _timed(
        "systems",
        "portfolio of %s: %d systems recomputed in %s s",
        day,
        lambda days, catalogue: index.ensure(day, catalogue, days, wait=True).recomputed,
    )


def chart_points_job() -> dict:
    """Compute the chart's missing and stale kept points; how many."""
    today = date.today()
    return _timed(
        "chart_points",
        "chart points of %s: %d recomputed in %s s",
        today,
        lambda days, catalogue: chart_points.refresh(today, catalogue, days),
    )


def answers_job() -> dict:
    """Compute today's missing and stale kept answers; how many."""
    today = date.today()
    return _timed(
        "answers",
        "kept answers of %s: %d recomputed in %s s",
        today,
        lambda days, catalogue: answers.refresh(today, catalogue, days),
    )


def _timed(what: str, message: str, day: date, compute: Callable[[int, Catalogue], int]) -> dict:
    """Run ``compute`` (given the expiring-soon lead and the catalogue) with a connection of its
    own, log how many it computed and in how long, and return both as the job's result."""
    settings, catalogue = worker_jobs.context()
    started = time.perf_counter()
    with db.database.connection_context():
        count = compute(settings.expiring_soon_days, catalogue)
    seconds = round(time.perf_counter() - started, 1)
    log.info(message, day, count, seconds)
    return {"as_of": day.isoformat(), what: count, "seconds": seconds}
