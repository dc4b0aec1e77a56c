"""CSV downloads of what a page shows: one place that keeps spreadsheet formulas out.

A cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
return first) is written with a leading apostrophe, so opening an export never runs what a user
typed into a name, a title or a note.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as it may go into a cell: text starting like a formula is kept as text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_response(filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Response:
    """A CSV attachment: the header, then each row with every cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(value) for value in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
