"""CLI: ``tracker portfolio refresh``: rebuild the portfolio's index for a date, with progress.

Pages and the API keep the index current by themselves; this command is for after an upgrade,
a catalogue change or a bulk import, or from cron shortly after midnight, so that the first
reader of the day does not wait for the recompute.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import click

from tracker import portfolio
from tracker.cli import Context, pass_context, reports_errors
from tracker.cli.output import echo
from tracker.cli.params import AS_OF
from tracker.i18n import gettext as _
from tracker.i18n import ngettext
from tracker.portfolio import answers, chart_points


@click.group("portfolio")
def portfolio_group() -> None:
    """The portfolio's index of every system's completeness."""


@portfolio_group.command("refresh")
@click.option("--as-of", type=AS_OF, help="The date to index (default: today).")
@click.option(
    "--all", "everything", is_flag=True, help="Recompute every system, not only the stale ones."
)
@pass_context
@reports_errors
def refresh(ctx: Context, as_of: date | None, everything: bool) -> None:
    """Recompute the stale systems' rows of the date (every system's with --all). For today,
    the completeness chart's kept points too (each system's on the first of each of the last
    twelve months), and each system's kept answer (what the API sends for it)."""
    ctx.connect()
    day = as_of or date.today()
    catalogue, days = ctx.catalogue(), ctx.settings.expiring_soon_days
    if everything:
        wanted = None
    else:
        missing, outdated = portfolio.stale(day, portfolio.catalogue_key(catalogue, days))
        wanted = missing + outdated
    started = time.perf_counter()
    label = _("Recomputing %(day)s", day=day.isoformat())
    with _progress(0 if wanted is None else len(wanted), label) as progress:
        count = portfolio.refresh(day, catalogue, days, wanted, progress)
    echo(
        ngettext(
            "%(num)s system recomputed for %(day)s in %(seconds).1f s",
            "%(num)s systems recomputed for %(day)s in %(seconds).1f s",
            count,
            day=day.isoformat(),
            seconds=time.perf_counter() - started,
        )
    )
    if day != date.today():  # the chart keeps points for today's chart only
        return
    started = time.perf_counter()
    with _progress(0, _("Recomputing the chart's points")) as progress:
        count = chart_points.refresh(day, catalogue, days, everything=everything, progress=progress)
    echo(
        ngettext(
            "%(num)s chart point recomputed in %(seconds).1f s",
            "%(num)s chart points recomputed in %(seconds).1f s",
            count,
            seconds=time.perf_counter() - started,
        )
    )
    started = time.perf_counter()
    with _progress(0, _("Keeping the answers")) as progress:
        count = answers.refresh(day, catalogue, days, everything=everything, progress=progress)
    echo(
        ngettext(
            "%(num)s answer kept in %(seconds).1f s",
            "%(num)s answers kept in %(seconds).1f s",
            count,
            seconds=time.perf_counter() - started,
        )
    )


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error, told (done, in all) as the work goes."""
    with click.progressbar(
        length=length,
        label=label,
        show_pos=True,
        file=sys.stderr,
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        yield progress


COMMANDS = [portfolio_group]
