"""CLI: installed plugins and their health, and the requirement catalogue.

The ``plugins`` group's own commands (list, check, affected, new, texts) are here; its
``accept`` and ``diff`` commands are in :mod:`tracker.cli.catalogue_record` and the
``requirements`` group in :mod:`tracker.cli.requirements`. ``COMMANDS`` registers both groups,
as :mod:`tracker.cli` expects, and their names stay importable from here.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from tracker import plugin_skeleton, testing
from tracker.cli import EXIT_PROBLEMS, Context, pass_context, reports_errors
from tracker.cli.catalogue_record import NothingAccepted as NothingAccepted
from tracker.cli.catalogue_record import accept_catalogue, diff_catalogue
from tracker.cli.output import echo, printable
from tracker.cli.requirements import list_requirements as list_requirements
from tracker.cli.requirements import requirements_group
from tracker.cli.requirements import show_requirement as show_requirement
from tracker.cli.requirements import why_requirement as why_requirement
from tracker.i18n import gettext as _
from tracker.i18n import ngettext
from tracker.plugin_api import API_VERSION, ASSUMED_RANGE
from tracker.plugin_host import PluginInfo, deployment_of


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


# accept and diff live in tracker.cli.catalogue_record; registered after the plugin commands.
plugins_group.add_command(accept_catalogue)
plugins_group.add_command(diff_catalogue)


def _api_note(plugin: PluginInfo) -> str:
    """The plugin API range a third-party plugin declares, as `plugins list` shows it."""
    if plugin.built_in or not plugin.loaded:
        return ""
    declared = printable(plugin.api_range) if plugin.api_range else ""
    return " " + _(
        "(plugin API %(range)s)",
        range=declared or _("undeclared, taken as %(range)s", range=ASSUMED_RANGE),
    )


COMMANDS = [plugins_group, requirements_group]
