"""Reading large results a chunk at a time, on SQLite and PostgreSQL alike.

The sweep reads ledger rows by the hundred thousand (escalation history, rows waiting, e-mails
to queue): this keeps its memory flat whatever the size of the ledger.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import peewee as pw

from tracker.db import is_postgres

_names = itertools.count()


def stream(query: pw.Query, size: int = 5000) -> Iterator[tuple]:
    """The rows of ``query`` as tuples, never all in memory at once.

    peewee's iterator() does not cache rows, but psycopg2's ordinary cursor still fetches the
    whole result into the client: on PostgreSQL a named (server-side) cursor, inside a
    transaction, hands them over ``size`` at a time.
    """
    database = query.model._meta.database
    sql, params = query.sql()
    if not is_postgres():
        yield from database.execute_sql(sql, params)
        return
    with database.atomic():
        cursor = database.connection().cursor(name=f"tracker_stream_{next(_names)}", withhold=True)
        cursor.itersize = size
        try:
            cursor.execute(sql, params)
            yield from cursor
        finally:
            cursor.close()
