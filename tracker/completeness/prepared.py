"""Queries whose SQL is built once per shape and run many times with other values.

Peewee builds a query's SQL in Python, node by node: for the few small queries of one system's
answer (a request reads one system) that cost more than the database running them. A query is
built once per *shape* (the backend, and whatever changes its text: the columns, the event kinds,
how many ids it lists) with a stand-in for each value, the stand-ins are found back among its
parameters, and later runs put their values in those places. Bounded, and shared by the threads
of a process (a lost race only builds a shape twice). :func:`read` prepares a read of a few ids
and writes more into the SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import peewee as pw

from tracker import db
from tracker.completeness.driver import among, raw_rows
from tracker.models import AISystem

SHAPES_KEPT = 512
# Up to this many ids (a request's system, the evidence it leads to), a read's SQL is built once
# per shape and bound its values; more (a chunk of a national portfolio) are written into the SQL
# by :func:`~tracker.completeness.driver.among`.
PREPARED_UP_TO = 500

_shapes: dict[tuple, tuple[str, list, dict[int, int]] | None] = {}


def _stand_in(position: int, value: object) -> object:
    """A value no query is ever given, of ``value``'s type, one per position."""
    if isinstance(value, datetime):
        return datetime(1001, 1, 1, 1, 1, 1, 1 + position)
    if isinstance(value, date):
        return date(1001, 1, 1) + timedelta(days=position)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(10**15) - position
    if isinstance(value, str):
        return f"\x1fstand-in {position}\x1f"
    raise TypeError(f"no stand-in for a {type(value).__name__}")


def rows(shape: tuple, build: Callable[..., pw.Query], *values: Any) -> list[tuple]:
    """The rows of ``build(*values)`` straight from the driver (as ``raw_rows`` reads them),
    its SQL built once per ``shape``. A query whose stand-ins are not each found back among its
    parameters is built every time instead."""
    database = AISystem._meta.database
    key = (db.is_postgres(), *shape)
    found = _shapes.get(key, False)
    if found is False:
        stand_ins = [_stand_in(at, value) for at, value in enumerate(values)]
        sql, params = database.get_sql_context().sql(build(*stand_ins)).query()
        places = {}
        for at, param in enumerate(params):
            for position, stand_in in enumerate(stand_ins):
                if type(param) is type(stand_in) and param == stand_in:
                    places[at] = position
        complete = set(places.values()) == set(range(len(values)))
        found = (sql, list(params), places) if complete else None
        if len(_shapes) >= SHAPES_KEPT:
            _shapes.clear()
        _shapes[key] = found
    if found is None:
        return raw_rows(build(*values))
    sql, params, places = found
    filled = [values[places[at]] if at in places else param for at, param in enumerate(params)]
    return database.execute_sql(sql, filled).fetchall()


def _bound(column: pw.Field, ids: list[int]) -> pw.Expression:
    return column.in_(ids)


def read(
    shape: tuple,
    build: Callable[..., pw.Query],
    end: datetime,
    ids: list[int] | None,
    *more: Any,
) -> list[tuple]:
    """The rows of ``build(end, *more, ids, listing)``: prepared for a few ids, built otherwise.
    ``more``: other values the query compares with (dates, ...), each a value of its own."""
    if ids is not None and 0 < len(ids) <= PREPARED_UP_TO:
        count = len(more)
        return rows(
            (*shape, len(ids)),
            lambda end, *values: build(end, *values[:count], list(values[count:]), _bound),
            end,
            *more,
            *ids,
        )
    return raw_rows(build(end, *more, ids, among))
