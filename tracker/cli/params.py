"""Parameter types for CLI arguments: ids, dates and ports checked before any work starts.

Each type turns bad input into click's usage error (exit 2) naming the
parameter and the rule, so a command never hands the database an id it cannot
store or the calendar a day that does not exist.

A type's ``name`` is what an option's help shows after it, in capitals (``--as-of YYYY-MM-DD``);
tracker.cli.language.METAVARS translates it, by that name, when the CLI speaks another language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from tracker.db import MAX_ID
from tracker.i18n import N_
from tracker.i18n import gettext as _

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The records commands name by id, as messages name them (marked here for the catalogue).
ENTITIES = (N_("AI system"), N_("API token"), N_("evidence"), N_("user"), N_("waiver"))
# No evidence, token or waiver predates 1900; 9999-12-31 stays open as "never expires".
FIRST_DAY = date(1900, 1, 1)
# A sweep or a replay reasons a while past its day (lead days, review deadlines): far enough
# from the end of the calendar that this cannot leave it.
LAST_AS_OF = date(9000, 12, 31)


class RecordId(click.ParamType):
    """The id of a stored record: a whole number from 1 to the largest id a database holds."""

    name = "id"

    def __init__(self, entity: str) -> None:
        self.entity = entity

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.isascii() and value.isdigit():
            number = int(value)
        else:
            self.fail(
                _("%(value)s is not %(rule)s", value=repr(value), rule=self._rule), param, ctx
            )
        if not 1 <= number <= MAX_ID:
            self.fail(
                _(
                    "no %(entity)s has id %(number)s: ids are %(rule)s",
                    entity=_(self.entity),
                    number=number,
                    rule=self._rule,
                ),
                param,
                ctx,
            )
        return number

    @property
    def _rule(self) -> str:
        return _("a whole number from 1 to %(max)s", max=MAX_ID)


class RecordRef(click.ParamType):
    """A record named by id (digits) or by name: ids are range-checked, names pass through."""

    name = "id-or-name"

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._id = RecordId(entity)

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | str:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return self._id.convert(value, param, ctx)
        if isinstance(value, str) and not value.strip():
            self.fail(
                _("give the %(entity)s's id or name, not an empty string", entity=_(self.entity)),
                param,
                ctx,
            )
        return value


class Day(click.ParamType):
    """A calendar day written YYYY-MM-DD, from FIRST_DAY to ``last``."""

    name = "YYYY-MM-DD"

    def __init__(self, last: date = date.max) -> None:
        self.last = last

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            day = value
        else:
            text = str(value)
            if not _ISO_DAY.fullmatch(text):
                self.fail(
                    _("%(text)s is not a date written YYYY-MM-DD", text=repr(text)), param, ctx
                )
            try:
                day = date.fromisoformat(text)
            except ValueError as error:  # "month must be in 1..12", "year 0 is out of range"
                self.fail(
                    _("%(text)s is not a date: %(error)s", text=repr(text), error=error), param, ctx
                )
        if not FIRST_DAY <= day <= self.last:
            self.fail(
                _(
                    "%(day)s is outside %(first)s to %(last)s",
                    day=day.isoformat(),
                    first=FIRST_DAY.isoformat(),
                    last=self.last.isoformat(),
                ),
                param,
                ctx,
            )
        return day


class Number(click.IntRange):
    """A whole number within bounds (click's IntRange, named as users say it)."""

    name = "whole number"


DAY = Day()  # a date that is stored: issued, valid, expires
AS_OF = Day(last=LAST_AS_OF)  # the day a sweep or a completeness replay is computed for
PORT = Number(1, 65535)


F = TypeVar("F", bound=Callable[..., Any])


def acting_user(help: str) -> Callable[[F], F]:
    """``--as USER``: who a command acts for, as the audit trail names them (required)."""
    return click.option("--as", "username", required=True, type=RecordRef("user"), help=help)
