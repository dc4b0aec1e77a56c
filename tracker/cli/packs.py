"""CLI: ``tracker pack``: build, list and verify signed evidence packs.

``tracker pack SYSTEM [--as-of DATE] [--out FILE]`` builds one system's pack (``--all``: every
system's); ``tracker pack verify FILE`` checks a pack offline, with no database, server or
settings; ``tracker pack generate-key`` and ``tracker pack public-key`` manage the key packs
are signed with.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from tracker.cli import Context, cli_actor, pass_context, reports_errors
from tracker.cli.completeness import _system_id
from tracker.cli.output import echo, printable
from tracker.cli.params import AS_OF, RecordRef
from tracker.i18n import gettext as _
from tracker.models import AISystem
from tracker.packs import records, signing, verify


class PackGroup(click.Group):
    """``tracker pack SYSTEM`` builds: any first word that is not a subcommand is a system."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["build", *args]
        return super().parse_args(ctx, args)


@click.group("pack", cls=PackGroup)
def pack_group() -> None:
    """Signed evidence packs for auditors: `tracker pack SYSTEM [--as-of DATE] [--out FILE]`."""


@pack_group.command("build")
@click.argument("system", required=False, type=RecordRef("AI system"))
@click.option("--all", "everything", is_flag=True, help="One pack of every system.")
@click.option("--as-of", type=AS_OF, help="The date the pack shows (default: today).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the zip (default: the pack folder, TRACKER_PACK_DIR).",
)
@pass_context
@reports_errors
def build(
    ctx: Context, system: int | str | None, everything: bool, as_of: date | None, out: Path | None
) -> None:
    """Build the evidence pack of SYSTEM (id or name), or with --all of every system."""
    if (system is None) == (not everything):
        raise click.UsageError(_("give a SYSTEM (id or name) or --all, not both or neither"))
    ctx.connect()
    chosen = None if everything else AISystem.get_by_id(_system_id(system))
    pack = records.request(chosen, as_of or date.today(), cli_actor())
    with click.progressbar(
        length=0, label=_("Building the pack"), file=sys.stderr, show_percent=True
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, done, 1)
            bar.update(done - bar.pos)

        built = records.build(pack, ctx.catalogue(), ctx.settings, out, progress)
    where = out or records.path_of(built, ctx.settings)
    echo(_("Pack %(id)s written to %(path)s", id=built.id, path=printable(str(where))))
    echo(_("  %(files)s files, %(size)s bytes", files=built.files, size=built.size))
    echo(_("  SHA-256: %(sha256)s", sha256=built.sha256))
    echo(_("  signed with key %(key)s", key=built.key_id))


@pack_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The agency's published public key (PEM): the pack must be signed with it.",
)
def verify_command(file: Path, public_key: Path | None) -> None:
    """Check a pack offline: every file, the signature and the audit excerpt."""
    report = verify.check(file, public_key.read_bytes() if public_key else None)
    for note in report.notes:
        echo(_("note: %(note)s", note=note))
    for problem in report.problems:
        echo(_("PROBLEM: %(problem)s", problem=problem), err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)
    echo(
        _(
            "OK: %(files)s files match the manifest, the signature verifies (key %(key)s) and "
            "the audit excerpt chains",
            files=report.files,
            key=report.key_id,
        )
    )


@pack_group.command("list")
@click.argument("system", required=False, type=RecordRef("AI system"))
@pass_context
@reports_errors
def list_command(ctx: Context, system: int | str | None) -> None:
    """The packs of SYSTEM, or the agency-wide ones, newest first."""
    ctx.connect()
    for pack in records.for_system(None if system is None else _system_id(system)):
        echo(_row(pack))


def _row(pack: Any) -> str:
    parts = [
        str(pack.id),
        pack.as_of.isoformat(),
        pack.state,
        pack.requested_by,
        pack.requested_at.strftime("%Y-%m-%d %H:%M"),
        pack.sha256 or pack.error,
    ]
    return "  ".join(printable(part) for part in parts)


@pack_group.command("generate-key")
@pass_context
@reports_errors
def generate_key(ctx: Context) -> None:
    """Write a new signing key to the key file (never replacing one)."""
    path = ctx.settings.pack_signing_key_file
    try:
        key = signing.write_key_file(path)
    except signing.PackKeyError as error:
        raise click.ClickException(str(error)) from None
    echo(_("Pack signing key %(key)s written to %(path)s", key=key.key_id, path=str(path)))
    echo(_("Publish its public key (`tracker pack public-key`) where auditors can find it."))


@pack_group.command("public-key")
@pass_context
@reports_errors
def public_key(ctx: Context) -> None:
    """Print the public key packs are signed with (PEM), to publish or give to an auditor."""
    try:
        key = signing.key_for(ctx.settings)
    except signing.PackKeyError as error:
        raise click.ClickException(str(error)) from None
    echo(key.public_pem.rstrip("\n"))


COMMANDS = [pack_group]
