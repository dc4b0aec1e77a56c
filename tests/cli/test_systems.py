"""``tracker systems``: register, list, retire and import AI systems and their operators."""

from __future__ import annotations

import json

import pytest

from tests.factories import profile
from tracker import accounts, register
from tracker.models import AISystem, AuditEvent, Operator
from tracker.plugin_host import load_catalogue


@pytest.fixture
def legal(migrated) -> str:
    return accounts.create_user("legal-user", "legal", "test").username


def test_add_registers_a_profile_from_a_json_file_and_audits_it(runner, legal, tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile(name="Plate reader")))
    result = runner.tracker("systems", "add", "--from-file", str(path), "--as", legal)
    assert result.exit_code == 0, result.output
    system = AISystem.get()
    assert result.output == f"registered AI system {system.id}: Plate reader\n"
    event = AuditEvent.get(AuditEvent.action == "system.created")
    assert event.actor.startswith("legal-user (cli:")


def test_add_names_each_bad_field_and_saves_nothing(runner, legal, tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile(risk_level="extreme", purpose="")))
    result = runner.tracker("systems", "add", "--from-file", str(path), "--as", legal)
    assert result.exit_code == 1
    assert "risk_level: Must be one of: low, medium, high." in result.output
    assert "purpose: Length must be between 1 and 5000." in result.output
    path.write_text("{not json")
    result = runner.tracker("systems", "add", "--from-file", str(path), "--as", legal)
    assert result.exit_code == 1 and "is not JSON" in result.output and "line 1" in result.output
    path.write_text("[]")
    result = runner.tracker("systems", "add", "--from-file", str(path), "--as", legal)
    assert result.exit_code == 1 and "one JSON object" in result.output
    assert AISystem.select().count() == 0


def test_list_and_retire(runner, legal):
    catalogue = load_catalogue()
    kept = register.create_system(profile(name="Kept", version="2"), "t", catalogue)
    gone = register.create_system(profile(name="Gone"), "t", catalogue)
    result = runner.tracker("systems", "retire", "Gone", "--reason", "Replaced", "--as", legal)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"retired AI system {gone.id}: Gone (")
    assert AISystem.get_by_id(gone.id).retired_reason == "Replaced"
    listed = runner.tracker("systems", "list").output.splitlines()
    assert len(listed) == 1 and listed[0].split() == [str(kept.id), "Testing", "High", "Kept", "2"]
    everything = runner.tracker("systems", "list", "--include-retired").output
    assert "Gone" in everything and "(retired " in everything
    again = runner.tracker("systems", "retire", str(gone.id), "--reason", "x", "--as", legal)
    assert again.exit_code == 1 and "already retired" in again.output
    blank = runner.tracker("systems", "retire", str(kept.id), "--reason", " ", "--as", legal)
    assert blank.exit_code == 1 and "reason" in blank.output


REGISTER = (
    "name;purpose;development_approach;lifecycle_stage;risk_level;processes_personal_data;"
    "purpose_type;ai_act_roles\n"
    "Plate reader;Reads plates;external;deployment;high;yes;law_enforcement;deployer\n"
    "Chatbot;Answers;off_the_shelf;testing;medium;no;administrative;deployer\n"
)


def test_import_checks_every_row_prints_each_error_and_exits_1(runner, legal, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(REGISTER.replace(";high;yes;", ";severe;perhaps;").replace("Chatbot;", ";"))
    result = runner.tracker("systems", "import", str(path), "--dry-run")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("row 2, risk_level: Must be one of: low, medium, high.")
    assert lines[1].startswith("row 2, processes_personal_data: Write yes or no")
    assert lines[2] == "row 3, name: Missing data for required field."
    assert "2 of 2 rows have errors; nothing was imported" in result.output
    result = runner.tracker("systems", "import", str(path), "--as", legal)
    assert result.exit_code == 1 and AISystem.select().count() == 0


def test_import_dry_run_writes_nothing_then_the_import_registers_every_row(runner, legal, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(REGISTER + "\n\n")
    dry = runner.tracker("systems", "import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines() == [
        "row 2: would register Plate reader",
        "row 3: would register Chatbot",
        "2 rows checked; nothing was written (dry run)",
    ]
    assert AISystem.select().count() == 0
    refused = runner.tracker("systems", "import", str(path))
    assert refused.exit_code == 2 and "--as USER" in refused.output
    done = runner.tracker("systems", "import", str(path), "--as", legal)
    assert done.exit_code == 0, done.output
    assert [s.name for s in AISystem.select().order_by(AISystem.id)] == ["Plate reader", "Chatbot"]
    assert "registered AI system" in done.output


def test_the_template_is_the_header_and_an_example_that_imports(runner, legal, tmp_path):
    result = runner.tracker("systems", "template")
    assert result.output.startswith("name,version,vendor,purpose,")
    path = tmp_path / "template.csv"
    path.write_text(result.output)
    assert runner.tracker("systems", "import", str(path), "--dry-run").exit_code == 0


def test_an_unreadable_file_is_one_plain_line(runner, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes("name\nJos\xe9\n".encode("cp1252"))
    result = runner.tracker("systems", "import", str(path), "--dry-run")
    assert result.exit_code == 1
    assert result.output.startswith("Error: The file is not UTF-8 text: byte 0xE9 on line 2")


def test_operators_import_and_list(runner, legal, tmp_path):
    system = register.create_system(profile(name="Face search"), "t", load_catalogue())
    path = tmp_path / "operators.csv"
    path.write_text(
        "name,email,unit,authorised_from,authorised_until\n"
        "Ana Duarte,ana@police.example,Forensics,2026-01-05,\n"
        "Bo Lind,bo@police.example,,,2026-12-31\n"
    )
    dry = runner.tracker("systems", "operators", "import", "Face search", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "row 2: would add Ana Duarte" in dry.output
    assert "2 to add, 0 to update; nothing was written (dry run)" in dry.output
    assert Operator.select().count() == 0
    done = runner.tracker(
        "systems", "operators", "import", str(system.id), str(path), "--as", legal
    )
    assert done.exit_code == 0 and done.output == "2 operators added, 0 updated\n"
    listed = runner.tracker("systems", "operators", "list", "Face search").output.splitlines()
    assert (
        "2026-01-05 .. until removed" in listed[0]
        and "Ana Duarte <ana@police.example>" in listed[0]
    )
    assert ".. 2026-12-31" in listed[1]
    path.write_text("name,email\nCy,not-an-email\n")
    bad = runner.tracker("systems", "operators", "import", "Face search", str(path), "--as", legal)
    assert bad.exit_code == 1
    assert "row 2, email: Not a valid email address." in bad.output
    assert Operator.select().count() == 2
