"""Importing an existing AI register: one AI system per row of a CSV file.

The columns are the profile's fields (the plugins' questions by their ids after them), so a
row says what the registration form says; each row is judged by the register's own
``validate_profile``. Vocabulary cells take the code or the label ("off_the_shelf" or
"Procured off the shelf"); lists go in one cell separated by ``;``; contacts are written
``Name <email>``; publication levels ``field=level``. A row with the name and version of a
registered system, or of an earlier row, is an error: importing the same file twice creates
nothing twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tracker import register
from tracker.db import write_transaction
from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _
from tracker.imports.csvfile import (
    LIST_SEPARATOR,
    MAX_BYTES,
    MAX_ROWS,
    CellError,
    ImportRefused,
    RowError,
    codes,
    column_position,
    flag,
    items,
    normalise,
    read_table,
)
from tracker.models import AISystem
from tracker.plugin_host import Catalogue
from tracker.profile import CHOICE_FACTS, PROFILE_FIELDS, SET_FACTS, ProfileQuestion

FLAG_COLUMNS = (
    "processes_personal_data",
    "profiling",
    "public_authority",
    "public_facing",
    "published",
)
TEXT_LIST_COLUMNS = ("authorised_use_cases", "units_with_access")
# The columns a file must have: the profile's required facts (an absent one would fail every row).
REQUIRED_COLUMNS = (
    "name",
    "purpose",
    "development_approach",
    "lifecycle_stage",
    "risk_level",
    "processes_personal_data",
    "purpose_type",
    "ai_act_roles",
)
# Other names registers give these columns.
ALIASES = {
    "system": "name",
    "system_name": "name",
    "supplier": "vendor",
    "stage": "lifecycle_stage",
    "life_cycle_stage": "lifecycle_stage",
    "risk": "risk_level",
    "ai_act_role": "ai_act_roles",
    "roles": "ai_act_roles",
    "use_cases": "authorised_use_cases",
    "units": "units_with_access",
    "personal_data": "processes_personal_data",
}
EXAMPLE = {
    "name": "Crime report chatbot",
    "version": "2.1",
    "vendor": "Example Vendor Ltd",
    "purpose": "Takes crime reports from the public online and answers questions about them.",
    "authorised_use_cases": "Taking crime reports online; Answering questions about a report",
    "development_approach": "off_the_shelf",
    "lifecycle_stage": "testing",
    "risk_level": "medium",
    "processes_personal_data": "yes",
    "purpose_type": "law_enforcement",
    "biometric_identification": "none",
    "ai_act_roles": "deployer",
    "profiling": "no",
    "people_affected": "public; victims",
    "annex_iii_areas": "",
    "public_authority": "yes",
    "countries": "",
    "public_facing": "yes",
    "units_with_access": "Online reporting desk",
    "data_sharing": "Reports go to the investigating unit only.",
    "usage_description": "Members of the public report thefts and frauds in a chat.",
    "personal_data_handling": "Stored in the case system; chat logs deleted after 90 days.",
    "published": "no",
    "publication": "",
    "contacts": "Ana Duarte <ana.duarte@police.example>",
    "jurisdictions": "",
}


def columns(catalogue: Catalogue) -> list[str]:
    """The template's columns: the profile's fields, then each plugin question's id."""
    return [name for name in PROFILE_FIELDS if name != "answers"] + [
        question.id for question in catalogue.questions
    ]


def template(catalogue: Catalogue) -> str:
    """A CSV file to fill in: the header and one example row (with a byte-order mark, so
    spreadsheets open it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = columns(catalogue)
    writer.writerow(header)
    writer.writerow([EXAMPLE.get(name, "") for name in header])
    return "\ufeff" + out.getvalue()


def _code(text: str, options: Mapping[str, str]) -> str:
    """A vocabulary cell as its code: the code itself, or its label, in any case; anything
    else is returned as written for the profile's rules to refuse by listing the codes."""
    value = normalise(text)
    if value in options:
        return value
    by_label = {label.strip().lower(): code for code, label in options.items()}
    return by_label.get(text.strip().lower(), text.strip())


def _codes(text: str, options: Mapping[str, str]) -> list[str]:
    parts = items(text)
    if len(parts) == 1 and "," in text:  # "provider, deployer": codes separated by commas
        split = [normalise(part) for part in text.split(",") if part.strip()]
        if all(part in options for part in split):
            return split
    return [_code(part, options) for part in parts]


def _contacts(text: str) -> list[dict[str, str]]:
    found = []
    for entry in items(text):
        if "<" in entry and ">" in entry:
            name, _sep, rest = entry.partition("<")
            email, _sep, role = rest.partition(">")
        else:
            name, _sep, email = entry.rpartition(",")
            role = ""
        found.append({"name": name.strip(), "email": email.strip(), "role": role.strip(" ,()-")})
    return found


def _publication(text: str) -> dict[str, str]:
    levels = {}
    for entry in items(text):
        name, sep, level = entry.replace(":", "=").partition("=")
        if not sep:
            raise CellError(
                _(
                    "Write each field's level as field=level, separated by %(separator)s "
                    "(e.g. risk_level=internal), not %(value)r.",
                    separator=LIST_SEPARATOR,
                    value=entry,
                )
            )
        levels[normalise(name)] = normalise(level)
    return levels


def _answer(question: ProfileQuestion, text: str) -> Any:
    if question.type == "boolean":
        return flag(text)
    if question.type == "choice":
        return next((c for c in question.choices if c.lower() == text.strip().lower()), text)
    return text


def cell_value(column: str, text: str, questions: Mapping[str, ProfileQuestion]) -> Any:
    """The value of a non-empty cell for the profile; CellError when it cannot be read."""
    if column in CHOICE_FACTS:
        return _code(text, CHOICE_FACTS[column])
    if column in SET_FACTS:
        return _codes(text, SET_FACTS[column])
    if column in FLAG_COLUMNS:
        return flag(text)
    if column in TEXT_LIST_COLUMNS:
        return items(text)
    if column == "countries":
        return [code.upper() for code in codes(text)]
    if column == "jurisdictions":
        return [code.lower() for code in codes(text)]
    if column == "contacts":
        return _contacts(text)
    if column == "publication":
        return _publication(text)
    if column in questions:
        return _answer(questions[column], text)
    return text


def readable_messages(value: Any) -> list[str]:
    """Nested marshmallow messages as sentences, list entries counted from 1."""
    if isinstance(value, Mapping):
        out = []
        for key, inner in value.items():
            where = _("entry %(n)s", n=key + 1) if isinstance(key, int) else str(key)
            out += [f"{where}: {message}" for message in readable_messages(inner)]
        return out
    if isinstance(value, list | tuple):
        return [m for item in value for m in readable_messages(item)]
    return [str(value)]


def row_errors(number: int, errors: Mapping[str, Any]) -> list[RowError]:
    """The register's messages about one row, by column (a plugin answer by its question)."""
    found = []
    for key, value in errors.items():
        if key == "answers" and isinstance(value, Mapping):
            found += [
                RowError(number, str(qid), message)
                for qid, inner in value.items()
                for message in readable_messages(inner)
            ]
        else:
            found += [RowError(number, key, message) for message in readable_messages(value)]
    return found


@dataclass
class PlannedSystem:
    """What a row would register: its profile when every rule holds, else its errors."""

    row: int
    cells: dict[str, str]
    profile: dict[str, Any] | None
    errors: list[RowError] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.cells.get("name", "")


@dataclass
class RegisterPlan:
    rows: list[PlannedSystem]
    unknown_columns: list[str]
    delimiter: str

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def failing_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors)


def _identity(name: str, version: str) -> tuple[str, str]:
    return (" ".join(name.lower().split()), version.strip().lower())


def plan(
    data: bytes,
    catalogue: Catalogue,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> RegisterPlan:
    """The dry run: every row read and judged, nothing written. FileRefused when the file
    itself cannot be read."""
    questions = {q.id: q for q in catalogue.questions}
    order = columns(catalogue)
    table = read_table(
        data,
        order,
        required=REQUIRED_COLUMNS,
        aliases=ALIASES,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )
    registered = {
        _identity(name, version): system_id
        for system_id, name, version in AISystem.select(
            AISystem.id, AISystem.name, AISystem.version
        )
        .where(AISystem.retired_at.is_null())
        .tuples()
    }
    earlier: dict[tuple[str, str], int] = {}
    planned = []
    for row in table.rows:
        errors = list(row.problems)
        profile: dict[str, Any] = {}
        answers: dict[str, Any] = {}
        for column, text in row.cells.items():
            if not text:
                continue  # the profile's default
            try:
                value = cell_value(column, text, questions)
            except CellError as error:
                errors.append(RowError(row.number, column, str(error)))
                continue
            (answers if column in questions else profile)[column] = value
        if answers:
            profile["answers"] = answers
        unreadable = {error.column for error in errors}
        try:
            clean = register.validate_profile(profile, catalogue)
        except ValidationFailed as failed:
            clean = None
            errors += [
                error
                for error in row_errors(row.number, failed.errors)
                if error.column not in unreadable
            ]
        identity = _identity(row.cells.get("name", ""), row.cells.get("version", ""))
        if identity[0] and identity in registered:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    _(
                        "Already registered as AI system %(id)s (same name and version).",
                        id=registered[identity],
                    ),
                )
            )
        elif identity[0] and identity in earlier:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    _("Same name and version as row %(row)s.", row=earlier[identity]),
                )
            )
        earlier.setdefault(identity, row.number)
        errors.sort(key=lambda error: column_position(error.column, order))
        planned.append(PlannedSystem(row.number, row.cells, None if errors else clean, errors))
    return RegisterPlan(planned, table.unknown, table.delimiter)


def commit(data: bytes, actor: str, catalogue: Catalogue) -> list[AISystem]:
    """Register every row's system in one transaction, each audited; ImportRefused (nothing
    written) when any row breaks a rule."""
    with write_transaction():  # judged and written with no other writer in between
        checked = plan(data, catalogue)
        if not checked.ok:
            raise ImportRefused(checked)
        return [
            register.create_system(row.profile, actor, catalogue)
            for row in checked.rows
            if row.profile is not None
        ]
