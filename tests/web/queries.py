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


def app_database():
    """The database the app's requests run on: the models' binding. A test's ``migrated``
    fixture is bound before the app is made, which binds its own (pooled) one."""
    from tracker.models import AISystem

    return AISystem._meta.database.obj
