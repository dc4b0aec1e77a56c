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

On PostgreSQL the server prepares each shape too, once per connection (``PREPARE``, then
``EXECUTE`` with the values): it parses and plans the statement once instead of at every run,
which for the small queries of a request was most of their time in the database (one system's
completeness: its nine statements in 1.6 ms planned each time, 0.9 ms prepared). A shape the
server refuses (a parameter whose type it cannot infer, say) is run as plain SQL instead; the
first run of each is tried apart (inside a savepoint in a transaction), so a refusal never
breaks the caller's transaction. Prepared statements follow ``search_path`` and the tables'
changes (the server plans them again), and are named after their SQL, so a connection holds
one per distinct statement, ``SERVER_STATEMENTS_KEPT`` at most.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import peewee as pw

from tracker import db

SHAPES_KEPT = 512
SERVER_STATEMENTS_KEPT = 1000  # per connection; then DEALLOCATE ALL and prepare anew
# What the server says of a statement it will not prepare or run with these values (a lost
# connection is no refusal: it is raised).
REFUSALS = (pw.ProgrammingError, pw.DataError)

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """A shape's SQL, its parameters with the stand-ins' places, and how its rows are read."""

    sql: str
    params: list
    places: dict[int, int]  # parameter index -> which value goes there
    model: type[pw.Model]
    row_type: Any  # peewee's ROW kind of the query (model instances, dicts, tuples)
    server_name: str = ""  # on PostgreSQL, the name the server prepares it under

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
        name = _server_name(sql) if key[0] else ""
        found = Prepared(sql, params, places, query.model, row_type, name) if same else None
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
    database = found.model._meta.database
    return _run(found, values, lambda sql, params: database.execute_sql(sql, params).fetchall())


def select(shape: tuple, build: Callable[..., pw.Query], *values: Any) -> list:
    """The rows of ``build(*values)`` as peewee gives them (model instances, dicts or tuples,
    each value converted by its field), its SQL built once per ``shape``. For a select of one
    model's columns (its joins filter, they add no columns)."""
    found = prepare(shape, build, values)
    if found is None:
        return list(build(*values))

    def read(sql: str, params: list) -> list:
        raw = found.model.raw(sql, *params)
        raw._row_type = found.row_type
        return list(raw)

    return _run(found, values, read)


def first(shape: tuple, build: Callable[..., pw.Query], *values: Any) -> Any:
    """The first row :func:`select` reads, or None (``build`` limits its query to one row)."""
    found = select(shape, build, *values)
    return found[0] if found else None


# PostgreSQL: the server's own prepared statements.

# Connection -> the names it has prepared; shared by the threads, each with its connection.
_on_connection: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_plain: dict[str, str] = {}  # name -> the shape's plain SQL (:func:`plain`)
_checked: set[str] = set()  # names whose EXECUTE has run once in this process
_refused: set[str] = set()  # names the server would not prepare or run: plain SQL instead


def _server_name(sql: str) -> str:
    """The statement's name: the same SQL gets the same name, whichever shape built it."""
    return "tracker_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()


def _numbered(sql: str) -> str:
    """``sql`` with psycopg2's ``%s`` made PREPARE's ``$1``, ``$2``... (``%%`` stays: the
    PREPARE goes through the driver's formatting like every statement)."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%%"
        count += 1
        return f"${count}"

    return re.sub(r"%%|%s", number, sql)


def _apart(database: pw.Database) -> contextlib.AbstractContextManager:
    """Inside a transaction, a savepoint: a statement the server refuses leaves it whole."""
    return database.savepoint() if database.in_transaction() else contextlib.nullcontext()


def _prepared_here(database: pw.Database, found: Prepared) -> bool:
    """Whether this connection has the shape prepared (preparing it now if it has not); False
    once the server has refused it."""
    name = found.server_name
    connection = database.connection()
    with _lock:
        names = _on_connection.setdefault(connection, set())
    if name in names:
        return True
    if len(names) >= SERVER_STATEMENTS_KEPT:
        database.execute_sql("DEALLOCATE ALL")
        names.clear()
    try:
        with _apart(database):
            database.execute_sql(f"PREPARE {name} AS {_numbered(found.sql)}")
    except REFUSALS as error:
        log.debug("%s runs as plain SQL: the server would not prepare it (%s)", name, error)
        _refused.add(name)
        return False
    names.add(name)
    _plain[name] = found.sql
    return True


def plain(sql: str) -> str:
    """The SQL a statement stands for: for an ``EXECUTE`` of a prepared shape, the shape's own
    (its parameters the same, in the same order); any other statement is itself. For whoever
    reads the statements sent (a log, a test counting queries or checking their plans)."""
    if sql.startswith("EXECUTE tracker_"):
        return _plain.get(sql.split(None, 2)[1], sql)
    return sql


def is_preparation(sql: str) -> bool:
    """Whether ``sql`` prepares a statement on the server (once per connection), rather than
    reading anything."""
    return sql.startswith("PREPARE tracker_")


def _run(found: Prepared, values: tuple, read: Callable[[str, list], T]) -> T:
    """``read`` the shape's rows with ``values``: on PostgreSQL by ``EXECUTE`` of the statement
    this connection has prepared; else, or once the server has refused it, by its plain SQL.
    The first run of each statement in this process is tried apart: the values' types may not
    fit the parameters the server inferred."""
    params = found.filled(values)
    name = found.server_name
    database = found.model._meta.database
    if not name or name in _refused or not _prepared_here(database, found):
        return read(found.sql, params)
    execute = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if name in _checked:
        return read(execute, params)
    try:
        with _apart(database):
            answer = read(execute, params)
    except REFUSALS as error:
        log.debug("%s runs as plain SQL: the server would not run it (%s)", name, error)
        _refused.add(name)
        return read(found.sql, params)
    _checked.add(name)
    return answer
