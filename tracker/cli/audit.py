"""CLI: verify the audit trail, write signed checkpoints of it, and manage its keys."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracker import audit
from tracker.audit import keys
from tracker.cli import EXIT_PROBLEMS, Context, cli_actor, pass_context
from tracker.cli.output import echo
from tracker.i18n import gettext as _
from tracker.i18n import ngettext


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit trail."""


def _keyring(ctx: Context) -> keys.Keyring:
    return keys.keyring_for(ctx.settings)


def _checkpoint(ctx: Context, ring: keys.Keyring) -> audit.Checkpoint:
    try:
        return audit.checkpoint(cli_actor(), ring, ctx.settings.audit_checkpoint_file)
    except audit.ChainBroken as broken:
        raise click.ClickException(
            _(
                "no checkpoint written: the chain does not verify (%(problem)s)",
                problem=broken.report.problem,
            )
        ) from None


@audit_group.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check against this checkpoint file (e.g. a copy shipped elsewhere) instead of "
    "TRACKER_AUDIT_CHECKPOINT_FILE.",
)
@pass_context
def verify(ctx: Context, checkpoint_path: Path | None) -> None:
    """Re-compute the chain and check it against the signed checkpoints; name what is wrong."""
    ctx.connect()
    # The keys and checkpoint file default to this command's settings (tracker.audit.keys).
    report = audit.verify(checkpoints=checkpoint_path) if checkpoint_path else audit.verify()
    if report.ok:
        echo(
            ngettext(
                "audit chain intact: %(num)s event verified",
                "audit chain intact: %(num)s events verified",
                report.events_checked,
            )
        )
    elif report.first_broken_id is not None:
        echo(
            _(
                "audit chain BROKEN at event %(id)s: %(problem)s",
                id=report.first_broken_id,
                problem=report.problem,
            )
        )
    else:
        echo(_("audit chain BROKEN: %(problem)s", problem=report.problem))
    for problem in report.problems[1:]:
        echo(_("also: %(problem)s", problem=problem))
    if report.protected:
        echo(
            _(
                "keyed from event %(first)s with audit key %(keys)s (HMAC-SHA256; the keys are "
                "not in the database)",
                first=report.protected_from,
                keys=", ".join(report.key_ids),
            )
        )
    if report.newest_checkpoint is not None:
        newest = report.newest_checkpoint
        echo(
            ngettext(
                "%(num)s signed checkpoint verified; the newest, %(n)s, covers events 1 to "
                "%(id)s (%(when)s)",
                "%(num)s signed checkpoints verified; the newest, %(n)s, covers events 1 to "
                "%(id)s (%(when)s)",
                report.checkpoints,
                n=newest.checkpoint,
                id=newest.last_id,
                when=newest.made_at,
            )
        )
    for note in report.notes:
        echo(_("note: %(note)s", note=note))
    if not report.ok:
        echo(
            ngettext(
                "(%(num)s event before it verified)",
                "(%(num)s events before it verified)",
                report.events_checked,
            )
        )
        sys.exit(EXIT_PROBLEMS)


@audit_group.command("checkpoint")
@pass_context
def checkpoint(ctx: Context) -> None:
    """Verify the chain, then append a signed checkpoint of it to the checkpoint file."""
    ctx.connect()
    made = _checkpoint(ctx, _keyring(ctx))
    echo(
        _(
            "checkpoint %(n)s: events 1 to %(id)s, head %(hash)s, signed with audit key "
            "%(key)s, appended to %(file)s",
            n=made.checkpoint,
            id=made.last_id,
            hash=made.head_hash[:16],
            key=made.key_id,
            file=ctx.settings.audit_checkpoint_file,
        )
    )


@audit_group.command("public-key")
@pass_context
def public_key(ctx: Context) -> None:
    """Print the public key that checks the checkpoints (PEM), for auditors to keep."""
    ring = _keyring(ctx)
    if ring.newest is None:
        raise click.ClickException(
            _("no audit key is configured (TRACKER_AUDIT_KEY or TRACKER_AUDIT_KEY_FILE)")
        )
    for key in ring.keys:
        echo(
            _(
                "# audit key %(key)s (Ed25519, raw: %(raw)s)",
                key=key.key_id,
                raw=key.public_key_base64(),
            )
        )
        echo(key.public_key_pem())


@audit_group.command("generate-key")
def generate_key() -> None:
    """Print a new random audit key (for TRACKER_AUDIT_KEY); nothing is stored."""
    echo(keys.generate())


@audit_group.command("rotate-key")
@pass_context
def rotate_key(ctx: Context) -> None:
    """Put a new random key first in the key file; the chain is keyed with it from now on.

    The first time, this makes the key file and starts protecting the chain. Older keys stay in
    the file: they verify the events and checkpoints made with them.
    """
    ctx.connect()
    settings = ctx.settings
    if settings.audit_key.strip():
        raise click.ClickException(
            _(
                "the audit keys come from TRACKER_AUDIT_KEY: put a new key (`tracker audit "
                "generate-key`) first in it, keep the old ones after it, and restart the tracker"
            )
        )
    path = Path(settings.audit_key_file)
    old = keys.keyring_for(settings)
    report = audit.verify(keyring=old, checkpoints=settings.audit_checkpoint_file)
    if not report.ok:
        raise click.ClickException(
            _(
                "the key was not rotated: the chain does not verify (%(problem)s)",
                problem=report.problem,
            )
        )
    new = keys.generate()
    keys.write_key_file(path, [new, *(k.secret.decode() for k in old.keys)])
    ring = _keyring(ctx)
    event = audit.use_newest_key(cli_actor(), ring)
    echo(
        _(
            "new audit key %(key)s written first in %(file)s (readable by its owner only); "
            "the chain is keyed with it from event %(id)s",
            key=ring.newest.key_id,
            file=path,
            id=event.id if event else "-",
        )
    )
    made = _checkpoint(ctx, ring)
    echo(
        _(
            "checkpoint %(n)s appended to %(file)s; back up the key file, and give auditors the "
            "new public key (`tracker audit public-key`)",
            n=made.checkpoint,
            file=settings.audit_checkpoint_file,
        )
    )


COMMANDS = [audit_group]
