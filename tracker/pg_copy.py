"""PostgreSQL's COPY text format, for the bulk writes: the reminder ledger and the portfolio index.

COPY is the cheapest way in for the client and the server alike: a multi-row ``VALUES`` costs
the client a quoted literal per value and the server a statement to parse, which at a million
ledger rows a day, or twenty thousand 10 KB portfolio summaries, cost more than writing them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any


def copy_value(value: Any) -> str:
    """One value in COPY's text format: NULL as ``\\N``, booleans as t and f, bytes as bytea's
    hex form, backslashes, tabs and line ends escaped."""
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()  # bytea's \x form, its backslash escaped for COPY
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = value if type(value) is str else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_rows(
    cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """``rows`` (values in ``columns``' order) copied into ``table`` in one COPY."""
    copy_text(
        cursor, table, columns, "".join("\t".join(map(copy_value, row)) + "\n" for row in rows)
    )


def copy_text(cursor: Any, table: str, columns: Sequence[str], text: str) -> None:
    """Lines already in COPY's text format (one row a line) copied into ``table``."""
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text))
