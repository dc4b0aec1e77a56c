"""Reading a CSV file made in a spreadsheet, and the cells people write in it.

Real files are messy: Excel writes a byte-order mark and, in much of Europe, separates
cells with ``;``; people leave blank lines, trailing spaces and columns of their own, and
write flags as yes, TRUE or oui. This module reads all of that and refuses, in one sentence
saying what to do, only what cannot be read: another encoding than UTF-8, a file or a row
count over the limit, a header without the required columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker.errors import ValidationFailed
from tracker.i18n import format_number, format_size
from tracker.i18n import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
DELIMITERS = (",", ";", "\t")
# How lists of values are written in one cell ("Serious crime; Fraud").
LIST_SEPARATOR = ";"

TRUE = frozenset({"yes", "y", "true", "t", "1", "oui", "o", "vrai", "x", "ja", "si"})
FALSE = frozenset({"no", "n", "false", "f", "0", "non", "faux", "nee", "nein"})


class FileRefused(ValidationFailed):
    """The file as a whole cannot be imported; nothing in it is."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": [message]})
        self.message = message


class ImportRefused(ValidationFailed):
    """Some rows break rules: nothing was imported. ``plan`` holds every row's errors."""

    def __init__(self, plan: Any) -> None:
        errors = plan.errors
        super().__init__(
            {"rows": [str(error) for error in errors]},
            _(
                "%(failing)s of %(rows)s rows have errors; nothing was imported.",
                failing=len({error.row for error in errors}),
                rows=len(plan.rows),
            ),
        )
        self.plan = plan


class CellError(ValueError):
    """A cell that cannot be read as its column's kind of value; the message is the rule."""


@dataclass(frozen=True)
class RowError:
    """One broken rule: where (the file's row, the column) and what."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _(
            "row %(row)s, %(column)s: %(rule)s", row=self.row, column=self.column, rule=self.message
        )


def column_position(column: str, columns: Sequence[str]) -> int:
    """Where a column's errors are listed: in the file's column order, others last."""
    return columns.index(column) if column in columns else len(columns)


@dataclass
class Row:
    number: int  # the line of the file the row starts on (the header is line 1 or later)
    cells: dict[str, str]  # the known columns' cells, trimmed
    problems: list[RowError] = field(default_factory=list)


@dataclass
class Table:
    columns: list[str]  # the header's known columns, normalised
    unknown: list[str]  # the header's other columns, as written: reported, not read
    rows: list[Row]
    delimiter: str


def normalise(name: str) -> str:
    """A header cell as a column name: " Risk level " -> "risk_level"."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark dropped), or FileRefused saying how to save the file."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused(
            _(
                "This is a spreadsheet workbook (.xlsx or .xls), not a CSV file; save it as "
                '"CSV UTF-8" and upload that.'
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(
            _(
                'The file is UTF-16 text (Excel\'s "Unicode text"); save it as "CSV UTF-8" '
                "and upload it again."
            )
        )
    if (nul := data.find(b"\x00")) >= 0:
        raise FileRefused(
            _(
                "Line %(line)s holds a NUL byte: this is not a text file. Save it as "
                '"CSV UTF-8" and upload it again.',
                line=data[:nul].count(b"\n") + 1,
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            _(
                "The file is not UTF-8 text: byte 0x%(byte)s on line %(line)s is not UTF-8. "
                'Save it as "CSV UTF-8" (or UTF-8 text) and upload it again.',
                byte=format(data[error.start], "02X"),
                line=line,
            )
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of the first non-blank line: the most frequent of , ; and tab outside
    quotes (a comma when none occurs)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(
    data: bytes,
    known: Iterable[str],
    *,
    required: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Table:
    """The rows of a CSV file under its header (the first non-blank line).

    Blank lines, and rows whose cells are all blank, are skipped; cells are trimmed. Header
    cells are matched to ``known`` columns case-insensitively, spaces and hyphens read as
    ``_``, ``aliases`` mapping other names people use. Raises FileRefused when the file
    cannot be read, is over ``max_bytes`` or ``max_rows``, or lacks a ``required`` column.
    """
    known = list(known)
    aliases = aliases or {}
    if len(data) > max_bytes:
        raise FileRefused(
            _(
                "The file is %(size)s; the limit is %(limit)s. Split it into smaller files.",
                size=format_size(len(data)),
                limit=format_size(max_bytes),
            )
        )
    text = decode(data)
    if not text.strip():
        raise FileRefused(_("The file is empty."))
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            records.append((number, record))
            if len(records) > max_rows:
                raise FileRefused(
                    _(
                        "The file has more than %(limit)s rows; import at most %(limit)s at a "
                        "time (split the file).",
                        limit=format_number(max_rows),
                    )
                )
    except csv.Error as error:
        raise FileRefused(
            _("Line %(line)s cannot be read as CSV: %(error)s.", line=reader.line_num, error=error)
        ) from None
    assert header is not None  # the text is not blank
    names = [aliases.get(normalise(cell), normalise(cell)) for cell in header]
    _refuse_duplicates(header, names)
    missing = [name for name in required if name not in names]
    if missing:
        raise FileRefused(
            _(
                "The first line must name the columns, and it has no %(missing)s column "
                "(download the template to see every column).",
                missing=", ".join(missing),
            )
        )
    if not records:
        raise FileRefused(_("The file has a header and no rows to import."))
    unknown = [
        cell.strip() or _("(column %(n)s, no name)", n=i + 1)
        for i, cell in enumerate(header)
        if names[i] not in known
    ]
    rows = [_row(number, record, names, known) for number, record in records]
    return Table([n for n in names if n in known], unknown, rows, delimiter)


def _refuse_duplicates(header: list[str], names: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            continue
        if name in seen:
            raise FileRefused(
                _(
                    "Columns %(first)s and %(second)s of the header both name %(name)s; keep one.",
                    first=seen[name] + 1,
                    second=position + 1,
                    name=header[position].strip(),
                )
            )
        seen[name] = position


def _row(number: int, record: list[str], names: list[str], known: list[str]) -> Row:
    row = Row(number, {})
    for position, value in enumerate(record):
        if position < len(names):
            if names[position] in known:
                row.cells[names[position]] = value.strip()
        elif value.strip():
            row.problems.append(
                RowError(
                    number,
                    _("(after the last column)"),
                    _(
                        "The row has %(cells)s cells and the header names %(columns)s columns; "
                        "a cell holding the delimiter must be quoted.",
                        cells=len(record),
                        columns=len(names),
                    ),
                )
            )
            break
    return row


# Cells.


def flag(text: str) -> bool | None:
    """yes/no, true/false, oui/non, 1/0 (any case); None for an empty cell."""
    value = text.strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise CellError(
        _("Write yes or no (true/false and oui/non are read too), not %(value)r.", value=text)
    )


def items(text: str) -> list[str]:
    """A list written in one cell, entries separated by ``;`` or line breaks."""
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


def codes(text: str) -> list[str]:
    """A list of codes (countries, jurisdictions): separated by ``;``, commas or spaces."""
    return [part for part in re.split(r"[;,|\s]+", text.strip()) if part]


_DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


def day(text: str) -> date | None:
    """A date written YYYY-MM-DD (or DD/MM/YYYY, DD.MM.YYYY; a time after it is ignored);
    None for an empty cell."""
    value = text.strip()
    if not value:
        return None
    value = value.split("T")[0].split(" ")[0]
    for layout in _DAY_FORMATS:
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    raise CellError(_("Write the date as YYYY-MM-DD (or DD/MM/YYYY), not %(value)r.", value=text))
