"""COPY's text format: what goes in comes back, whatever a value holds."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker import db, pg_copy

TRICKY = [
    (1, "plain", None, True, date(2026, 11, 28), datetime(2026, 11, 28, 6, 5, 4, 321)),
    (2, 'tab\there, line\nend, cr\r, back\\slash, \\N, "quotes"', "é ✓", False, None, None),
    (3, '{"json": "with \\"escapes\\" and \\\\n"}', "", None, date(2026, 1, 1), None),
]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # COPY is PostgreSQL's
def test_values_come_back_as_they_went_in(database_url):
    database = db.bind(database_url)
    with database.connection_context():
        cursor = database.cursor()
        cursor.execute(
            "CREATE TEMPORARY TABLE copied (n int, a text, b text, c boolean, d date, e timestamp)"
        )
        pg_copy.copy_rows(cursor, "copied", ["n", "a", "b", "c", "d", "e"], TRICKY)
        cursor.execute("SELECT n, a, b, c, d, e FROM copied ORDER BY n")
        assert cursor.fetchall() == TRICKY


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_bytes_come_back_as_they_went_in(database_url):
    every_byte = bytes(range(256)) * 3  # tabs, line ends, backslashes, NULs among them
    database = db.bind(database_url)
    with database.connection_context():
        cursor = database.cursor()
        cursor.execute("CREATE TEMPORARY TABLE copied (n int, body bytea)")
        pg_copy.copy_rows(cursor, "copied", ["n", "body"], [(1, every_byte), (2, b"")])
        cursor.execute("SELECT n, body FROM copied ORDER BY n")
        assert [(n, bytes(body)) for n, body in cursor.fetchall()] == [(1, every_byte), (2, b"")]
