"""Importing a system's operators: one person authorised to use it per row of a CSV file.

Columns: name, email, unit, authorised_from and authorised_until (the first and last day of
the authorisation, YYYY-MM-DD). A row whose e-mail is a current operator's updates that
operator (an empty cell leaves its value as it is); any other row adds an operator. Each row
is judged by the rules of adding one by hand, and the import writes every row or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import marshmallow as ma

from tracker import register
from tracker.db import write_transaction
from tracker.errors import Conflict
from tracker.i18n import gettext as _
from tracker.i18n.validation import localizable
from tracker.imports.csvfile import (
    MAX_BYTES,
    MAX_ROWS,
    CellError,
    ImportRefused,
    RowError,
    column_position,
    day,
    read_table,
)
from tracker.imports.register import row_errors
from tracker.models import AISystem, Operator
from tracker.profile import OperatorSchema

COLUMNS = ("name", "email", "unit", "authorised_from", "authorised_until")
REQUIRED_COLUMNS = ("name", "email")
DATE_COLUMNS = ("authorised_from", "authorised_until")
ALIASES = {
    "full_name": "name",
    "e_mail": "email",
    "mail": "email",
    "email_address": "email",
    "department": "unit",
    "from": "authorised_from",
    "authorised_since": "authorised_from",
    "start": "authorised_from",
    "until": "authorised_until",
    "end": "authorised_until",
    "last_day": "authorised_until",
}
EXAMPLE = {
    "name": "Ana Duarte",
    "email": "ana.duarte@police.example",
    "unit": "Forensic imaging unit",
    "authorised_from": "2026-01-05",
    "authorised_until": "",
}


def template() -> str:
    """The CSV file to fill in: the header and one example row."""
    rows = [",".join(COLUMNS), ",".join(EXAMPLE[name] for name in COLUMNS)]
    return "\ufeff" + "\r\n".join(rows) + "\r\n"


@dataclass
class PlannedOperator:
    """What a row would do: create an operator, update one (``changes``: old and new values
    by field), or nothing (unchanged); ``errors`` when it breaks a rule."""

    row: int
    cells: dict[str, str]
    action: str  # "create", "update", "unchanged"; "" when the row has errors
    data: dict[str, Any] = field(default_factory=dict)  # for add_operator / update_operator
    operator_id: int | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    # The period as it would stand, as read (a day written 05/01/2026 is 5 January):
    # None for the first day means from now, for the last day until removed.
    first_day: date | None = None
    last_day: date | None = None


@dataclass
class OperatorPlan:
    rows: list[PlannedOperator]
    unknown_columns: list[str]
    delimiter: str

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def writes(self) -> int:
        return self.count("create") + self.count("update")


def _current(operator: Operator) -> dict[str, Any]:
    return {
        "name": operator.name,
        "email": operator.email,
        "unit": operator.unit,
        "authorised_from": operator.added_at.date(),
        "authorised_until": register.last_day(operator),
    }


def _judge(
    number: int,
    cells: dict[str, str],
    existing: Operator | None,
) -> PlannedOperator:
    errors: list[RowError] = []
    values: dict[str, Any] = {name: cells[name] for name in ("name", "email") if name in cells}
    if cells.get("unit") or existing is None:
        values["unit"] = cells.get("unit", "")
    for column in DATE_COLUMNS:
        try:
            found = day(cells.get(column, ""))
        except CellError as error:
            errors.append(RowError(number, column, str(error)))
        else:
            if found is not None:
                values[column] = found.isoformat()
    try:
        clean = OperatorSchema().load(values)
    except ma.ValidationError as error:
        # marshmallow's English messages, read in the importer's language like the register's
        errors += row_errors(number, localizable(error.normalized_messages()))
        return PlannedOperator(number, cells, "", errors=errors)
    if errors:
        return PlannedOperator(number, cells, "", errors=errors)
    before = _current(existing) if existing is not None else {}
    first = clean.get("authorised_from") or before.get("authorised_from") or date.today()
    last = clean.get("authorised_until") or before.get("authorised_until")
    if last is not None and last < first:
        message = _(
            "Must be on or after the first day of the authorisation (%(day)s).",
            day=first.isoformat(),
        )
        return PlannedOperator(
            number, cells, "", errors=[RowError(number, "authorised_until", message)]
        )
    period = {"first_day": clean.get("authorised_from") or before.get("authorised_from"),
              "last_day": last}  # fmt: skip
    if existing is None:
        return PlannedOperator(number, cells, "create", values, **period)
    changes = {  # only what the row gives: an empty cell leaves the value as it is
        name: (before[name], clean[name]) for name in values if clean[name] != before[name]
    }
    data = {name: values[name] for name in changes}
    return PlannedOperator(
        number, cells, "update" if changes else "unchanged", data, existing.id, changes, **period
    )


def plan(
    system: AISystem,
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> OperatorPlan:
    """The dry run: what each row would create or update, and every row's errors; nothing
    is written. FileRefused when the file itself cannot be read."""
    if system.retired_at is not None:
        raise Conflict(f"AI system {system.id} is retired; operators can no longer be added")
    table = read_table(
        data,
        COLUMNS,
        required=REQUIRED_COLUMNS,
        aliases=ALIASES,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )
    current = {op.email.lower(): op for op in register.list_operators(system)}
    earlier: dict[str, int] = {}
    planned = []
    for row in table.rows:
        email = row.cells.get("email", "").lower()
        judged = _judge(row.number, row.cells, current.get(email))
        judged.errors[:0] = row.problems
        if email and email in earlier:
            judged.errors.append(
                RowError(row.number, "email", _("Same e-mail as row %(row)s.", row=earlier[email]))
            )
        earlier.setdefault(email, row.number)
        if judged.errors:
            judged.action = ""
            judged.errors.sort(key=lambda error: column_position(error.column, COLUMNS))
        planned.append(judged)
    return OperatorPlan(planned, table.unknown, table.delimiter)


@dataclass
class Imported:
    created: list[Operator]
    updated: list[Operator]


def commit(system: AISystem, data: bytes, actor: str) -> Imported:
    """Add and update every row's operator in one transaction, each change audited;
    ImportRefused (nothing written) when any row breaks a rule."""
    done = Imported([], [])
    with write_transaction():  # judged and written with no other writer in between
        checked = plan(system, data)
        if not checked.ok:
            raise ImportRefused(checked)
        for row in checked.rows:
            if row.action == "create":
                done.created.append(register.add_operator(system, row.data, actor))
            elif row.action == "update":
                operator = register.get_operator(system, row.operator_id)
                done.updated.append(register.update_operator(operator, row.data, actor))
    return done
