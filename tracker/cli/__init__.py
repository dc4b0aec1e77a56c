"""The ``tracker`` command: serve the app and operate the tracker from a shell.

Commands call the same plain-Python functions as the API. Bad input ends in
a one-line message naming the field and the rule, and a non-zero exit.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import Any

import click

from tracker import config, db
from tracker.errors import TrackerError, flatten_messages
from tracker.plugin_host import Catalogue, load_catalogue

EXIT_PROBLEMS = 1


class Context:
    """Settings and a connected database, made on first use so ``--help`` needs neither."""

    def __init__(self) -> None:
        self._settings: config.Settings | None = None
        self._database = None
        self._catalogue: Catalogue | None = None

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            try:
                self._settings = config.from_environ()
            except config.ConfigError as error:
                raise click.ClickException(str(error)) from None
        return self._settings

    def connect(self):
        """Bind and connect the database named by the settings (once)."""
        if self._database is None:
            self._database = db.bind(self.settings.database_url)
            self._database.connect(reuse_if_open=True)
        return self._database

    def catalogue(self, *, strict: bool = True, report: bool = True) -> Catalogue:
        """The enabled plugins' catalogue, loaded once per command.

        Settings naming a jurisdiction or requirement that no plugin provides stop the
        command with one line (which names any plugin that failed to load), unless
        ``strict`` is False. Otherwise plugin problems are printed to stderr once, when it
        is loaded, unless ``report`` is False (a command that lists them itself).
        """
        first_load = self._catalogue is None
        if first_load:
            self._catalogue = load_catalogue(
                self.settings.jurisdictions, self.settings.in_force_from, strict=False
            )
        if strict and (error := self._catalogue.configuration_error()):
            raise click.ClickException(str(error))
        if first_load and report:
            for problem in self._catalogue.problems:
                click.echo(f"warning: {problem}", err=True)
        return self._catalogue

    def close(self) -> None:
        if self._database is not None and not self._database.is_closed():
            self._database.close()


def cli_actor(on_behalf_of: str | None = None) -> str:
    """How the audit trail names a CLI action: the named user, and who ran the command."""
    operator = f"cli:{getpass.getuser()}"
    return f"{on_behalf_of} ({operator})" if on_behalf_of else operator


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a plain message and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TrackerError as error:
            messages = flatten_messages(error.errors) if hasattr(error, "errors") else [str(error)]
            raise click.ClickException("; ".join(messages)) from None

    return wrapper


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group()
@click.version_option(package_name="ai-evidence-tracker")
@click.pass_context
def main(ctx: click.Context) -> None:
    """AI Evidence Tracker: evidence the law requires for AI systems in law enforcement.

    Configuration comes from TRACKER_* environment variables (see the README).
    """
    state = ctx.ensure_object(Context)
    ctx.call_on_close(state.close)


from tracker.cli import (  # noqa: E402  (register commands)
    accounts,
    audit,
    catalogue,
    completeness,
    evidence,
    operations,
    reminders,
    waivers,
)

for module in (operations, accounts, evidence, waivers, completeness, catalogue, reminders, audit):
    for command in module.COMMANDS:
        main.add_command(command)
