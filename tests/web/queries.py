"""Counting the SQL statements a page runs, to hold pages to a fixed number (no query per row)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def counted(database) -> Iterator[list[str]]:
    """The SQL statements ``database`` runs inside the block."""
    queries: list[str] = []
    original = database.execute_sql

    def counting(sql, *args, **kwargs):
        queries.append(sql)
        return original(sql, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield queries
    finally:
        del database.execute_sql
