"""Importing an existing AI register from CSV: a dry run judging every row, then all or nothing."""

from __future__ import annotations

import pytest

from tests.factories import profile
from tracker import register
from tracker.imports import register as register_import
from tracker.imports.csvfile import FileRefused, ImportRefused
from tracker.models import AISystem, AuditEvent
from tracker.plugin_host import load_catalogue

HEADER = (
    "name;version;purpose;development_approach;lifecycle_stage;risk_level;"
    "processes_personal_data;purpose_type;ai_act_roles;people_affected;countries;"
    "authorised_use_cases;contacts;nis2_in_scope;owner's notes"
)


@pytest.fixture
def catalogue(migrated):
    return load_catalogue()


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + header + "\r\n" + "\r\n".join(rows) + "\r\n").encode()


MESSY = csv_file(
    "",
    " Crime report chatbot ; 2.1 ;Takes crime reports online. ;Procured off the shelf;testing;"
    'Medium;oui;law_enforcement;deployer;"public; victims";be, nl;"Taking reports; Answering";'
    "Ana Duarte <ana@police.example> system owner;non;keep",
    ";;;;;;;;;;;;;;",
    'Licence plate reader;;"Reads plates; matches them";external;Deployment and use;HIGH;TRUE;'
    "law_enforcement;provider, deployer;;;;;yes;",
)


def test_a_messy_register_is_read_and_every_row_would_be_created(catalogue):
    plan = register_import.plan(MESSY, catalogue)
    assert plan.ok and plan.delimiter == ";"
    assert plan.unknown_columns == ["owner's notes"]
    first, second = plan.rows
    assert (first.row, second.row) == (3, 5)  # the file's own lines: blank ones counted
    assert first.profile["name"] == "Crime report chatbot"
    assert first.profile["development_approach"] == "off_the_shelf"  # by its label
    assert first.profile["risk_level"] == "medium"
    assert first.profile["processes_personal_data"] is True  # oui
    assert first.profile["people_affected"] == ["public", "victims"]
    assert first.profile["countries"] == ["BE", "NL"]
    assert first.profile["authorised_use_cases"] == ["Taking reports", "Answering"]
    assert first.profile["contacts"] == [
        {"name": "Ana Duarte", "email": "ana@police.example", "role": "system owner"}
    ]
    assert first.profile["answers"] == {"nis2_in_scope": False}
    assert second.profile["lifecycle_stage"] == "deployment"
    assert second.profile["ai_act_roles"] == ["provider", "deployer"]
    assert second.profile["purpose"] == "Reads plates; matches them"
    assert AISystem.select().count() == 0  # a dry run writes nothing


def test_commit_registers_every_row_each_audited(catalogue):
    created = register_import.commit(MESSY, "legal.user", catalogue)
    assert [s.name for s in created] == ["Crime report chatbot", "Licence plate reader"]
    assert AISystem.select().count() == 2
    audited = AuditEvent.select().where(AuditEvent.action == "system.created")
    assert sorted(int(e.entity_id) for e in audited) == sorted(s.id for s in created)
    assert {e.actor for e in audited} == {"legal.user"}
    # The same file again registers nothing twice.
    again = register_import.plan(MESSY, catalogue)
    assert [e.message for e in again.errors] == [
        f"Already registered as AI system {created[0].id} (same name and version).",
        f"Already registered as AI system {created[1].id} (same name and version).",
    ]


def test_every_rows_errors_are_listed_by_row_column_and_rule_and_nothing_is_written(catalogue):
    bad = csv_file(
        "Good one;1;Fine.;internal;testing;low;no;administrative;deployer;;;;;;",
        "No purpose;1;;internal;testing;low;no;administrative;deployer;;;;;;",
        "Bad cells;1;x;sideways;testing;extreme;perhaps;administrative;king;nobody;XX;;"
        "Ana <not-an-email>;maybe;",
        "Good one;1;Duplicate.;internal;testing;low;no;administrative;deployer;;;;;;",
    )
    plan = register_import.plan(bad, catalogue)
    assert not plan.ok and plan.rows[0].errors == [] and plan.rows[0].profile is not None
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {
        (3, "purpose"),
        (4, "development_approach"),
        (4, "risk_level"),
        (4, "processes_personal_data"),
        (4, "ai_act_roles"),
        (4, "people_affected"),
        (4, "countries"),
        (4, "contacts"),
        (4, "nis2_in_scope"),
        (5, "name"),
    }
    messages = {(e.row, e.column): e.message for e in plan.errors}
    assert messages[(3, "purpose")] == "Missing data for required field."
    assert "Must be one of: low, medium, high." in messages[(4, "risk_level")]
    assert "Write yes or no" in messages[(4, "processes_personal_data")]
    assert messages[(4, "contacts")] == "entry 1: email: Not a valid email address."
    assert messages[(4, "nis2_in_scope")].startswith("Write yes or no")
    assert messages[(5, "name")] == "Same name and version as row 2."
    assert str(plan.errors[0]).startswith("row 3, purpose: ")
    before = AuditEvent.select().count()
    with pytest.raises(ImportRefused) as refused:
        register_import.commit(bad, "legal.user", catalogue)
    assert "3 of 4 rows have errors; nothing was imported." in str(refused.value)
    assert AISystem.select().count() == 0 and AuditEvent.select().count() == before


def test_a_file_without_the_required_columns_is_refused_naming_them(catalogue):
    with pytest.raises(FileRefused) as refused:
        register_import.plan(b"name,purpose\nA,B\n", catalogue)
    assert "development_approach, lifecycle_stage, risk_level" in refused.value.message


def test_other_names_for_columns_are_read(catalogue):
    data = csv_file(
        "Fraud scorer,Scores fraud risk,internal,Planning,Low,no,administrative,deployer",
        header="System name,Purpose,Development approach,Stage,Risk,Personal data,"
        "Purpose type,AI Act role",
    )
    plan = register_import.plan(data, catalogue)
    assert plan.ok and plan.delimiter == ","
    assert plan.rows[0].profile["lifecycle_stage"] == "planning"


def test_a_registered_system_with_another_version_is_not_a_duplicate(catalogue):
    register.create_system(profile(name="Crime report chatbot", version="1.0"), "t", catalogue)
    assert register_import.plan(MESSY, catalogue).ok


def test_the_template_lists_every_profile_column_and_its_example_row_imports(catalogue):
    text = register_import.template(catalogue)
    header = text.lstrip("\ufeff").splitlines()[0].split(",")
    assert header == register_import.columns(catalogue)
    assert "answers" not in header and "nis2_in_scope" in header and "publication" in header
    plan = register_import.plan(text.encode(), catalogue)
    assert plan.ok and plan.rows[0].name == "Crime report chatbot"


def test_publication_levels_are_written_field_equals_level(catalogue):
    data = csv_file(
        "A;1;P;internal;testing;low;no;administrative;deployer;;;;;;",
        header=HEADER.replace("owner's notes", "publication"),
    )
    assert register_import.plan(data, catalogue).ok
    levelled = data.replace(b";;\r\n", b';;"risk_level=public; vendor = internal"\r\n', 1)
    assert register_import.plan(levelled, catalogue).rows[0].profile["publication"] == {
        "risk_level": "public",
        "vendor": "internal",
    }
    wrong = data.replace(b";;\r\n", b";;vendor public\r\n", 1)
    [error] = register_import.plan(wrong, catalogue).errors
    assert error.column == "publication" and "field=level" in error.message
