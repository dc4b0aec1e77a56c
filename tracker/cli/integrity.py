"""CLI: check the evidence store and verify the audit chain."""

from __future__ import annotations

import sys

import click

from evidence import ContentStore
from evidence.check import check_store
from tracker import audit, evidence_items
from tracker.cli import EXIT_PROBLEMS, Context, pass_context


@click.group("evidence")
def evidence_group() -> None:
    """The evidence file store."""


@evidence_group.command("check")
@pass_context
def check(ctx: Context) -> None:
    """Re-hash every stored file; report missing, corrupt and orphaned files."""
    ctx.connect()
    report = check_store(ContentStore(ctx.settings.evidence_dir), evidence_items.stored_sizes())
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(EXIT_PROBLEMS)


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
        click.echo(f"audit chain intact: {report.events_checked} events verified")
        return
    click.echo(f"audit chain BROKEN at event {report.first_broken_id}: {report.problem}")
    click.echo(f"({report.events_checked} events before it verified)")
    sys.exit(EXIT_PROBLEMS)


COMMANDS = [evidence_group, audit_group]
