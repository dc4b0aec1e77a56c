"""Completeness's reads prepared (:mod:`tracker.prepared`): the few small queries of one
system's answer, built once per shape. :func:`read` prepares a read of a few ids and writes more
into the SQL (a chunk of a national portfolio).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import peewee as pw

from tracker.completeness.driver import among, raw_rows
from tracker.prepared import rows, select

__all__ = ["PREPARED_UP_TO", "bound", "read", "rows", "select"]

# Up to this many ids (a request's system, the evidence it leads to), a read's SQL is built once
# per shape and bound its values; more (a chunk of a national portfolio) are written into the SQL
# by :func:`~tracker.completeness.driver.among`.
PREPARED_UP_TO = 500


def bound(column: pw.Field, ids: list[int]) -> pw.Expression:
    """``column IN (...)`` with each id bound: what a prepared read lists its ids with."""
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
            lambda end, *values: build(end, *values[:count], list(values[count:]), bound),
            end,
            *more,
            *ids,
        )
    return raw_rows(build(end, *more, ids, among))
