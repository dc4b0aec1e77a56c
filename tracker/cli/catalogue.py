"""CLI: installed plugins and their health, and the requirement catalogue."""

from __future__ import annotations

import sys
import textwrap
from datetime import date
from pathlib import Path

import click

from tracker import accounts, catalogue_record, completeness, plugin_skeleton, testing
from tracker.cli import EXIT_PROBLEMS, Context, cli_actor, pass_context, reports_errors
from tracker.cli.completeness import _system_id as system_id_of
from tracker.cli.output import echo, printable
from tracker.cli.params import AS_OF, RecordRef, acting_user
from tracker.errors import NotFound
from tracker.plugin_api import API_VERSION, ASSUMED_RANGE
from tracker.plugin_host import PluginInfo, deployment_of
from tracker.requirements import SCOPES, VERIFICATION


@click.group("plugins")
def plugins_group() -> None:
    """Jurisdiction plugins."""


@plugins_group.command("list")
@pass_context
def list_plugins(ctx: Context) -> None:
    """Installed plugins, their jurisdictions and how many requirements each provides.

    Settings naming a jurisdiction no plugin provides are reported after the list (exit 1).
    """
    catalogue = ctx.catalogue(strict=False)
    for plugin in catalogue.plugins:
        state = "loaded" if plugin.loaded else "NOT LOADED"
        where = f"{plugin.distribution} {plugin.version}".strip() or plugin.module
        enabled = [
            j if j in catalogue.jurisdictions else f"{j} (disabled)" for j in plugin.jurisdictions
        ]
        echo(
            f"{plugin.name:<20} {state:<10} {where:<32} {', '.join(enabled) or '-'}: "
            f"{plugin.requirement_count} requirements, {plugin.question_count} questions"
            + _api_note(plugin)
        )
    if error := catalogue.configuration_error():
        raise click.ClickException(str(error))


@plugins_group.command("check")
@pass_context
def check_plugins(ctx: Context) -> None:
    """Validate every plugin and the settings; list each problem once; exit 1 if there is any."""
    catalogue = ctx.catalogue(strict=False, report=False)
    problems = [str(p) for p in catalogue.problems]
    problems += [f"configuration: {mistake}" for mistake in catalogue.configuration]
    for problem in problems:
        echo(f"PROBLEM {problem}")
    for plugin in catalogue.plugins:
        if plugin.loaded and not plugin.built_in and not plugin.api_range:
            # Not a problem: it loads. Said so that the author declares one before API 2.
            echo(
                f"NOTE plugin {plugin.name!r} declares no TRACKER_PLUGIN_API; taken to be "
                f"written for plugin API {ASSUMED_RANGE} (this tracker: {API_VERSION})"
            )
    loaded = sum(p.loaded for p in catalogue.plugins)
    echo(
        f"{loaded} of {len(catalogue.plugins)} plugins loaded, {len(catalogue.requirements)} requirements "
        f"enabled, {len(problems)} problems"
    )
    if problems:
        sys.exit(EXIT_PROBLEMS)


@plugins_group.command("affected")
@click.argument("plugin")
@pass_context
def affected(ctx: Context, plugin: str) -> None:
    """Which registered systems each requirement of PLUGIN would apply to, once enabled.

    PLUGIN is an installed entry point name (see `tracker plugins list`) or an importable
    module, such as a working copy on PYTHONPATH; it replaces an installed copy of itself.
    The deployment's enabled jurisdictions stay as they are, plus the plugin's own. Exit 1
    when the plugin has problems (listed after the systems; its sound definitions count).
    """
    day = date.today()
    settings = ctx.settings
    loaded = testing.load_plugin(
        plugin,
        settings.jurisdictions,
        settings.in_force_from,
        deployment=deployment_of(settings),
    )
    ctx.connect()
    found = testing.affected_in(loaded, day)
    source = loaded.info.describe() if loaded.info else f"plugin {loaded.name!r}"
    echo(
        f"{printable(source)}: {', '.join(loaded.jurisdictions) or 'no jurisdiction'}; "
        f"the registered systems its requirements would apply to on {day.isoformat()}:"
    )
    for requirement_id, systems in found.items():
        count = (
            f"{len(systems)} system{'s' if len(systems) != 1 else ''}" if systems else "no system"
        )
        echo(f"{printable(requirement_id)}: {count}")
        for system in systems:
            echo(f"  #{system.id} {printable(system.name)}")
    if not found:
        echo("(the plugin provides no requirement that loads)")
    for problem in loaded.problems:
        echo(f"PROBLEM {printable(problem)}")
    if loaded.problems:
        sys.exit(EXIT_PROBLEMS)


@plugins_group.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The package's folder (default: ./tracker-NAME); existing files are never replaced.",
)
@pass_context
@reports_errors
def new_plugin(ctx: Context, name: str, folder: Path | None) -> None:
    """Write a ready-to-install package for a new jurisdiction plugin called NAME.

    NAME is the jurisdiction id and entry point name (e.g. ruritania). The package has a
    pyproject.toml, a module with one jurisdiction, question and requirement, a test and a
    README saying how to install, check and test it.
    """
    catalogue = ctx.catalogue(strict=False, report=False)
    taken = {p.name for p in catalogue.plugins} | {
        j for p in catalogue.plugins for j in p.jurisdictions
    }
    skeleton = plugin_skeleton.write(name, folder, taken)
    echo(f"wrote plugin {skeleton.name!r} in {printable(skeleton.folder)}:")
    for path in skeleton.files:
        echo(f"  {printable(path)}")
    echo(
        f"next: pip install -e {printable(skeleton.folder)} && tracker plugins check "
        f"(see {printable(skeleton.folder / 'README.md')})"
    )


class NothingAccepted(click.ClickException):
    """No catalogue was ever accepted: trouble, not a difference (exit 2, like diff)."""

    exit_code = 2


@plugins_group.command("accept")
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
            f"the catalogue in use is already the one accepted on {accepted.occurred_at} "
            f"(audit event {accepted.event_id}); nothing recorded"
        )
        return
    echo(
        f"accepted the catalogue in use: {len(data['requirements'])} requirements of "
        f"{len(data['jurisdictions'])} jurisdictions from {len(data['plugins'])} plugins "
        f"(audit event {accepted.event_id}, digest {data['digest'][:12]})"
    )


@plugins_group.command("diff")
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
            "no catalogue has been accepted yet, so there is nothing to compare with: "
            "`tracker plugins accept --as USER` records the one installed now as the one in use"
        )
    now = catalogue_record.serialise(ctx.catalogue())
    found = catalogue_record.compare(accepted.catalogue, now)
    echo(
        f"the installed catalogue against the one accepted on {accepted.occurred_at} by "
        f"{printable(accepted.actor)} (audit event {accepted.event_id}):"
    )
    for name, (old, new) in found.plugin_versions.items():
        echo(
            f"plugin {printable(name)}: {printable(old or '(absent)')} -> {printable(new or '(absent)')}"
        )
    orphans = catalogue_record.orphaned_evidence(found.requirements.removed, now["requirements"])
    titles = {
        **{rid: r["title"] for rid, r in accepted.catalogue.get("requirements", {}).items()},
        **{rid: r["title"] for rid, r in now["requirements"].items()},
    }
    for section, diff in found.sections.items():
        if diff.added:
            echo(f"{section} added ({len(diff.added)}):")
            for key in diff.added:
                echo(f"  + {_named(key, titles, section)}")
        if diff.removed:
            echo(f"{section} removed ({len(diff.removed)}):")
            for key in diff.removed:
                echo(f"  - {_named(key, titles, section)}")
                if section == "requirements":
                    _echo_orphans(orphans[key])
        if diff.changed:
            echo(f"{section} changed ({len(diff.changed)}):")
            for key, changes in diff.changed.items():
                echo(f"  ~ {_named(key, titles, section)}")
                for change in changes:
                    echo(
                        f"      {printable(change.field)}: {printable(repr(change.old))} -> "
                        f"{printable(repr(change.new))}"
                    )
    if not found:
        echo("no differences")
        return
    added, removed, changed = (
        sum(len(getattr(d, part)) for d in found.sections.values())
        for part in ("added", "removed", "changed")
    )
    total = added + removed + changed
    echo(
        f"{total} difference{'s' if total != 1 else ''} ({added} added, {removed} removed, "
        f"{changed} changed); `tracker plugins accept --as USER` makes the installed one the "
        "catalogue in use"
    )
    sys.exit(EXIT_PROBLEMS)


def _named(key: str, titles: dict[str, str], section: str) -> str:
    title = titles.get(key) if section == "requirements" else None
    return printable(key) + (f": {printable(title)}" if title else "")


def _echo_orphans(orphans: list[catalogue_record.OrphanedEvidence]) -> None:
    if not orphans:
        echo("      no evidence would be orphaned")
        return
    echo(f"      evidence that would be orphaned ({len(orphans)}):")
    for item in orphans:
        serves = (
            f"still serves {', '.join(item.still_serves)}"
            if item.still_serves
            else "serves nothing else"
        )
        echo(f"      #{item.id} {printable(item.title)} ({printable(serves)})")


def _api_note(plugin: PluginInfo) -> str:
    """The plugin API range a third-party plugin declares, as `plugins list` shows it."""
    if plugin.built_in or not plugin.loaded:
        return ""
    declared = printable(plugin.api_range) if plugin.api_range else ""
    return f" (plugin API {declared or f'undeclared, taken as {ASSUMED_RANGE}'})"


@click.group("requirements")
def requirements_group() -> None:
    """The requirement catalogue."""


@requirements_group.command("list")
@click.option("--framework", help="Only this jurisdiction, e.g. eu-led.")
@pass_context
def list_requirements(ctx: Context, framework: str | None) -> None:
    """Every enabled requirement, with its citation's verification status."""
    for requirement in ctx.catalogue().requirements.values():
        if framework and requirement.framework != framework:
            continue
        echo(f"{requirement.id:<44} [{requirement.citation.verification:<14}] {requirement.title}")


@requirements_group.command("show")
@click.argument("requirement_id")
@pass_context
@reports_errors
def show_requirement(ctx: Context, requirement_id: str) -> None:
    """One requirement in full, with its citation."""
    r = ctx.catalogue().requirement(requirement_id)
    c = r.citation
    lines = [
        f"{r.id}: {r.title}",
        f"citation:       {c.instrument}, {c.article}",
        f"                {c.url}",
        f"verification:   {c.verification} - {VERIFICATION[c.verification]}"
        + (f" ({c.note})" if c.note else ""),
        f"evidence kinds: {', '.join(r.evidence_kinds)}",
        f"scope:          {SCOPES[r.scope]}",
        f"applies when:   {r.applies_when}",
        f"due before:     {r.due_before or '-'}",
        f"in force from:  {r.in_force_from or 'in force'}",
        f"owner:          {r.owner}",
    ]
    if r.valid_for_months:
        lines.append(
            f"valid for:      {r.valid_for_months} months"
            + (f" ({r.recurrence})" if r.recurrence else "")
        )
    if r.renew_on_change:
        lines.append(f"renew when:     {', '.join(r.renew_on_change)} changes")
    if r.also_satisfied_by:
        lines.append(f"also satisfied by evidence for: {', '.join(r.also_satisfied_by)}")
    if r.description:
        lines += ["", *textwrap.wrap(r.description, 100)]
    echo("\n".join(lines))


@requirements_group.command("why")
@click.argument("requirement_id")
@click.argument("system", type=RecordRef("AI system"))
@click.option("--as-of", type=AS_OF, help="As the system stood on this date (default: today).")
@pass_context
@reports_errors
def why_requirement(
    ctx: Context, requirement_id: str, system: int | str, as_of: date | None
) -> None:
    """Why REQUIREMENT_ID applies to SYSTEM (id or name), or which condition fails.

    Lists the jurisdiction's reason and each fact or plugin answer that decides the
    requirement's rule, with the actual values; exit 0 whether it applies or not.
    """
    ctx.connect()
    day = as_of or date.today()
    catalogue = ctx.catalogue()
    requirement = catalogue.requirement(requirement_id)
    system_id = system_id_of(system)
    snapshot = completeness.load_snapshot(day, catalogue, [system_id], include_retired=True)
    if not snapshot.systems:
        raise NotFound("AI system", f"{system_id} on {day.isoformat()} (not registered by then)")
    fact = snapshot.systems[0]
    verdict = completeness.evaluator_for(catalogue).verdict(fact, requirement, day)
    outcome = "applies to" if verdict.applies else "does not apply to"
    lines = [
        f"{requirement.id} ({printable(requirement.title)}) {outcome} system {fact.id} "
        f"({printable(fact.name)}) on {day.isoformat()}:",
        *(f"  - {printable(reason)}" for reason in verdict.reasons),
        f"rule: {printable(requirement.applies_when)}",
    ]
    if verdict.applies and requirement.in_force_from and day < requirement.in_force_from:
        lines.append(f"not yet in force: in force from {requirement.in_force_from.isoformat()}")
    echo("\n".join(lines))


COMMANDS = [plugins_group, requirements_group]
