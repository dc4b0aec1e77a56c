"""CLI: verify the hash-chained audit trail."""

from __future__ import annotations

import sys

import click

from tracker import audit
from tracker.cli import EXIT_PROBLEMS, Context, pass_context
from tracker.cli.output import echo
from tracker.i18n import gettext as _
from tracker.i18n import ngettext


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit trail."""


@audit_group.command("verify")
@pass_context
def verify(ctx: Context) -> None:
    """Re-compute the chain; name the first broken link if an event was edited or removed."""
    ctx.connect()
    report = audit.verify()
    if report.ok:
        echo(
            ngettext(
                "audit chain intact: %(num)s event verified",
                "audit chain intact: %(num)s events verified",
                report.events_checked,
            )
        )
        return
    echo(
        _(
            "audit chain BROKEN at event %(id)s: %(problem)s",
            id=report.first_broken_id,
            problem=report.problem,
        )
    )
    echo(
        ngettext(
            "(%(num)s event before it verified)",
            "(%(num)s events before it verified)",
            report.events_checked,
        )
    )
    sys.exit(EXIT_PROBLEMS)


COMMANDS = [audit_group]
