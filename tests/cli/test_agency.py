"""``tracker agency show|set``: the same rules as the settings page, options not given kept."""

from __future__ import annotations

from tests import sample_files
from tests.test_agency import png
from tracker import agency
from tracker.models import AuditEvent


def test_show_before_anything_is_set(runner):
    result = runner.tracker("agency", "show")
    assert result.exit_code == 0
    assert "name:         (not set)" in result.output and "logo:         none" in result.output


def test_set_changes_only_the_options_given(runner, tmp_path):
    logo = tmp_path / "crest.png"
    logo.write_bytes(png())
    result = runner.tracker(
        "agency",
        "set",
        "--name",
        "Federal Police",
        "--dpo-contact",
        "dpo@police.example",
        "--complaints",
        "Write to the Data Protection Authority.",
        "--logo",
        str(logo),
    )
    assert result.exit_code == 0, result.output
    assert "name:         Federal Police" in result.output
    assert "logo:         image/png" in result.output

    assert runner.tracker("agency", "set", "--contact", "Call 101").exit_code == 0
    current = agency.current()
    assert (current.name, current.dpo_contact, current.contact, current.has_logo) == (
        "Federal Police",
        "dpo@police.example",
        "Call 101",
        True,
    )
    assert agency.logo() == (png(), "image/png")
    assert "Call 101" in runner.tracker("agency", "show").output

    assert runner.tracker("agency", "set", "--remove-logo").exit_code == 0
    assert agency.logo() is None and agency.current().name == "Federal Police"
    events = AuditEvent.select().where(AuditEvent.action == "agency.updated")
    assert events.count() == 3 and all(e.actor.startswith("cli:") for e in events)


def test_bad_input_is_one_line_naming_the_field_and_changes_nothing(runner, tmp_path):
    assert runner.tracker("agency", "set", "--name", "Federal Police").exit_code == 0
    result = runner.tracker("agency", "set", "--name", "Other", "--dpo-contact", "the office")
    assert result.exit_code == 1
    assert result.output == "Error: dpo_contact: Give the DPO's e-mail address.\n"
    assert agency.current().name == "Federal Police"

    pdf = tmp_path / "logo.png"  # the name says PNG; the bytes say PDF
    pdf.write_bytes(sample_files.pdf())
    result = runner.tracker("agency", "set", "--logo", str(pdf))
    assert result.exit_code == 1 and "logo: Use a PNG, JPEG, WebP or SVG image." in result.output
    svg = tmp_path / "logo.svg"
    svg.write_bytes(sample_files.svg())
    result = runner.tracker("agency", "set", "--logo", str(svg))
    assert result.exit_code == 1 and "logo: This SVG contains scripts" in result.output
    assert agency.logo() is None

    result = runner.tracker("agency", "set", "--logo", str(tmp_path / "missing.png"))
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.tracker("agency", "set", "--logo", str(pdf), "--remove-logo")
    assert result.exit_code == 2 and "not both" in result.output
