"""Queries whose SQL is built once per shape and run many times with other values.

Peewee builds a query's SQL in Python, node by node: for the few small queries of a request
(who is signed in, one system, a page of the portfolio) that cost more than the database
running them, a third of a portfolio page's time in the API. A query is built once per *shape*
(the backend, and whatever changes its text: the columns, the event kinds, how many ids it
lists) with a stand-in for each value, the stand-ins are found back among its parameters, and
later runs put their values in those places: so ``build`` must compare each value as it is
given (a value it transforms, such as a casefolded name, is transformed by the caller instead).
The query is built with two sets of stand-ins that differ in case, sign, day and time: when
they do not give the same SQL with every stand-in in the same place (a value converted,
transformed or used to derive another), the shape is built every time instead.
Bounded, and shared by the threads of a process (a lost race only builds a shape twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import peewee as pw

from tracker import db

SHAPES_KEPT = 512


@dataclass(frozen=True)
class Prepared:
    """A shape's SQL, its parameters with the stand-ins' places, and how its rows are read."""

    sql: str
    params: list
    places: dict[int, int]  # parameter index -> which value goes there
    model: type[pw.Model]
    row_type: Any  # peewee's ROW kind of the query (model instances, dicts, tuples)

    def filled(self, values: tuple) -> list:
        return [
            values[self.places[at]] if at in self.places else param
            for at, param in enumerate(self.params)
        ]


_shapes: dict[tuple, Prepared | None] = {}


def _stand_in(position: int, value: object, variant: int) -> object:
    """A value no query is ever given, of ``value``'s type, one per position and variant. The
    two variants differ in every way a query could transform a value (case, sign, day of the
    month, time of day), so that a transformed value is never mistaken for the one given."""
    if isinstance(value, datetime):
        if variant:
            return datetime(1002, 6, 17, 13, 47, 29, 1 + position)
        return datetime(1001, 1, 1, 1, 1, 1, 1 + position)
    if isinstance(value, date):
        return (
            date(1002, 6, 17) + timedelta(days=position)
            if variant
            else date(1001, 1, 1) + timedelta(days=position)
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return 10**15 + 7 * position if variant else -(10**15) - position
    if isinstance(value, str):
        return f"\x1fStand-In {position} Ǆ\x1f" if variant else f"\x1fstand-in {position}\x1f"
    raise TypeError(f"no stand-in for a {type(value).__name__}")


def _built(build: Callable[..., pw.Query], values: tuple, variant: int):
    """The SQL, parameters and stand-ins' places of ``build`` given one variant's stand-ins."""
    stand_ins = [_stand_in(at, value, variant) for at, value in enumerate(values)]
    query = build(*stand_ins)
    sql, params = query.model._meta.database.get_sql_context().sql(query).query()
    places = {}
    for at, param in enumerate(params):
        for position, stand_in in enumerate(stand_ins):
            if type(param) is type(stand_in) and param == stand_in:
                places[at] = position
    return query, sql, list(params), places


def prepare(shape: tuple, build: Callable[..., pw.Query], values: tuple) -> Prepared | None:
    """The shape's prepared query (built now if it is new), or None if it cannot be.

    Built twice, with two different sets of stand-ins: prepared only if both give the same
    SQL, each stand-in in the same places (every one of them found back) and the same other
    parameters. So a value the query transforms, or derives another parameter from, makes
    the shape one that is built every time."""
    # The values' types are part of the shape: a field converts a date and a datetime, or a
    # number and a text, differently.
    key = (db.is_postgres(), *shape, *(type(value) for value in values))
    found = _shapes.get(key, False)
    if found is False:
        try:
            query, sql, params, places = _built(build, values, 0)
            _, other_sql, other_params, other_places = _built(build, values, 1)
        except TypeError:  # a value of a type with no stand-in: this call is built as it is
            return None
        same = (
            sql == other_sql
            and places == other_places
            and set(places.values()) == set(range(len(values)))
            and all(params[at] == other_params[at] for at in range(len(params)) if at not in places)
        )
        row_type = getattr(query, "_row_type", None)
        found = Prepared(sql, params, places, query.model, row_type) if same else None
        if len(_shapes) >= SHAPES_KEPT:
            _shapes.clear()
        _shapes[key] = found
    return found


def rows(shape: tuple, build: Callable[..., pw.Query], *values: Any) -> list[tuple]:
    """The rows of ``build(*values)`` straight from the driver (no conversion), its SQL built
    once per ``shape``."""
    found = prepare(shape, build, values)
    if found is None:
        query = build(*values)
        return query.model._meta.database.execute(query).fetchall()
    return found.model._meta.database.execute_sql(found.sql, found.filled(values)).fetchall()


def select(shape: tuple, build: Callable[..., pw.Query], *values: Any) -> list:
    """The rows of ``build(*values)`` as peewee gives them (model instances, dicts or tuples,
    each value converted by its field), its SQL built once per ``shape``. For a select of one
    model's columns (its joins filter, they add no columns)."""
    found = prepare(shape, build, values)
    if found is None:
        return list(build(*values))
    raw = found.model.raw(found.sql, *found.filled(values))
    raw._row_type = found.row_type
    return list(raw)


def first(shape: tuple, build: Callable[..., pw.Query], *values: Any) -> Any:
    """The first row :func:`select` reads, or None (``build`` limits its query to one row)."""
    found = select(shape, build, *values)
    return found[0] if found else None
