"""Why each requirement applies, as the API, its CSV and the CLI show it."""

import csv
import io
from datetime import date, timedelta

import pytest

from tests.factories import profile
from tracker import register
from tracker.db import utcnow
from tracker.models import AISystem
from tracker.plugin_host import load_catalogue

DPIA = "eu-led.dpia"
DPIA_WHY = (
    "eu-led: listed in the system's jurisdictions (override: eu-led); "
    "processes_personal_data is true; purpose_type is law_enforcement; risk_level is high; "
    "biometric_identification is post_event (not none)"
)


def test_every_item_says_why_it_applies_in_json_and_csv(client, auth):
    body = profile(jurisdictions=["eu-led"])
    system_id = client.post("/api/systems", json=body, headers=auth("legal")).json["id"]
    result = client.get(f"/api/systems/{system_id}/completeness", headers=auth("viewer")).json
    items = {i["requirement_id"]: i for i in result["requirements"]}
    assert items[DPIA]["why"] == DPIA_WHY
    assert all(i["why"].startswith("eu-led: listed in the system's") for i in items.values())

    text = client.get(f"/api/systems/{system_id}/completeness.csv", headers=auth("viewer"))
    rows = {r["requirement_id"]: r for r in csv.DictReader(io.StringIO(text.get_data(True)))}
    assert rows[DPIA]["why"] == DPIA_WHY

    spec = client.get("/api/openapi.json").json
    assert "why" in spec["components"]["schemas"]["ItemStatusOut"]["properties"]


@pytest.fixture
def system_id(tokens):
    system = register.create_system(profile(jurisdictions=["eu-led"]), "test", load_catalogue())
    return system.id


def why(runner, *args):
    result = runner.tracker("requirements", "why", *args)
    return result.exit_code, result.output


def test_the_cli_says_why_a_requirement_applies(runner, system_id):
    code, output = why(runner, DPIA, str(system_id))
    assert code == 0, output
    today = date.today().isoformat()
    assert output.splitlines() == [
        f"{DPIA} (Data protection impact assessment (LED)) applies to system {system_id} "
        f"(Post-event face search) on {today}:",
        *(f"  - {reason}" for reason in DPIA_WHY.split("; ")),
        'rule: processes_personal_data and purpose_type == "law_enforcement" and '
        '(risk_level == "high" or biometric_identification != "none")',
    ]
    by_name = why(runner, DPIA, "Post-event face search")
    assert by_name == (0, output)

    table = runner.tracker("completeness", str(system_id), "--why").output
    assert f"applies because: {DPIA_WHY}" in table
    assert "applies because" not in runner.tracker("completeness", str(system_id)).output


def test_the_cli_names_the_failing_condition_and_replays_a_date(runner, system_id):
    catalogue = load_catalogue()
    AISystem.update(created_at=utcnow() - timedelta(days=30)).where(
        AISystem.id == system_id
    ).execute()
    system = AISystem.get_by_id(system_id)
    register.update_system(
        system, {"risk_level": "low", "development_approach": "internal"}, "test", catalogue
    )

    code, output = why(runner, DPIA, str(system_id))
    assert code == 0 and " does not apply to " not in output  # still biometric
    assert "  - biometric_identification is post_event (not none)" in output.splitlines()

    code, output = why(runner, "eu-led.processor_contract", str(system_id))
    assert code == 0
    assert output.splitlines()[1:3] == [
        "  - development_approach is internal (not external, joint or off_the_shelf)",
        'rule: processes_personal_data and purpose_type == "law_enforcement" and '
        'development_approach in ["external", "joint", "off_the_shelf"]',
    ]
    assert " does not apply to system " in output.splitlines()[0]

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    code, output = why(runner, "eu-led.processor_contract", str(system_id), "--as-of", yesterday)
    assert code == 0 and f" applies to system {system_id} " in output
    assert "  - development_approach is off_the_shelf" in output.splitlines()
    code, output = why(runner, DPIA, str(system_id), "--as-of", yesterday)
    assert "  - risk_level is high" in output.splitlines()


def test_the_cli_refuses_unknown_requirements_systems_and_dates(runner, system_id):
    result = runner.tracker("requirements", "why", "eu-led.nope", str(system_id))
    assert result.exit_code == 1 and "eu-led.nope" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.tracker("requirements", "why", DPIA, "999999")
    assert result.exit_code == 1 and "999999" in result.output
    long_ago = runner.tracker("requirements", "why", DPIA, str(system_id), "--as-of", "2001-01-01")
    assert long_ago.exit_code == 1 and "not registered by then" in long_ago.output
    bad = runner.tracker("requirements", "why", DPIA, str(system_id), "--as-of", "yesterday")
    assert bad.exit_code == 2
