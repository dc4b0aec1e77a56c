"""What the CLI prints: user-supplied text cannot drive the terminal.

Names, titles and messages come from users, plugins and the database. Printed
raw, ``"\\x1b[2J"`` in an operator's name would clear the operator's screen and
``"\\r"`` could hide the start of a line. Every command prints through
:func:`echo`, which shows C0 and C1 control characters as visible escapes
(``\\x1b``) while keeping the line breaks that are the output's own structure;
a single value interpolated into a line goes through :func:`printable`, which
escapes its line breaks too, so a name cannot forge a row of a table.
"""

from __future__ import annotations

import re
from typing import Any

import click

# C0 controls, DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, except the line breaks (LF, and CR LF as CSV writes it) and tabs of the output itself.
_CONTROL_IN_TEXT = re.compile(r"\r(?!\n)|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(value: Any) -> str:
    """``value`` as text on one line, every control character shown as ``\\xNN``."""
    return _CONTROL.sub(_escape, str(value))


def printable_text(value: Any) -> str:
    """``value`` as text keeping its line breaks and tabs; other controls shown as ``\\xNN``."""
    return _CONTROL_IN_TEXT.sub(_escape, str(value))


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` for the tracker: control characters neutralised (see the module)."""
    click.echo(printable_text(message), err=err, nl=nl)


def one_line(message: Any) -> str:
    """An error message as one printable line: line breaks and their indents become a space."""
    text = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    return printable(text)
