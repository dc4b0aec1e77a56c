"""CLI: verify the hash-chained audit trail."""

from __future__ import annotations

import sys

import click

from tracker import audit
from tracker.cli import EXIT_PROBLEMS, Context, pass_context
from tracker.cli.output import echo


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
        echo(f"audit chain intact: {report.events_checked} events verified")
        return
    echo(f"audit chain BROKEN at event {report.first_broken_id}: {report.problem}")
    echo(f"({report.events_checked} events before it verified)")
    sys.exit(EXIT_PROBLEMS)


COMMANDS = [audit_group]
