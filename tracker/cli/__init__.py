"""The ``tracker`` command: serve the app and operate the tracker from a shell.

Commands call the same plain-Python functions as the API. Bad input ends in
a one-line message naming the field and the rule, and a non-zero exit. Messages and help are in
TRACKER_LANGUAGE, else the locale's language (:mod:`tracker.cli.language`).
"""

from __future__ import annotations

import errno
import functools
import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
import peewee

from tracker import config, db, schema
from tracker.cli.language import speaking
from tracker.cli.output import echo, one_line, printable
from tracker.errors import TrackerError, flatten_messages
from tracker.i18n import gettext as _
from tracker.plugin_host import Catalogue, load_catalogue_for

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

    def connect(self, *, create: bool = False, current_schema: bool = True):
        """Bind and connect the database named by the settings (once).

        Only ``create`` makes a missing SQLite database (``db upgrade`` does): any other
        command says it does not exist yet and leaves nothing behind. Unless
        ``current_schema`` is False, a database whose schema is behind this code (an empty
        file, a database never upgraded) stops the command with the command that fixes it.
        """
        if self._database is None:
            url = self.settings.database_url
            self._database = db.connect(url, create=create)
            if current_schema:
                state = schema.status(self._database)
                if not state.up_to_date:
                    raise click.ClickException(
                        _(
                            "the %(database)s is at schema version %(current)s, this code needs "
                            "version %(latest)s: run `tracker db upgrade`",
                            database=db.describe(url),
                            current=state.current,
                            latest=state.latest,
                        )
                    )
        return self._database

    def database_name(self) -> str:
        """The database as messages name it (never with its password)."""
        if self._settings is None:
            return _("database")
        return db.describe(self._settings.database_url)

    def catalogue(self, *, strict: bool = True, report: bool = True) -> Catalogue:
        """The enabled plugins' catalogue, loaded once per command.

        Settings naming a jurisdiction or requirement that no plugin provides stop the
        command with one line (which names any plugin that failed to load), unless
        ``strict`` is False. Otherwise plugin problems are printed to stderr once, when it
        is loaded, unless ``report`` is False (a command that lists them itself).
        """
        first_load = self._catalogue is None
        if first_load:
            self._catalogue = load_catalogue_for(self.settings, strict=False)
        if strict and (error := self._catalogue.configuration_error()):
            raise click.ClickException(str(error))
        if first_load and report:
            for problem in self._catalogue.problems:
                # A plugin's text reaches the terminal: escaped like every other name.
                echo(_("warning: %(problem)s", problem=printable(problem)), err=True)
        return self._catalogue

    def close(self) -> None:
        if self._database is not None and not self._database.is_closed():
            self._database.close()


def cli_actor(on_behalf_of: str | None = None) -> str:
    """How the audit trail names a CLI action: the named user, and who ran the command."""
    operator = f"cli:{getpass.getuser()}"
    return f"{on_behalf_of} ({operator})" if on_behalf_of else operator


def _domain_message(error: TrackerError) -> str:
    messages = flatten_messages(error.errors) if hasattr(error, "errors") else [str(error)]
    return "; ".join(messages)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a plain message and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TrackerError as error:
            raise click.ClickException(one_line(_domain_message(error))) from None

    return wrapper


@contextmanager
def plain_errors(ctx: click.Context | None) -> Iterator[None]:
    """The CLI's error boundary: whatever a command raises ends as one plain line.

    Click's own errors keep their exit status (2 for usage) with the message made
    printable. Domain errors, bad settings, a database that cannot be used and
    file-system errors become "Error: ..." and status 1. Anything else is a bug:
    one line says so, and TRACKER_DEBUG=1 lets the traceback through.
    """
    try:
        yield
    except (click.exceptions.Exit, click.Abort):
        raise
    except click.ClickException as error:
        error.message = one_line(error.message)
        raise
    except TrackerError as error:
        raise click.ClickException(one_line(_domain_message(error))) from None
    except (config.ConfigError, db.DatabaseUnavailable) as error:
        raise click.ClickException(one_line(error)) from None
    except (peewee.DatabaseError, peewee.InterfaceError) as error:
        state = ctx.find_object(Context) if ctx is not None else None
        where = state.database_name() if state is not None else "database"
        raise click.ClickException(
            one_line(_("the %(database)s refused: %(error)s", database=where, error=error))
        ) from None
    except OSError as error:
        if error.errno == errno.EPIPE:  # output piped into `head`: click ends quietly
            raise
        where = f": {error.filename}" if error.filename else ""
        raise click.ClickException(one_line(f"{error.strerror or error}{where}")) from None
    except Exception as error:
        if os.environ.get("TRACKER_DEBUG"):
            raise
        raise click.ClickException(
            one_line(
                _(
                    "unexpected %(kind)s: %(error)s "
                    "(a bug; run with TRACKER_DEBUG=1 to see the traceback)",
                    kind=type(error).__name__,
                    error=error,
                )
            )
        ) from None


class TrackerGroup(click.Group):
    """The ``tracker`` group: parsing and every subcommand run inside :func:`plain_errors`, in
    the environment's language."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with speaking(self):
            return super().main(*args, **kwargs)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with plain_errors(None):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with plain_errors(ctx):
            return super().invoke(ctx)


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=TrackerGroup)
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
    agency,
    audit,
    backup,
    catalogue,
    completeness,
    events,
    evidence,
    facts,
    operations,
    packs,
    portfolio,
    reminders,
    systems,
    waivers,
)

for module in (
    operations,
    systems,
    accounts,
    agency,
    evidence,
    waivers,
    completeness,
    events,
    catalogue,
    facts,
    portfolio,
    packs,
    reminders,
    audit,
    backup,
):
    for command in module.COMMANDS:
        main.add_command(command)
