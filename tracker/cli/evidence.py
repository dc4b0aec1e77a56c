"""CLI: add evidence files, review them, and check the evidence store."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from evidence import ContentStore
from evidence.check import check_store
from tracker import accounts, evidence_items, reviews
from tracker.cli import EXIT_PROBLEMS, Context, cli_actor, pass_context, reports_errors
from tracker.evidence_items import IncomingFile
from tracker.vocabulary import EVIDENCE_KINDS

DAY = click.DateTime(["%Y-%m-%d"])


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


@click.group("evidence")
def evidence_group() -> None:
    """Evidence: add files, review them, check the store."""


@evidence_group.command("add")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--kind", required=True, type=click.Choice(list(EVIDENCE_KINDS)))
@click.option("--title", required=True)
@click.option(
    "--system", "system_ids", multiple=True, type=int, help="A system it covers (repeat)."
)
@click.option("--agency-wide", is_flag=True, help="It covers every system.")
@click.option(
    "--requirement",
    "requirement_ids",
    multiple=True,
    help="A requirement it is meant to satisfy (repeat).",
)
@click.option("--issued-on", type=DAY)
@click.option("--valid-from", type=DAY)
@click.option("--valid-until", type=DAY)
@click.option("--issuer", default="")
@click.option("--certified-person", default="", help="For training certificates: who is certified.")
@click.option("--description", default="")
@click.option("--as", "username", required=True, help="The user uploading it.")
@pass_context
@reports_errors
def add(
    ctx: Context,
    files: tuple[Path, ...],
    username: str,
    issued_on,
    valid_from,
    valid_until,
    **metadata,
) -> None:
    """Add evidence made of one or more FILES, with its metadata."""
    ctx.connect()
    uploader = accounts.get_user(username)
    store = ContentStore(ctx.settings.evidence_dir)
    incoming = []
    for path in files:
        with open(path, "rb") as handle:
            incoming.append(IncomingFile(store.put(handle), path.name))
    metadata.update(
        issued_on=_day(issued_on),
        valid_from=_day(valid_from),
        valid_until=_day(valid_until),
        system_ids=list(metadata["system_ids"]),
        requirement_ids=list(metadata["requirement_ids"]),
    )
    item = evidence_items.add_evidence(
        store,
        metadata,
        incoming,
        uploader,
        cli_actor(username),
        known_requirements=ctx.catalogue().requirements,
    )
    click.echo(
        f"added evidence {item.id} ({item.title}) with {len(files)} file(s); awaiting review"
    )


@evidence_group.command("review")
@click.argument("evidence_id", type=int)
@click.option("--accept", "decision", flag_value="accepted", help="Accept the evidence.")
@click.option("--reject", "decision", flag_value="rejected", help="Reject it (give --reason).")
@click.option("--reason", default="")
@click.option("--as", "username", required=True, help="The data protection officer deciding.")
@pass_context
@reports_errors
def review(
    ctx: Context, evidence_id: int, decision: str | None, reason: str, username: str
) -> None:
    """Accept or reject one evidence version, as a data protection officer."""
    if decision is None:
        raise click.UsageError("say --accept or --reject")
    ctx.connect()
    item = evidence_items.get_evidence(evidence_id)
    reviews.review_evidence(
        item, decision, reason, accounts.get_user(username), cli_actor(username)
    )
    click.echo(f"evidence {evidence_id} {decision} by {username}")


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


COMMANDS = [evidence_group]
