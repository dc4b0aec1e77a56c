"""Reading below peewee's models, where completeness's reads spend their time at scale.

Rows come straight from the database driver (:func:`raw_rows`), long lists of ids are written
into the SQL (:func:`among`), and the driver's values are turned into Python's here: moments
SQLite hands back as ISO text, and JSON text parsed once per load (:class:`ParsedJson`,
:class:`ParsedList`). Imports nothing of the tracker's, so any reading module can use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import peewee as pw


def raw_rows(query: pw.Query) -> list[tuple]:
    """Rows straight from the driver: peewee's per-row conversion is the slow part at this scale."""
    return query.model._meta.database.execute(query).fetchall()


def among(column: pw.Field, ids: Iterable[int], as_text: bool = False) -> pw.Expression:
    """``column IN (...)`` with the ids written into the SQL rather than bound one by one:
    peewee builds each bound parameter in Python, and for the tens of thousands of ids a chunk
    of a national portfolio reads (its evidence's reviews), that cost more than the queries.
    Integers only, so there is nothing to escape; ``as_text`` for a text column of ids."""
    listed = ",".join(f"'{int(i)}'" if as_text else str(int(i)) for i in ids)
    return column.in_(pw.SQL(f"({listed or 'NULL'})"))


Listing = Callable[[pw.Field, list[int]], pw.Expression]


def as_moment(value: datetime | str | None) -> datetime | None:
    """A stored moment as a datetime (SQLite hands them back as ISO text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class ParsedJson(dict):
    """JSON values by their text, parsed once per load: SQLite returns JSON columns as text, and
    the same few values recur thousands of times. The values are shared: never change one."""

    def __missing__(self, text: str) -> Any:
        value = self[text] = json.loads(text)
        return value


class ParsedList(dict):
    """Like :class:`ParsedJson`, for JSON lists wanted as tuples."""

    def __missing__(self, text: str) -> tuple:
        value = self[text] = tuple(json.loads(text))
        return value
