"""CLI: ``tracker facts``: every fact an applicability rule can read, for plugin authors and DPOs."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from tracker import profile
from tracker.cli import Context, pass_context
from tracker.cli.output import echo
from tracker.i18n import N_
from tracker.i18n import gettext as _

# The kinds of fact and where each comes from, as the table names them (the JSON keeps the keys).
TYPES = {
    "boolean": N_("boolean"),
    "choice": N_("choice"),
    "text": N_("text"),
    "set": N_("set"),
    "list": N_("list"),
    "country list": N_("country list"),
}
SOURCES = {"profile": N_("profile"), "question": N_("question")}


@click.command("facts")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table")
@pass_context
def facts(ctx: Context, output: str) -> None:
    """List the profile facts and plugin questions rules read: type, values, help, default."""
    found = profile.facts(ctx.catalogue().questions)
    if output == "json":
        echo(json.dumps([asdict(f) for f in found], indent=2, default=str))
        return
    for fact in found:
        default = (
            ""
            if fact.default in (None, "", [])
            else " " + _("(default %(value)s)", value=repr(fact.default))
        )
        kind = _(TYPES[fact.type]) if fact.type in TYPES else fact.type
        source = _(SOURCES[fact.source]) if fact.source in SOURCES else fact.source
        echo(_("%(fact)s: %(type)s", fact=fact.id, type=kind) + f"{default}  [{source}]")
        if fact.help:
            echo(f"    {_(fact.help)}")
        for value, meaning in fact.values.items():
            shown = (
                _("%(value)s: %(meaning)s", value=value, meaning=_(meaning)) if meaning else value
            )
            echo(f"    - {shown}")


COMMANDS = [facts]
