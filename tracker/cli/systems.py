"""CLI: ``tracker systems add|list|retire|import`` and ``tracker systems operators list|import``:
register AI systems and their operators from a shell.

The same functions as the registration pages and the API: ``register.create_system`` for a
profile in a JSON file, and ``tracker.imports`` for CSV files, whose dry run prints every
row's errors (row, column, rule) and exits 1 when any row fails, writing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from tracker import accounts, register, vocabulary
from tracker.cli import EXIT_PROBLEMS, Context, cli_actor, pass_context, reports_errors
from tracker.cli.completeness import _system_id
from tracker.cli.output import echo, printable
from tracker.cli.params import RecordRef, acting_user
from tracker.i18n import gettext as _
from tracker.i18n import ngettext
from tracker.imports import csvfile
from tracker.imports import operators as operator_import
from tracker.imports import register as register_import

CSV_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _actor(username: str | int | None, dry_run: bool) -> str | None:
    """Who an import acts for: required unless it is a dry run."""
    if username is None:
        if not dry_run:
            raise click.UsageError(_("give --as USER (who the import acts for), or --dry-run"))
        return None
    return cli_actor(accounts.get_user(username).username)


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _plan(make: Any, *args: Any) -> Any:
    """The dry run; a file that cannot be read ends the command with its one sentence."""
    try:
        return make(*args)
    except csvfile.FileRefused as refused:
        raise click.ClickException(refused.message) from None


def ctx_exit(code: int) -> None:
    raise click.exceptions.Exit(code)


def _print_errors(errors: list[csvfile.RowError]) -> None:
    for error in errors:
        echo(printable(str(error)))


@click.group("systems")
def systems_group() -> None:
    """The register of AI systems: add, list, retire, import; their operators."""


@systems_group.command("add")
@click.option(
    "--from-file",
    "source",
    required=True,
    type=click.File("r", encoding="utf-8-sig"),
    help="A JSON object with the profile, as the API takes it (- reads standard input).",
)
@acting_user("The user registering it.")
@pass_context
@reports_errors
def add(ctx: Context, source: Any, username: str | int) -> None:
    """Register an AI system from a JSON profile (the fields of POST /api/systems)."""
    try:
        profile = json.load(source)
    except json.JSONDecodeError as error:
        raise click.ClickException(
            _(
                "%(file)s is not JSON: %(error)s (line %(line)s, column %(column)s)",
                file=source.name,
                error=error.msg,
                line=error.lineno,
                column=error.colno,
            )
        ) from None
    if not isinstance(profile, dict):
        raise click.ClickException(
            _("%(file)s must hold one JSON object: the profile's fields", file=source.name)
        )
    ctx.connect()
    actor = cli_actor(accounts.get_user(username).username)
    system = register.create_system(profile, actor, ctx.catalogue())
    echo(
        _(
            "registered AI system %(id)s: %(name)s",
            id=system.id,
            name=printable(system.name),
        )
    )


@systems_group.command("list")
@click.option("--include-retired", is_flag=True, help="List retired systems too.")
@click.option("--search", "text", help="Only systems whose name, purpose or vendor holds this.")
@pass_context
def list_systems(ctx: Context, include_retired: bool, text: str | None) -> None:
    """The registered systems: id, life-cycle stage, risk level, name and version."""
    ctx.connect()
    found = list(register.find_systems({"include_retired": include_retired, "q": text}))
    if not found:
        echo(_("no AI system is registered") if not text else _("no AI system matches"))
        return
    for system in found:
        stage = _(vocabulary.LIFECYCLE_STAGES.get(system.lifecycle_stage, system.lifecycle_stage))
        risk = _(vocabulary.RISK_LEVELS.get(system.risk_level, system.risk_level))
        retired = (
            "  " + _("(retired %(day)s)", day=system.retired_at.date().isoformat())
            if system.retired_at
            else ""
        )
        version = f" {printable(system.version)}" if system.version else ""
        echo(f"{system.id:>6}  {stage:<28} {risk:<7} {printable(system.name)}{version}{retired}")


@systems_group.command("retire")
@click.argument("system", type=RecordRef("AI system"))
@click.option("--reason", required=True, help="Why it is retired (kept in the audit trail).")
@acting_user("The user retiring it.")
@pass_context
@reports_errors
def retire(ctx: Context, system: int | str, reason: str, username: str | int) -> None:
    """Retire SYSTEM (id or name): it leaves the active register; its history stays."""
    ctx.connect()
    actor = cli_actor(accounts.get_user(username).username)
    target = register.retire_system(register.get_system(_system_id(system)), reason, actor)
    echo(
        _(
            "retired AI system %(id)s: %(name)s (%(day)s)",
            id=target.id,
            name=printable(target.name),
            day=target.retired_at.date().isoformat(),
        )
    )


@systems_group.command("import")
@click.argument("path", metavar="FILE.csv", type=CSV_FILE)
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--as", "username", type=RecordRef("user"), help="The user importing it.")
@pass_context
@reports_errors
def import_register(ctx: Context, path: Path, dry_run: bool, username: str | int | None) -> None:
    """Register one AI system per row of a CSV file (`tracker systems template` writes the
    columns). Every row is checked first; any error prints row, column and rule, exits 1
    and writes nothing."""
    ctx.connect()
    actor = _actor(username, dry_run)
    catalogue = ctx.catalogue()
    plan = _plan(register_import.plan, _read(path), catalogue)
    if plan.unknown_columns:
        echo(_("columns not read: %(columns)s", columns=printable(", ".join(plan.unknown_columns))))
    if plan.errors:
        _print_errors(plan.errors)
        failing = len({error.row for error in plan.errors})
        echo(
            _(
                "%(failing)s of %(rows)s rows have errors; nothing was imported",
                failing=failing,
                rows=len(plan.rows),
            ),
            err=True,
        )
        ctx_exit(EXIT_PROBLEMS)
    if dry_run:
        for row in plan.rows:
            echo(_("row %(row)s: would register %(name)s", row=row.row, name=printable(row.name)))
        echo(_("%(n)s rows checked; nothing was written (dry run)", n=len(plan.rows)))
        return
    assert actor is not None
    for system in register_import.commit(_read(path), actor, catalogue):
        echo(_("registered AI system %(id)s: %(name)s", id=system.id, name=printable(system.name)))


@systems_group.command("template")
@pass_context
def template(ctx: Context) -> None:
    """Print the CSV template of `tracker systems import`: the header and one example row."""
    click.echo(register_import.template(ctx.catalogue()).lstrip("\ufeff"), nl=False)


@systems_group.group("operators")
def operators_group() -> None:
    """The people authorised to use a system."""


@operators_group.command("list")
@click.argument("system", type=RecordRef("AI system"))
@click.option("--include-removed", is_flag=True, help="Those whose authorisation ended too.")
@pass_context
@reports_errors
def list_operators(ctx: Context, system: int | str, include_removed: bool) -> None:
    """The operators of SYSTEM (id or name) with the period of their authorisation."""
    ctx.connect()
    target = register.get_system(_system_id(system))
    found = list(register.list_operators(target, include_removed))
    if not found:
        echo(_("%(name)s has no operators", name=printable(target.name)))
    for operator in found:
        last = register.last_day(operator)
        until = last.isoformat() if last else _("until removed")
        echo(
            f"{operator.id:>6}  {operator.added_at:%Y-%m-%d} .. {until:<13} "
            f"{printable(operator.name)} <{printable(operator.email)}> {printable(operator.unit)}"
        )


@operators_group.command("import")
@click.argument("system", type=RecordRef("AI system"))
@click.argument("path", metavar="FILE.csv", type=CSV_FILE)
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--as", "username", type=RecordRef("user"), help="The user importing them.")
@pass_context
@reports_errors
def import_operators(
    ctx: Context, system: int | str, path: Path, dry_run: bool, username: str | int | None
) -> None:
    """Add or update SYSTEM's operators from a CSV file (columns name, email, unit,
    authorised_from, authorised_until). A row with a current operator's e-mail updates
    them. Any error prints row, column and rule, exits 1 and writes nothing."""
    ctx.connect()
    actor = _actor(username, dry_run)
    target = register.get_system(_system_id(system))
    plan = _plan(operator_import.plan, target, _read(path))
    if plan.unknown_columns:
        echo(_("columns not read: %(columns)s", columns=printable(", ".join(plan.unknown_columns))))
    if plan.errors:
        _print_errors(plan.errors)
        echo(
            _(
                "%(failing)s of %(rows)s rows have errors; nothing was imported",
                failing=len({error.row for error in plan.errors}),
                rows=len(plan.rows),
            ),
            err=True,
        )
        ctx_exit(EXIT_PROBLEMS)
    words = {
        "create": _("would add"),
        "update": _("would update"),
        "unchanged": _("unchanged"),
    }
    if dry_run:
        for row in plan.rows:
            name = printable(row.cells.get("name", ""))
            echo(_("row %(row)s: %(action)s %(name)s", row=row.row, action=words[row.action],
                   name=name))  # fmt: skip
        echo(
            _(
                "%(created)s to add, %(updated)s to update; nothing was written (dry run)",
                created=plan.count("create"),
                updated=plan.count("update"),
            )
        )
        return
    assert actor is not None
    done = operator_import.commit(target, _read(path), actor)
    echo(
        ngettext(
            "%(num)s operator added, %(updated)s updated",
            "%(num)s operators added, %(updated)s updated",
            len(done.created),
            updated=len(done.updated),
        )
    )


COMMANDS = [systems_group]
