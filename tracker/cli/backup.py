"""CLI: back up the running tracker into a new folder, and restore a backup into a fresh
installation (tracker.operations.backup does the work)."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import Context, pass_context
from tracker.cli.output import echo
from tracker.i18n import gettext as _
from tracker.i18n import ngettext
from tracker.operations import backup as backups
from tracker.operations import restore as restores


def _not_included() -> str:
    return _(
        "not in the backup: the audit keys, the pack signing key, TRACKER_SECRET_KEY and the "
        "other settings; keep copies of them apart from the backups"
    )


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--link",
    is_flag=True,
    help="Hard-link stored evidence files into the backup when it is on the same file system "
    "(they never change) instead of copying them.",
)
@pass_context
def backup_command(ctx: Context, dest: Path, link: bool) -> None:
    """Write a consistent backup of the running tracker into DEST, a new folder: the database
    (SQLite's online backup or pg_dump), the evidence manifest, a file store's files, the audit
    checkpoints and a description (backup.json)."""
    ctx.connect(current_schema=False)  # a missing database stops here; any schema version does
    try:
        made = backups.backup(ctx.settings, dest, link=link)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    echo(
        _(
            "backup written to %(path)s: %(database)s database at schema version %(version)s, "
            "%(systems)s systems, %(evidence)s evidence items, %(events)s audit events",
            path=made.path,
            database=backups.KIND_NAMES[made.database],
            version=made.schema_version,
            systems=made.counts["systems"],
            evidence=made.counts["evidence"],
            events=made.counts["audit_events"],
        )
    )
    if made.files_included:
        echo(
            ngettext(
                "evidence: %(num)s stored file (%(bytes)s bytes) checked and copied",
                "evidence: %(num)s stored files (%(bytes)s bytes) checked and copied",
                made.stored_files,
                bytes=made.stored_bytes,
            )
        )
    else:
        echo(
            ngettext(
                "evidence: the manifest of %(num)s stored file only; the object store %(url)s "
                "keeps the files (use its versioning and replication)",
                "evidence: the manifest of %(num)s stored files only; the object store %(url)s "
                "keeps the files (use its versioning and replication)",
                made.stored_files,
                url=ctx.settings.evidence_url,
            )
        )
    echo(_not_included())


@click.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@pass_context
def restore_command(ctx: Context, src: Path) -> None:
    """Rebuild a fresh installation from the backup SRC: into the empty database, evidence
    store and checkpoint file the settings name, every stored file checked against the
    manifest. Nothing is left behind when it fails."""
    settings = ctx.settings
    try:
        done = restores.restore(settings, src)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    echo(
        _(
            "restored the backup made at %(made)s: %(systems)s systems, %(evidence)s evidence "
            "items, %(events)s audit events",
            made=done.made_at,
            systems=done.counts["systems"],
            evidence=done.counts["evidence"],
            events=done.counts["audit_events"],
        )
    )
    if backups.file_store(settings) is None:
        echo(
            _(
                "evidence: the files stay in the object store %(url)s",
                url=settings.evidence_url,
            )
        )
    else:
        echo(
            ngettext(
                "evidence: %(num)s stored file checked and restored",
                "evidence: %(num)s stored files checked and restored",
                done.stored_files,
            )
        )
    if done.schema_version < restores.latest_schema_version():
        echo(
            _(
                "the database is at schema version %(current)s: run `tracker db upgrade`",
                current=done.schema_version,
            )
        )
    echo(
        _(
            "put back the audit keys and the pack signing key (not in a backup), then run "
            "`tracker audit verify` and `tracker evidence check`"
        )
    )


COMMANDS = [backup_command, restore_command]
