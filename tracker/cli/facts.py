"""CLI: ``tracker facts``: every fact an applicability rule can read, for plugin authors and DPOs."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from tracker import profile
from tracker.cli import Context, pass_context
from tracker.cli.output import echo
from tracker.i18n import gettext as _


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
        echo(f"{fact.id}: {fact.type}{default}  [{fact.source}]")
        if fact.help:
            echo(f"    {fact.help}")
        for value, meaning in fact.values.items():
            echo(f"    - {value}" + (f": {meaning}" if meaning else ""))


COMMANDS = [facts]
