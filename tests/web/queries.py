"""Counting the SQL statements a page runs, to hold pages to a fixed number (no query per row).

Statements are recorded as the SQL they stand for: on PostgreSQL a prepared shape runs as
``EXECUTE`` of the server's statement (tracker.prepared), recorded as its plain SQL, and the
``PREPARE`` before its first run on a connection is no query of the call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tracker import prepared


@contextmanager
def _sent(database, keep: Callable[[str, tuple], None], as_sent: bool = False) -> Iterator[None]:
    original = database.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        if as_sent:
            keep(sql, tuple(params or ()))
        elif not prepared.is_preparation(sql):
            keep(prepared.plain(sql), tuple(params or ()))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = recording
    try:
        yield
    finally:
        del database.execute_sql


@contextmanager
def recorded(database) -> Iterator[list[tuple[str, tuple]]]:
    """The SQL statements ``database`` runs inside the block, with their parameters."""
    sent: list[tuple[str, tuple]] = []
    with _sent(database, lambda sql, params: sent.append((sql, params))):
        yield sent


@contextmanager
def sent_as_is(database) -> Iterator[list[str]]:
    """Every statement ``database`` runs inside the block as it was sent, a ``PREPARE`` and an
    ``EXECUTE`` as such (tests of tracker.prepared itself)."""
    sent: list[str] = []
    with _sent(database, lambda sql, params: sent.append(sql), as_sent=True):
        yield sent


@contextmanager
def counted(database) -> Iterator[list[str]]:
    """The SQL statements ``database`` runs inside the block."""
    queries: list[str] = []
    with _sent(database, lambda sql, params: queries.append(sql)):
        yield queries


def app_database():
    """The database the app's requests run on: the models' binding. A test's ``migrated``
    fixture is bound before the app is made, which binds its own (pooled) one."""
    from tracker.models import AISystem

    return AISystem._meta.database.obj
