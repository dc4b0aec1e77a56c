"""The completeness workflow from the shell: add evidence, review it, waive, replay."""

import json
from datetime import date, timedelta

import pytest

from tests import sample_files
from tests.conftest import DEPLOYMENT
from tests.factories import profile
from tracker import register
from tracker.plugin_host import load_catalogue

DPIA = "eu-led.dpia"


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def system_id(tokens):
    body = profile(jurisdictions=["toolkit", "eu-led"])
    return register.create_system(body, "test", load_catalogue(deployment=DEPLOYMENT)).id


def status_of(runner, system_id, requirement_id, *extra):
    result = runner.tracker("completeness", str(system_id), "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return {i["requirement_id"]: i for i in json.loads(result.output)["requirements"]}[
        requirement_id
    ]["status"]


def test_add_review_expire_and_waive_from_the_cli(runner, system_id, tmp_path):
    document = tmp_path / "dpia.pdf"
    document.write_bytes(sample_files.pdf("LED DPIA"))
    assert status_of(runner, system_id, DPIA) == "missing"

    added = runner.tracker(
        "evidence",
        "add",
        str(document),
        "--kind",
        "impact_assessment",
        "--title",
        "DPIA",
        "--system",
        str(system_id),
        "--requirement",
        DPIA,
        "--valid-from",
        day(-1),
        "--valid-until",
        day(100),
        "--as",
        "legal-user",
    )
    assert added.exit_code == 0 and "awaiting review" in added.output
    evidence_id = added.output.split()[2]
    assert status_of(runner, system_id, DPIA) == "pending_review"

    refused = runner.tracker("evidence", "review", evidence_id, "--accept", "--as", "legal-user")
    assert (
        refused.exit_code == 1
        and "Only a data protection officer reviews evidence" in refused.output
    )
    assert (
        runner.tracker("evidence", "review", evidence_id, "--accept", "--as", "dpo-user").exit_code
        == 0
    )
    assert status_of(runner, system_id, DPIA) == "satisfied"
    assert status_of(runner, system_id, DPIA, "--as-of", day(90)) == "expiring_soon"
    assert status_of(runner, system_id, DPIA, "--as-of", day(101)) == "expired"

    requested = runner.tracker(
        "waivers",
        "request",
        str(system_id),
        "toolkit.public_engagement",
        "--justification",
        "The city runs engagement for all public-order technology.",
        "--expires",
        day(60),
        "--as",
        "legal-user",
    )
    assert requested.exit_code == 0
    waiver_id = requested.output.split()[1]
    assert runner.tracker("waivers", "approve", waiver_id, "--as", "dpo-user").exit_code == 0
    assert status_of(runner, system_id, "toolkit.public_engagement") == "waived"
    assert "approved" in runner.tracker("waivers", "list").output


def test_tables_csv_and_requirement_details(runner, system_id):
    table = runner.tracker("completeness", str(system_id)).output
    assert "ready for deployment: NO" in table and DPIA in table and "BLOCKING" in table
    portfolio = runner.tracker("completeness").output
    assert "Post-event face search" in portfolio and "missing" in portfolio.splitlines()[0]
    csv_text = runner.tracker("completeness", "--format", "csv").output
    assert csv_text.startswith("system_id,system,as_of,lifecycle_stage")
    by_name = runner.tracker("completeness", "Post-event face search", "--format", "csv").output
    assert f",{DPIA}," in by_name
    shown = runner.tracker("requirements", "show", DPIA).output
    assert (
        "Art 27(1)-(2)" in shown
        and "verification:   V - checked against the full legal text" in shown
    )
    listed = runner.tracker("requirements", "list", "--framework", "eu-led").output
    assert DPIA in listed and "eu-ai-act" not in listed


def test_cli_errors_are_plain_messages(runner, system_id):
    missing = runner.tracker("completeness", "No such system")
    assert (
        missing.exit_code == 1
        and missing.output.strip() == "Error: AI system 'No such system' does not exist"
    )
    unknown = runner.tracker("requirements", "show", "eu-led.nope")
    assert unknown.exit_code == 1 and "requirement eu-led.nope does not exist" in unknown.output
    no_decision = runner.tracker("evidence", "review", "1", "--as", "dpo-user")
    assert no_decision.exit_code == 2 and "--accept or --reject" in no_decision.output
