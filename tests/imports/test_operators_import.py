"""Importing a system's operators from CSV: create or update by e-mail, all or nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.factories import profile
from tracker import register
from tracker.errors import Conflict
from tracker.imports import operators as operator_import
from tracker.imports.csvfile import FileRefused, ImportRefused
from tracker.models import AuditEvent, Operator
from tracker.plugin_host import load_catalogue


@pytest.fixture
def system(migrated):
    return register.create_system(profile(), "test", load_catalogue())


@pytest.fixture
def ana(system):
    return register.add_operator(
        system,
        {"name": "Ana Duarte", "email": "ana@police.example", "unit": "Forensics",
         "authorised_from": "2026-01-05"},
        "test",
    )  # fmt: skip


def test_rows_create_new_operators_and_update_current_ones_by_email(system, ana):
    data = (
        "\ufeffName;E-mail;Unit;From;Until\r\n"
        "\r\n"
        " Bo Lind ; bo@police.example ; Patrol ;01/02/2026;\r\n"
        "Ana Duarte;ANA@police.example;;;2026-12-31\r\n"
        "Cy Moss;cy@police.example;;;\r\n"
    ).encode()
    plan = operator_import.plan(system, data)
    assert plan.ok and plan.delimiter == ";"
    assert [(r.row, r.action) for r in plan.rows] == [(3, "create"), (4, "update"), (5, "create")]
    assert plan.rows[0].data == {
        "name": "Bo Lind", "email": "bo@police.example", "unit": "Patrol",
        "authorised_from": "2026-02-01",
    }  # fmt: skip
    # The period as it would stand, as read: 01/02/2026 is the first of February.
    assert (plan.rows[0].first_day, plan.rows[0].last_day) == (date(2026, 2, 1), None)
    assert (plan.rows[1].first_day, plan.rows[1].last_day) == (date(2026, 1, 5), date(2026, 12, 31))
    assert (plan.rows[2].first_day, plan.rows[2].last_day) == (None, None)  # from now, no end
    # Ana's e-mail in other case is her; her empty unit cell leaves "Forensics" as it is.
    assert plan.rows[1].operator_id == ana.id
    assert plan.rows[1].changes == {
        "email": ("ana@police.example", "ANA@police.example"),
        "authorised_until": (None, date(2026, 12, 31)),
    }
    assert (plan.count("create"), plan.count("update"), plan.writes) == (2, 1, 3)
    assert Operator.select().count() == 1  # the dry run wrote nothing

    done = operator_import.commit(system, data, "legal.user")
    assert [o.name for o in done.created] == ["Bo Lind", "Cy Moss"]
    assert done.created[0].added_at == datetime(2026, 2, 1)
    updated = Operator.get_by_id(ana.id)
    assert updated.unit == "Forensics" and register.last_day(updated) == date(2026, 12, 31)
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.actor == "legal.user")]
    assert sorted(actions) == ["operator.added", "operator.added", "operator.updated"]
    # Importing the same file again changes nothing.
    again = operator_import.plan(system, data)
    assert [r.action for r in again.rows] == ["unchanged", "unchanged", "unchanged"]


def test_every_rows_errors_are_listed_and_nothing_is_written(system, ana):
    data = (
        b"name,email,unit,authorised_from,authorised_until\n"
        b"Good Person,good@police.example,,,\n"
        b",not-an-email,,yesterday,\n"
        b"Late,late@police.example,,2026-03-01,2026-02-01\n"
        b"Ana Duarte,ana@police.example,,,2025-12-31\n"
        b"Again,GOOD@police.example,,,\n"
        b"Long,long@police.example,Unit,,,extra\n"
    )
    plan = operator_import.plan(system, data)
    assert not plan.ok and plan.rows[0].action == "create"
    assert [(e.row, e.column) for e in plan.errors] == [
        (3, "name"),
        (3, "email"),
        (3, "authorised_from"),
        (4, "authorised_until"),
        (5, "authorised_until"),
        (6, "email"),
        (7, "(after the last column)"),
    ]
    messages = {(e.row, e.column): e.message for e in plan.errors}
    assert "YYYY-MM-DD" in messages[(3, "authorised_from")]
    assert messages[(3, "email")] == "Not a valid email address."
    assert "2026-01-05" in messages[(5, "authorised_until")]  # Ana's first day
    assert messages[(6, "email")] == "Same e-mail as row 2."
    before = (Operator.select().count(), AuditEvent.select().count())
    with pytest.raises(ImportRefused, match="5 of 6 rows have errors"):
        operator_import.commit(system, data, "legal.user")
    assert (Operator.select().count(), AuditEvent.select().count()) == before


def test_a_file_without_name_and_email_columns_is_refused(system):
    with pytest.raises(FileRefused, match="no email column"):
        operator_import.plan(system, b"name,unit\nAna,X\n")


def test_a_retired_system_takes_no_operators(system):
    register.retire_system(system, "Replaced", "test")
    with pytest.raises(Conflict):
        operator_import.plan(system, operator_import.template().encode())


def test_the_template_imports_as_it_is(system):
    plan = operator_import.plan(system, operator_import.template().encode())
    assert plan.ok and [r.action for r in plan.rows] == ["create"]
