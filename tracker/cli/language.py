"""The CLI's language: TRACKER_LANGUAGE, else the POSIX locale (LC_ALL, LC_MESSAGES, LANG).

Messages are translated where they are made (``tracker.i18n.gettext``). Help texts are not:
click takes them from docstrings and ``help=`` when the commands are defined, in English. While
a command runs in another language, :func:`speaking` swaps each help text for its translation and
puts the English back afterwards, so that one process (a test run) can run commands in several
languages. Click's own words ("Usage:", "Error: ...") come from click's modules through the
standard ``gettext``; for the run they come from the tracker's catalogue instead.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import click

from tracker import i18n
from tracker.i18n import N_

# Click's modules that call ``_`` / ``ngettext`` for the messages a user of the tracker can see.
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types")

# The words of click's that reach users of the tracker, for the catalogue (click formats them
# with str.format, so their {placeholders} stay as they are in every translation).
CLICK_MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("%(prog)s, version %(version)s"),
    N_("Error: {message}"),
    N_("Aborted!"),
    N_("Try '{command} {option}' for help."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("No such option: {name}"),
    N_("Option {name!r} does not take a value."),
    N_("Argument {name!r} takes {nargs} values."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is not readable."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("default: {default}"),
    N_("required"),
    N_("Choose from:\n\t{choices}"),
)


# What an option's help puts after it (``--as-of YYYY-MM-DD``), by the name of its type: click
# makes it from that name in capitals, for click's types and the tracker's (tracker.cli.params).
# Arguments are named after themselves (SYSTEM) and choices list their values: neither is here.
METAVARS = {
    "text": N_("TEXT"),
    "integer": N_("INTEGER"),
    "float": N_("FLOAT"),
    "boolean": N_("BOOLEAN"),
    "path": N_("PATH"),
    "filename": N_("FILENAME"),
    "id": N_("ID"),
    "id-or-name": N_("ID-OR-NAME"),
    "whole number": N_("WHOLE NUMBER"),
    "YYYY-MM-DD": N_("YYYY-MM-DD"),
    "YYYY-MM-DD HH:MM": N_("YYYY-MM-DD HH:MM"),
}
# What a group's usage line puts after its options (click's default for a group that is not
# chained), and a help section's heading ("Options:"; French writes "Options :").
SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
HEADING = N_("%(heading)s:")


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message click counts (``ngettext``) for the catalogue, as ``N_`` marks others."""
    return singular, plural


CLICK_PLURALS = (
    N_plural("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    N_plural("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    N_plural(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."
    ),
    N_plural("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
)


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for child in command.commands.values():
            yield from _commands(child)


def _swap(target: Any, name: str, value: Any, stack: ExitStack) -> None:
    old = getattr(target, name)
    setattr(target, name, value)
    stack.callback(setattr, target, name, old)


def _translate_help(root: click.Command, stack: ExitStack) -> None:
    for command in _commands(root):
        # Click makes each command's --help option once, with the words of that moment, and
        # keeps it: made afresh for this run, in its language, and forgotten after.
        if hasattr(command, "_help_option"):
            _swap(command, "_help_option", None, stack)
        if getattr(command, "subcommand_metavar", None) == SUBCOMMAND_METAVAR:
            _swap(command, "subcommand_metavar", i18n.gettext(SUBCOMMAND_METAVAR), stack)
        for name in ("help", "short_help", "epilog"):
            text = getattr(command, name, None)
            if text:
                _swap(command, name, i18n.gettext(inspect.cleandoc(text)), stack)
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                _swap(param, "help", i18n.gettext(text), stack)
            if _named_by_type(param):
                _swap(param, "metavar", i18n.gettext(METAVARS[param.type.name]), stack)


def _named_by_type(param: click.Parameter) -> bool:
    """Whether click names the value of ``param`` after its type's name (see METAVARS)."""
    return (
        isinstance(param, click.Option)
        and param.metavar is None
        and not param.is_flag
        and not param.count
        and param.nargs == 1
        and param.type.name in METAVARS
    )


def _write_heading(formatter: click.HelpFormatter, heading: str) -> None:
    """click's ``HelpFormatter.write_heading``, with the language's colon."""
    formatter.write(f"{'':>{formatter.current_indent}}{i18n.gettext(HEADING, heading=heading)}\n")


def _click_words(stack: ExitStack) -> None:
    catalogue = i18n.translations(i18n.current_language())
    gettext: Callable[[str], str] = catalogue.gettext
    ngettext: Callable[[str, str, int], str] = catalogue.ngettext
    _swap(click.HelpFormatter, "write_heading", _write_heading, stack)
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            _swap(module, "_", gettext, stack)
        if hasattr(module, "ngettext"):
            _swap(module, "ngettext", ngettext, stack)


@contextmanager
def speaking(root: click.Command) -> Iterator[str]:
    """Run the command tree under ``root`` in the environment's language (see the module)."""
    language = i18n.environment_language()
    with i18n.using(language), ExitStack() as stack:
        if language != i18n.DEFAULT_LANGUAGE:
            _translate_help(root, stack)
            _click_words(stack)
        yield language
