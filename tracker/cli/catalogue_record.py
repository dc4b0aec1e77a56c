"""CLI: ``tracker plugins accept`` and ``diff``, the catalogue accepted as the one in use.

``accept`` records the installed catalogue (an audit event, :mod:`tracker.catalogue_record`);
``diff`` lists what the installed plugins change in the catalogue accepted last. Both are
registered on the ``plugins`` group by :mod:`tracker.cli.catalogue`.
"""

from __future__ import annotations

import sys

import click

from tracker import accounts, catalogue_record
from tracker.cli import EXIT_PROBLEMS, Context, cli_actor, pass_context, reports_errors
from tracker.cli.output import echo, printable
from tracker.cli.params import acting_user
from tracker.i18n import gettext as _
from tracker.i18n import ngettext


class NothingAccepted(click.ClickException):
    """No catalogue was ever accepted: trouble, not a difference (exit 2, like diff)."""

    exit_code = 2


@click.command("accept")
@acting_user("The administrator, legal or data protection user accepting it.")
@pass_context
@reports_errors
def accept_catalogue(ctx: Context, username: str | int) -> None:
    """Record the catalogue installed now as the one in use (an audit event).

    `tracker plugins diff` compares the installed plugins with the catalogue accepted last.
    """
    ctx.connect()
    user = accounts.get_user(username)
    catalogue = ctx.catalogue()
    accepted, new = catalogue_record.accept(catalogue, user, cli_actor(user.username))
    data = accepted.catalogue
    if not new:
        echo(
            _(
                "the catalogue in use is already the one accepted on %(moment)s "
                "(audit event %(event)s); nothing recorded",
                moment=accepted.occurred_at,
                event=accepted.event_id,
            )
        )
        return
    echo(
        _(
            "accepted the catalogue in use: %(requirements)s requirements of %(jurisdictions)s "
            "jurisdictions from %(plugins)s plugins (audit event %(event)s, digest %(digest)s)",
            requirements=len(data["requirements"]),
            jurisdictions=len(data["jurisdictions"]),
            plugins=len(data["plugins"]),
            event=accepted.event_id,
            digest=data["digest"][:12],
        )
    )


@click.command("diff")
@pass_context
def diff_catalogue(ctx: Context) -> None:
    """What the installed plugins change in the catalogue accepted last.

    Lists jurisdictions, questions and requirements added, removed and changed (each
    changed field, old -> new), plugin versions, and the current evidence a removed
    requirement would orphan. Exit 0: no differences; 1: differences; 2: nothing accepted yet.
    """
    ctx.connect()
    accepted = catalogue_record.last_accepted()
    if accepted is None:
        raise NothingAccepted(
            _(
                "no catalogue has been accepted yet, so there is nothing to compare with: "
                "`tracker plugins accept --as USER` records the one installed now as the one "
                "in use"
            )
        )
    now = catalogue_record.serialise(ctx.catalogue())
    found = catalogue_record.compare(accepted.catalogue, now)
    echo(
        _(
            "the installed catalogue against the one accepted on %(moment)s by %(actor)s "
            "(audit event %(event)s):",
            moment=accepted.occurred_at,
            actor=printable(accepted.actor),
            event=accepted.event_id,
        )
    )
    for name, (old, new) in found.plugin_versions.items():
        echo(
            _(
                "plugin %(name)s: %(old)s -> %(new)s",
                name=printable(name),
                old=printable(old or _("(absent)")),
                new=printable(new or _("(absent)")),
            )
        )
    orphans = catalogue_record.orphaned_evidence(found.requirements.removed, now["requirements"])
    titles = {
        **{rid: r["title"] for rid, r in accepted.catalogue.get("requirements", {}).items()},
        **{rid: r["title"] for rid, r in now["requirements"].items()},
    }
    for section, diff in found.sections.items():
        if diff.added:
            echo(_("%(section)s added (%(num)s):", section=section, num=len(diff.added)))
            for key in diff.added:
                echo(f"  + {_named(key, titles, section)}")
        if diff.removed:
            echo(_("%(section)s removed (%(num)s):", section=section, num=len(diff.removed)))
            for key in diff.removed:
                echo(f"  - {_named(key, titles, section)}")
                if section == "requirements":
                    _echo_orphans(orphans[key])
        if diff.changed:
            echo(_("%(section)s changed (%(num)s):", section=section, num=len(diff.changed)))
            for key, changes in diff.changed.items():
                echo(f"  ~ {_named(key, titles, section)}")
                for change in changes:
                    echo(
                        f"      {printable(change.field)}: {printable(repr(change.old))} -> "
                        f"{printable(repr(change.new))}"
                    )
    if not found:
        echo(_("no differences"))
        return
    added, removed, changed = (
        sum(len(getattr(d, part)) for d in found.sections.values())
        for part in ("added", "removed", "changed")
    )
    total = added + removed + changed
    echo(
        ngettext(
            "%(num)s difference (%(added)s added, %(removed)s removed, %(changed)s changed); "
            "`tracker plugins accept --as USER` makes the installed one the catalogue in use",
            "%(num)s differences (%(added)s added, %(removed)s removed, %(changed)s changed); "
            "`tracker plugins accept --as USER` makes the installed one the catalogue in use",
            total,
            added=added,
            removed=removed,
            changed=changed,
        )
    )
    sys.exit(EXIT_PROBLEMS)


def _named(key: str, titles: dict[str, str], section: str) -> str:
    title = titles.get(key) if section == "requirements" else None
    return printable(key) + (f": {printable(title)}" if title else "")


def _echo_orphans(orphans: list[catalogue_record.OrphanedEvidence]) -> None:
    if not orphans:
        echo("      " + _("no evidence would be orphaned"))
        return
    echo("      " + _("evidence that would be orphaned (%(num)s):", num=len(orphans)))
    for item in orphans:
        serves = (
            _("still serves %(requirements)s", requirements=", ".join(item.still_serves))
            if item.still_serves
            else _("serves nothing else")
        )
        echo(f"      #{item.id} {printable(item.title)} ({printable(serves)})")
