"""Reading CSV files as spreadsheets write them, and the cells people write."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.imports import csvfile
from tracker.imports.csvfile import CellError, FileRefused

KNOWN = ("name", "email", "unit")


def read(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return csvfile.read_table(data, KNOWN, required=("name",), **kwargs)


def refusal(text: str | bytes, **kwargs) -> str:
    with pytest.raises(FileRefused) as refused:
        read(text, **kwargs)
    return refused.value.message


def test_a_byte_order_mark_semicolons_blank_lines_and_spaces_are_read():
    table = read(
        "\ufeffName ; E-mail;Unit\r\n\r\n Ana ; ana@x.example ;Forensics \r\n;;\r\nBo;bo@x;\r\n",
        aliases={"e_mail": "email"},
    )
    assert table.delimiter == ";"
    assert table.columns == ["name", "email", "unit"]  # "E-mail" read as email
    assert [(row.number, row.cells) for row in table.rows] == [
        (3, {"name": "Ana", "email": "ana@x.example", "unit": "Forensics"}),
        (5, {"name": "Bo", "email": "bo@x", "unit": ""}),
    ]


def test_row_numbers_are_the_lines_rows_start_on_even_with_line_breaks_in_cells():
    table = read('name,unit\n"Ana","Line one\nline two"\nBo,X\n')
    assert [row.number for row in table.rows] == [2, 4]
    assert table.rows[0].cells["unit"] == "Line one\nline two"


def test_tabs_are_a_delimiter_and_quoted_commas_do_not_count():
    assert read("name\tunit\nAna\tX\n").delimiter == "\t"
    assert csvfile.sniff_delimiter('"Name, full";unit\n') == ";"
    assert csvfile.sniff_delimiter("name\n") == ","


def test_unknown_columns_are_reported_and_not_read():
    table = read("name,favourite colour,,unit\nAna,blue,,X\n")
    assert table.unknown == ["favourite colour", "(column 3, no name)"]
    assert table.rows[0].cells == {"name": "Ana", "unit": "X"}


def test_a_row_longer_than_the_header_is_a_row_error():
    table = read("name,unit\nAna,Fraud, Serious crime\nBo,X,,\n")
    [problem] = table.rows[0].problems
    assert problem.row == 2 and "3 cells" in problem.message and "quoted" in problem.message
    assert table.rows[1].problems == []  # empty cells beyond the header are harmless


def test_files_that_cannot_be_read_are_refused_with_what_to_do():
    assert "byte 0xE9 on line 2" in refusal("name\nJos\xe9\n".encode("cp1252"))
    assert "CSV UTF-8" in refusal("name\nAna\n".encode("utf-16"))
    assert "empty" in refusal(" \n\n")
    assert "no rows" in refusal("name,unit\n\n")
    assert "no name column" in refusal("full title,unit\nAna,X\n")
    assert "Columns 1 and 3" in refusal("name,unit,Name\nA,B,C\n")
    assert "Line 2 holds a NUL byte" in refusal("name\nA\x00B\n")
    assert "workbook" in refusal(b"PK\x03\x04\x14\x00rest of a zip")


def test_the_size_and_row_limits_are_refused_clearly():
    message = refusal("name\n" + "Ana\n" * 20, max_bytes=50)
    assert "the limit is 50 bytes" in message and "Split" in message
    assert "more than 3 rows" in refusal("name\na\nb\nc\nd\n", max_rows=3)
    assert len(read("name\na\nb\nc\n", max_rows=3).rows) == 3


@pytest.mark.parametrize(
    ("text", "value"),
    [("yes", True), ("TRUE", True), ("Oui", True), (" 1 ", True), ("y", True),
     ("no", False), ("False", False), ("NON", False), ("0", False), ("", None)],
)  # fmt: skip
def test_flags_read_yes_no_true_false_oui_non(text, value):
    assert csvfile.flag(text) is value


def test_a_flag_that_is_neither_names_the_words_to_use():
    with pytest.raises(CellError, match="Write yes or no"):
        csvfile.flag("maybe")


def test_lists_and_codes_and_dates():
    assert csvfile.items(" Fraud ; Serious crime;\nTheft ") == ["Fraud", "Serious crime", "Theft"]
    assert csvfile.codes("BE, nl;FR  DE") == ["BE", "nl", "FR", "DE"]
    assert csvfile.day("2026-01-05") == date(2026, 1, 5)
    assert csvfile.day("05/01/2026") == date(2026, 1, 5)
    assert csvfile.day("05.01.2026") == date(2026, 1, 5)
    assert csvfile.day("2026-01-05 00:00:00") == date(2026, 1, 5)
    assert csvfile.day(" ") is None
    with pytest.raises(CellError, match="YYYY-MM-DD"):
        csvfile.day("Jan 5th")
    with pytest.raises(CellError):
        csvfile.day("2026-02-30")
