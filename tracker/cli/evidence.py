"""CLI: add evidence files, review them, check the evidence store and copy it to another."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from evidence import EvidenceStore, open_store, store_for
from evidence.check import check_store
from evidence.migrate import migrate
from evidence.s3_location import StoreUnavailable
from tracker import accounts, evidence_items, reviews
from tracker.cli import EXIT_PROBLEMS, Context, cli_actor, pass_context, reports_errors
from tracker.cli.output import echo, printable
from tracker.cli.params import DAY, RecordId, acting_user
from tracker.evidence_items import IncomingFile
from tracker.i18n import gettext as _
from tracker.i18n import ngettext
from tracker.vocabulary import EVIDENCE_KINDS, STATUS_WORDS


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _store(ctx: Context) -> EvidenceStore:
    """The evidence store, made if need be, or one line saying why it cannot be (an S3 store
    is only reached by its first request: see _unavailable)."""
    where = ctx.settings.evidence_dir
    try:
        return open_store(ctx.settings)
    except OSError as error:
        raise click.ClickException(
            _(
                "cannot use the evidence store %(path)s (TRACKER_EVIDENCE_DIR): %(reason)s",
                path=where,
                reason=error.strerror,
            )
        ) from None


def _unavailable(ctx: Context, error: StoreUnavailable) -> click.ClickException:
    where = ctx.settings.evidence_url or ctx.settings.evidence_dir
    return click.ClickException(
        _("cannot use the evidence store %(where)s: %(reason)s", where=where, reason=error)
    )


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
    "--system",
    "system_ids",
    multiple=True,
    type=RecordId("AI system"),
    help="A system it covers (repeat).",
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
@acting_user("The user uploading it.")
@pass_context
@reports_errors
def add(
    ctx: Context,
    files: tuple[Path, ...],
    username: str | int,
    issued_on,
    valid_from,
    valid_until,
    **metadata,
) -> None:
    """Add evidence made of one or more FILES, with its metadata."""
    ctx.connect()
    uploader = accounts.get_user(username)
    store = _store(ctx)
    incoming = []
    for path in files:
        try:
            with open(path, "rb") as handle:
                incoming.append(IncomingFile(store.put(handle), path.name))
        except OSError as error:
            # click checked that each file exists; reading it or storing it can still fail.
            for received in incoming:  # leave no unfinished upload behind
                received.pending.discard()
            where = "" if error.filename in (None, str(path)) else f" ({error.filename})"
            raise click.ClickException(
                _("cannot add %(path)s: %(reason)s", path=path, reason=error.strerror) + where
            ) from None
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
        cli_actor(uploader.username),
        known_requirements=ctx.catalogue().requirements,
    )
    echo(
        ngettext(
            "added evidence %(id)s (%(title)s) with %(num)s file; awaiting review",
            "added evidence %(id)s (%(title)s) with %(num)s files; awaiting review",
            len(files),
            id=item.id,
            title=printable(item.title),
        )
    )


@evidence_group.command("review")
@click.argument("evidence_id", type=RecordId("evidence"))
@click.option("--accept", "decision", flag_value="accepted", help="Accept the evidence.")
@click.option("--reject", "decision", flag_value="rejected", help="Reject it (give --reason).")
@click.option("--reason", default="")
@acting_user("The data protection officer deciding.")
@pass_context
@reports_errors
def review(
    ctx: Context, evidence_id: int, decision: str | None, reason: str, username: str | int
) -> None:
    """Accept or reject one evidence version, as a data protection officer."""
    if decision is None:
        raise click.UsageError(_("say --accept or --reject"))
    ctx.connect()
    item = evidence_items.get_evidence(evidence_id)
    reviewer = accounts.get_user(username)
    reviews.review_evidence(item, decision, reason, reviewer, cli_actor(reviewer.username))
    echo(
        _(
            "evidence %(id)s %(decision)s by %(user)s",
            id=evidence_id,
            decision=_(STATUS_WORDS[decision]),
            user=printable(reviewer.username),
        )
    )


@evidence_group.command("check")
@pass_context
def check(ctx: Context) -> None:
    """Re-hash every stored file (in the folder or the S3 bucket); report missing, corrupt and
    orphaned files and interrupted uploads, with totals. Exits non-zero unless the store is
    clean."""
    ctx.connect()
    expected = evidence_items.stored_sizes()
    where = ctx.settings.evidence_dir
    if (
        not ctx.settings.evidence_url and not where.exists()
    ):  # a check creates nothing: not even an empty store
        if expected:
            raise click.ClickException(
                ngettext(
                    "the evidence store %(path)s (TRACKER_EVIDENCE_DIR) does not exist, "
                    "yet the database records %(num)s stored file",
                    "the evidence store %(path)s (TRACKER_EVIDENCE_DIR) does not exist, "
                    "yet the database records %(num)s stored files",
                    len(expected),
                    path=where,
                )
            )
        echo(_("no evidence store at %(path)s yet, and no stored files recorded: OK", path=where))
        return
    try:
        report = check_store(_store(ctx), expected)
    except StoreUnavailable as error:
        raise _unavailable(ctx, error) from None
    for line in report.lines():
        echo(line)
    if not report.ok:
        sys.exit(EXIT_PROBLEMS)


def _setting_for(url: str, target: EvidenceStore) -> str:
    if url.startswith("s3://"):
        return f"TRACKER_EVIDENCE_URL={url}"
    return f"TRACKER_EVIDENCE_DIR={target} TRACKER_EVIDENCE_URL="


@evidence_group.command("migrate")
@click.option(
    "--to",
    "to_url",
    required=True,
    metavar="URL",
    help="The store to copy to: s3://bucket/prefix, or a folder.",
)
@pass_context
def migrate_command(ctx: Context, to_url: str) -> None:
    """Copy every stored file to another store, each one verified by its hash there.

    Files already at the target and sound are skipped: a run that was interrupted continues
    when started again. The configuration is not changed: the last line says what to set.
    """
    source = _store(ctx)
    try:
        target = store_for(
            to_url, ctx.settings.evidence_dir, ctx.settings.upload_temp_max_age_hours
        )
    except (ValueError, OSError) as error:
        raise click.UsageError(str(error)) from None
    if str(target) == str(source):
        raise click.UsageError(_("%(url)s is the evidence store in use", url=to_url))
    echo(_("copying the evidence store %(source)s to %(target)s", source=source, target=target))
    words = {"copied": _("copied"), "present": _("already there"), "failed": _("FAILED")}

    def progress(outcome: str, sha256: str, size: int, done: int, total: int) -> None:
        echo(f"[{done}/{total}] {words[outcome]} {sha256} ({size} bytes)")

    try:
        report = migrate(source, target, progress)
    except StoreUnavailable as error:
        raise click.ClickException(
            _("cannot copy the evidence store: %(reason)s (run it again to continue)", reason=error)
        ) from None
    for name in report.skipped:
        echo(_("not a stored file, left alone: %(name)s", name=name))
    for sha256, problem in report.failed:
        echo(f"{words['failed']} {sha256}: {problem}")
    echo(
        _(
            "copied %(copied)s files (%(bytes)s bytes), %(present)s already at the target, "
            "%(failed)s failed",
            copied=report.copied,
            bytes=report.copied_bytes,
            present=report.present,
            failed=len(report.failed),
        )
    )
    if not report.ok:
        sys.exit(EXIT_PROBLEMS)
    echo(
        _(
            "the configuration is unchanged; to use the copy, set %(setting)s, restart the "
            "servers and workers, and run tracker evidence check",
            setting=_setting_for(to_url, target),
        )
    )


COMMANDS = [evidence_group]
