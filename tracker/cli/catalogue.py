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
from tracker.i18n import N_, ngettext
from tracker.i18n import gettext as _
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
        state = _("loaded") if plugin.loaded else _("NOT LOADED")
        where = f"{plugin.distribution} {plugin.version}".strip() or plugin.module
        enabled = [
            j if j in catalogue.jurisdictions else _("%(id)s (disabled)", id=j)
            for j in plugin.jurisdictions
        ]
        echo(
            f"{plugin.name:<20} {state:<10} {where:<32} {', '.join(enabled) or '-'}: "
            + _(
                "%(requirements)s requirements, %(questions)s questions",
                requirements=plugin.requirement_count,
                questions=plugin.question_count,
            )
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
    problems += [
        _("configuration: %(mistake)s", mistake=mistake) for mistake in catalogue.configuration
    ]
    for problem in problems:
        echo(_("PROBLEM %(problem)s", problem=problem))
    for plugin in catalogue.plugins:
        if plugin.loaded and not plugin.built_in and not plugin.api_range:
            # Not a problem: it loads. Said so that the author declares one before API 2.
            echo(
                _(
                    "NOTE plugin %(name)s declares no TRACKER_PLUGIN_API; taken to be written "
                    "for plugin API %(assumed)s (this tracker: %(version)s)",
                    name=repr(plugin.name),
                    assumed=ASSUMED_RANGE,
                    version=API_VERSION,
                )
            )
    loaded = sum(p.loaded for p in catalogue.plugins)
    echo(
        _(
            "%(loaded)s of %(plugins)s plugins loaded, %(requirements)s requirements enabled, "
            "%(problems)s problems",
            loaded=loaded,
            plugins=len(catalogue.plugins),
            requirements=len(catalogue.requirements),
            problems=len(problems),
        )
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
    source = loaded.info.describe() if loaded.info else _("plugin %(name)s", name=repr(loaded.name))
    echo(
        _(
            "%(source)s: %(jurisdictions)s; the registered systems its requirements would apply "
            "to on %(date)s:",
            source=printable(source),
            jurisdictions=", ".join(loaded.jurisdictions) or _("no jurisdiction"),
            date=day.isoformat(),
        )
    )
    for requirement_id, systems in found.items():
        count = (
            ngettext("%(num)s system", "%(num)s systems", len(systems))
            if systems
            else _("no system")
        )
        echo(f"{printable(requirement_id)}: {count}")
        for system in systems:
            echo(f"  #{system.id} {printable(system.name)}")
    if not found:
        echo(_("(the plugin provides no requirement that loads)"))
    for problem in loaded.problems:
        echo(_("PROBLEM %(problem)s", problem=printable(problem)))
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
    echo(
        _(
            "wrote plugin %(name)s in %(folder)s:",
            name=repr(skeleton.name),
            folder=printable(skeleton.folder),
        )
    )
    for path in skeleton.files:
        echo(f"  {printable(path)}")
    command = f"pip install -e {printable(skeleton.folder)} && tracker plugins check"
    echo(
        _(
            "next: %(command)s (see %(readme)s)",
            command=command,
            readme=printable(skeleton.folder / "README.md"),
        )
    )


@plugins_group.command("texts")
@click.argument("plugin")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the template here (default: the standard output).",
)
@pass_context
@reports_errors
def plugin_texts(ctx: Context, plugin: str, out: Path | None) -> None:
    """Write the translation template (.pot) of the texts PLUGIN declares.

    PLUGIN is an installed entry point name or an importable module. Every text people read
    (titles, descriptions, questions, citations' instruments) is a message, its English the
    id: translate it with `pybabel init -i FILE.pot -d DIR -l fr -D DOMAIN`, compile with
    `pybabel compile`, and declare DIR and DOMAIN in the plugin's tracker_translations hook.
    """
    from babel.messages import pofile

    from tracker.i18n import catalogues

    module = testing.plugin_module(plugin)
    template = catalogues.plugin_template(module, module.__name__.rsplit(".", 1)[-1])
    if out is None:
        pofile.write_po(sys.stdout.buffer, template, width=100, omit_header=False)
        return
    with open(out, "wb") as handle:
        pofile.write_po(handle, template, width=100)
    echo(
        _(
            "wrote %(count)s texts of %(plugin)s to %(path)s",
            count=len(template),
            plugin=repr(plugin),
            path=printable(out),
        )
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


def _field(label: str, value: str) -> str:
    """``"citation:       value"``: the label in the reader's language, the values aligned."""
    # the colon as the language writes it ("citation :" in French), as click's headings do
    return (_("%(heading)s:", heading=_(label)) if label else "").ljust(15) + " " + value


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


def _api_note(plugin: PluginInfo) -> str:
    """The plugin API range a third-party plugin declares, as `plugins list` shows it."""
    if plugin.built_in or not plugin.loaded:
        return ""
    declared = printable(plugin.api_range) if plugin.api_range else ""
    return " " + _(
        "(plugin API %(range)s)",
        range=declared or _("undeclared, taken as %(range)s", range=ASSUMED_RANGE),
    )


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
        _field(N_("citation"), f"{c.instrument}, {c.article}"),
        _field("", c.url),
        _field(N_("verification"), f"{c.verification} - {_(VERIFICATION[c.verification])}")
        + (f" ({c.note})" if c.note else ""),
        _field(N_("evidence kinds"), ", ".join(r.evidence_kinds)),
        _field(N_("scope"), _(SCOPES[r.scope])),
        _field(N_("applies when"), r.applies_when),
        _field(N_("due before"), r.due_before or "-"),
        _field(N_("in force from"), str(r.in_force_from or _("in force"))),
        _field(N_("owner"), r.owner),
    ]
    if r.valid_for_months:
        lines.append(
            _field(
                N_("valid for"),
                ngettext("%(num)s month", "%(num)s months", r.valid_for_months)
                + (f" ({r.recurrence})" if r.recurrence else ""),
            )
        )
    if r.renew_on_change:
        lines.append(
            _field(
                N_("renew when"),
                _("%(fields)s changes", fields=", ".join(r.renew_on_change)),
            )
        )
    if r.also_satisfied_by:
        lines.append(
            _(
                "also satisfied by evidence for: %(requirements)s",
                requirements=", ".join(r.also_satisfied_by),
            )
        )
    if r.description:
        lines += ["", *textwrap.wrap(str(r.description), 100)]
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
    sentence = (
        N_("%(requirement)s (%(title)s) applies to system %(id)s (%(name)s) on %(date)s:")
        if verdict.applies
        else N_(
            "%(requirement)s (%(title)s) does not apply to system %(id)s (%(name)s) on %(date)s:"
        )
    )
    lines = [
        _(
            sentence,
            requirement=requirement.id,
            title=printable(requirement.title),
            id=fact.id,
            name=printable(fact.name),
            date=day.isoformat(),
        ),
        *(f"  - {printable(reason)}" for reason in verdict.reasons),
        _("rule: %(rule)s", rule=printable(requirement.applies_when)),
    ]
    if verdict.applies and requirement.in_force_from and day < requirement.in_force_from:
        lines.append(
            _(
                "not yet in force: in force from %(date)s",
                date=requirement.in_force_from.isoformat(),
            )
        )
    echo("\n".join(lines))


COMMANDS = [plugins_group, requirements_group]
