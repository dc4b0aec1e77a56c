"""CLI: ``tracker completeness [SYSTEM] [--as-of DATE] [--format table|json|csv]``."""

from __future__ import annotations

import json
from datetime import date

import click

from tracker import completeness
from tracker.cli import Context, pass_context, reports_errors
from tracker.cli.output import echo
from tracker.cli.params import AS_OF, RecordRef
from tracker.completeness import export
from tracker.errors import NotFound
from tracker.models import AISystem


def _system_id(system: int | str) -> int:
    """A system named by id (already range-checked) or by exact name."""
    if isinstance(system, int):
        return system
    match = AISystem.select(AISystem.id).where(AISystem.name == system).first()
    if match is None:
        raise NotFound("AI system", repr(system))
    return match.id


@click.command("completeness")
@click.argument("system", required=False, type=RecordRef("AI system"))
@click.option("--as-of", type=AS_OF, help="Replay as of this date (default: today).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option("--include-retired", is_flag=True, help="Portfolio: include retired systems.")
@click.option("--why", is_flag=True, help="One system's table: why each requirement applies.")
@pass_context
@reports_errors
def completeness_command(
    ctx: Context,
    system: int | str | None,
    as_of: date | None,
    output: str,
    include_retired: bool,
    why: bool,
) -> None:
    """What the law requires of SYSTEM (id or name), or of every system, and what is missing."""
    ctx.connect()
    day = as_of or date.today()
    catalogue, window = ctx.catalogue(), ctx.settings.expiring_soon_days
    if system is not None:
        result = completeness.for_system(_system_id(system), day, catalogue, window)
        render = {
            "table": lambda r: export.system_table(r, why=why),
            "csv": export.system_csv,
            "json": lambda r: json.dumps(export.system_dict(r), indent=2),
        }
        echo(render[output](result).rstrip("\n"))
        return
    results = completeness.for_portfolio(day, catalogue, window, include_retired)
    render = {
        "table": export.portfolio_table,
        "csv": export.portfolio_csv,
        "json": lambda rs: json.dumps(
            [export.system_dict(r, with_items=False) for r in rs], indent=2
        ),
    }
    echo(render[output](results).rstrip("\n"))


COMMANDS = [completeness_command]
