"""CLI: preview, send and inspect reminders; run the RQ worker and the cron scheduler."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from datetime import date

import click

from tracker import db
from tracker.cli import Context, cli_actor, pass_context
from tracker.cli.output import echo, printable
from tracker.cli.params import AS_OF, Number
from tracker.config import ConfigError
from tracker.i18n import N_, ngettext
from tracker.i18n import gettext as _
from tracker.operations import logs
from tracker.portfolio import jobs as portfolio_jobs
from tracker.reminders import jobs, ledger, retention
from tracker.reminders.delivery import DeliveryFailed, deliver, sweep
from tracker.reminders.planning import load_preferences

# The ledger's totals by state, as `reminders history` heads its list.
TOTALS = {
    "sent": N_("sent: %(num)s"),
    "pending": N_("pending: %(num)s"),
    "sending": N_("sending: %(num)s"),
    "failed": N_("failed: %(num)s"),
    "obsolete": N_("obsolete: %(num)s"),
}


def _day(ctx: Context, value: date | None) -> date:
    return value or jobs.agency_today(ctx.settings)


@click.group("reminders")
def reminders_group() -> None:
    """Reminder e-mails: what would go out, send now, and what went out."""


@reminders_group.command("preview")
@click.option("--as-of", type=AS_OF, help="Preview the sweep of this date (default: today).")
@pass_context
def preview(ctx: Context, as_of: date | None) -> None:
    """Show what a sweep would send, to whom, without sending or recording anything."""
    ctx.connect()
    result = sweep(_day(ctx, as_of), ctx.catalogue(), ctx.settings, record=False)
    by_person: dict[str, list] = defaultdict(list)
    for planned in result.planned:
        by_person[planned.recipient.email].append(planned)
    echo(
        _(
            "sweep of %(date)s: %(items)s, %(notifications)s to %(people)s",
            date=result.as_of.isoformat(),
            items=ngettext("%(num)s item", "%(num)s items", len(result.items)),
            notifications=ngettext(
                "%(num)s notification", "%(num)s notifications", len(result.planned)
            ),
            people=ngettext("%(num)s person", "%(num)s people", len(by_person)),
        )
    )
    for email, planned in sorted(by_person.items()):
        name = printable(planned[0].recipient.name or email)
        count = ngettext("%(num)s item", "%(num)s items", len(planned))
        echo(f"\n{name} <{printable(email)}>: {count}")
        for p in sorted(planned, key=lambda p: (p.payload["system_name"] or "", p.kind)):
            due = ", " + _("due %(date)s", date=p.payload["due"]) if p.payload["due"] else ""
            where = printable(p.payload["system_name"] or _("agency"))
            title = printable(p.payload["title"])
            echo(f"  [{p.kind}] {where}: {title} ({p.payload['status']}{due})")


@reminders_group.command("run")
@click.option("--as-of", type=AS_OF, help="Sweep as of this date (default: today).")
@pass_context
def run(ctx: Context, as_of: date | None) -> None:
    """Sweep and send now, without the worker; anything that cannot be sent stays pending."""
    ctx.connect()
    result = sweep(_day(ctx, as_of), ctx.catalogue(), ctx.settings, keep=False)
    messages = ledger.messages(load_preferences())
    closed = (
        ", " + _("%(num)s unsent closed as obsolete", num=result.closed) if result.closed else ""
    )
    echo(
        _(
            "sweep of %(date)s: %(planned)s notifications planned, %(new)s new%(closed)s; "
            "%(emails)s e-mails to send",
            date=result.as_of.isoformat(),
            planned=result.planned_count,
            new=result.new,
            closed=closed,
            emails=len(messages),
        )
    )
    try:
        sent = deliver(messages, ctx.settings, final_attempt=False)
    except DeliveryFailed as error:
        raise click.ClickException(
            _(
                "could not send: %(error)s; the notifications stay pending for the next run or "
                "the worker",
                error=error,
            )
        ) from None
    echo(
        _(
            "sent %(sent)s e-mails (%(skipped)s already handled elsewhere)",
            sent=sent.sent,
            skipped=sent.skipped,
        )
    )


@reminders_group.command("history")
@click.option("--state", type=click.Choice(ledger.STATES))
@click.option("--recipient")
@click.option("--limit", default=50, show_default=True, type=Number(1, db.MAX_ID))
@pass_context
def history(ctx: Context, state: str | None, recipient: str | None, limit: int) -> None:
    """The notification ledger, newest first, with totals by state."""
    ctx.connect()
    totals = ledger.counts()
    echo("  ".join(_(label, num=totals.get(state, 0)) for state, label in TOTALS.items()))
    for row in ledger.find({"state": state, "recipient": recipient}).limit(limit):
        error = ""
        if row.last_error:  # kept after a later success or closing, with the number of tries
            tries = ngettext("%(num)s attempt", "%(num)s attempts", row.attempts)
            error = "  " + _(
                "(%(tries)s, last error: %(error)s)", tries=tries, error=row.last_error
            )
        echo(
            f"{row.id:>6} {row.state:<8} {row.sweep_date} {printable(row.recipient):<32} "
            f"[{row.kind}] {printable(row.payload.get('title', ''))}{printable(error)}"
        )


@reminders_group.command("prune")
@click.option("--as-of", type=AS_OF, help="Prune as of this date (default: today).")
@pass_context
def prune(ctx: Context, as_of: date | None) -> None:
    """Summarise in the audit trail, then delete, ledger days older than the retention
    (TRACKER_REMINDER_LEDGER_RETENTION_DAYS); the daily sweep does it too."""
    ctx.connect()
    pruned = retention.prune(_day(ctx, as_of), ctx.settings, actor=cli_actor())
    if not pruned.days:
        echo(_("nothing to prune before %(date)s", date=pruned.cutoff.isoformat()))
        return
    echo(
        _(
            "%(rows)s ledger rows of %(days)s before %(date)s pruned (%(emails)s e-mails sent), "
            "summarised in the audit trail",
            rows=pruned.rows,
            days=ngettext("%(num)s sweep day", "%(num)s sweep days", len(pruned.days)),
            date=pruned.cutoff.isoformat(),
            emails=pruned.emails,
        )
    )


def _reachable_redis(settings):
    """A Redis connection that answers, or a plain message saying which one does not."""
    from redis.exceptions import RedisError

    where = db.redacted(settings.redis_url)  # a Redis URL may hold a password too
    try:
        connection = jobs.redis_connection(settings)
    except ValueError as error:  # not a redis://, rediss:// or unix:// URL
        raise click.ClickException(
            _("TRACKER_REDIS_URL %(url)s: %(error)s", url=repr(where), error=error)
        ) from None
    try:
        connection.ping()
    except RedisError as error:
        raise click.ClickException(
            _(
                "cannot reach Redis at %(url)s (TRACKER_REDIS_URL): %(error)s. The web app and "
                "API keep working; reminders wait in the ledger until a worker runs.",
                url=where,
                error=error,
            )
        ) from None
    return connection


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then stop.")
@pass_context
def worker(ctx: Context, burst: bool) -> None:
    """Run an RQ worker for reminder jobs (with RQ's scheduler, which runs the retries)."""
    settings = ctx.settings
    logs.configure_for(settings)  # TRACKER_LOG_FORMAT; RQ then adds no output of its own
    ctx.connect()  # nor one whose database is missing or out of date
    ctx.close()
    try:
        jobs.context()  # settings and plugins first: a misconfigured worker must not start
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    connection = _reachable_redis(settings)
    # RQ's worker waits for Redis to come back; its retry scheduler does too (jobs.RetryScheduler)
    jobs.ReminderWorker([jobs.queue(settings, connection)], connection=connection).work(
        with_scheduler=True, burst=burst
    )


@click.command("scheduler")
@pass_context
def scheduler(ctx: Context) -> None:
    """Run RQ's cron scheduler: the daily sweep at TRACKER_SWEEP_TIME in the agency's time zone,
    the portfolio's rows of each new day just after midnight, the chart's points after them and
    the kept answers every ten minutes."""
    settings = ctx.settings
    logs.configure_for(settings)  # TRACKER_LOG_FORMAT; RQ then adds no output of its own
    ctx.catalogue()  # refuses to schedule sweeps for jurisdictions no plugin provides
    os.environ["TZ"] = settings.timezone  # RQ reads cron times in the process's local zone
    time.tzset()
    hour, minute = (int(part) for part in settings.sweep_time.split(":"))
    cron = jobs.SweepScheduler(connection=_reachable_redis(settings))  # outlives Redis outages
    cron.register(
        jobs.sweep_job, queue_name=jobs.QUEUE_NAME, cron=f"{minute} {hour} * * *", job_timeout=1800
    )
    # The portfolio's rows of the new day, before its first reader asks (tracker.portfolio).
    cron.register(
        portfolio_jobs.refresh_job,
        queue_name=jobs.QUEUE_NAME,
        cron=portfolio_jobs.CRON,
        job_timeout=1800,
    )
    # Then the system page chart's kept points (tracker.portfolio.chart_points).
    cron.register(
        portfolio_jobs.chart_points_job,
        queue_name=jobs.QUEUE_NAME,
        cron=portfolio_jobs.CHART_CRON,
        job_timeout=portfolio_jobs.CHART_TIMEOUT,
    )
    # And each system's answer for today, kept for the API (tracker.portfolio.answers).
    cron.register(
        portfolio_jobs.answers_job,
        queue_name=jobs.QUEUE_NAME,
        cron=portfolio_jobs.ANSWERS_CRON,
        job_timeout=portfolio_jobs.ANSWERS_TIMEOUT,
    )
    echo(_("daily sweep at %(time)s %(zone)s", time=settings.sweep_time, zone=settings.timezone))
    cron.start()


COMMANDS = [reminders_group, worker, scheduler]
