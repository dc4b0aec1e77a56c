"""No silent "compliant": a system nothing applies to, or with duties per operator and no
operators, is never shown as ready or 100 % by the API, the CLI or the web pages."""

from __future__ import annotations

import html
import json

import pytest

from tests.factories import profile
from tests.web.conftest import PASSWORD, csrf_token
from tracker import accounts, register, sign_in
from tracker.app import create_app

NOTHING_APPLIES = (
    "none of the 2 requirements of ruritania matches the system's profile "
    "(every applicability rule is false)"
)


@pytest.fixture
def app(install_plugin, settings, migrated):
    """The app with a third-party jurisdiction installed, whose every rule can be false."""
    install_plugin("example_jurisdiction")
    return create_app(settings)


@pytest.fixture
def out_of_scope(app, migrated) -> int:
    """An administrative, low-risk system under Ruritanian law alone: none of its rules match."""
    body = profile(
        jurisdictions=["ruritania"],
        purpose_type="administrative",
        risk_level="low",
        biometric_identification="none",
        answers={"ruritania_national_database": False},
    )
    return register.create_system(body, "test", app.extensions["tracker"].catalogue).id


@pytest.fixture
def without_operators(app, migrated) -> int:
    """A system in testing with end-user training due before deployment and nobody recorded."""
    body = profile(lifecycle_stage="testing", jurisdictions=["toolkit"])
    return register.create_system(body, "test", app.extensions["tracker"].catalogue).id


def test_the_api_says_nothing_applies_and_why(client, auth, out_of_scope):
    body = client.get(f"/api/systems/{out_of_scope}/completeness", headers=auth("dpo")).json
    assert body["nothing_applies"] == NOTHING_APPLIES
    assert body["ready_for_next_stage"] is False
    assert body["overall"]["percent"] is None and body["requirements"] == []
    assert body["reasons"] == [f"no requirement applies: {NOTHING_APPLIES}"]
    portfolio = client.get("/api/completeness", headers=auth("dpo")).json
    assert [(s["nothing_applies"], s["overall"]["percent"]) for s in portfolio] == [
        (NOTHING_APPLIES, None)
    ]
    ready = client.get("/api/completeness?ready=true", headers=auth("dpo")).json
    assert ready == []
    csv_text = client.get("/api/completeness.csv", headers=auth("dpo")).text
    assert "100" not in csv_text.splitlines()[1] and NOTHING_APPLIES in csv_text


def test_the_cli_says_nothing_applies(runner, out_of_scope):
    table = runner.tracker("completeness", str(out_of_scope))
    assert table.exit_code == 0
    assert f"nothing applies: {NOTHING_APPLIES}" in table.output
    assert "100" not in table.output and "ready for" not in table.output
    portfolio = runner.tracker("completeness")
    assert "n/a" in portfolio.output and "100" not in portfolio.output
    assert f"system {out_of_scope}: nothing applies" in portfolio.output
    as_json = json.loads(runner.tracker("completeness", "--format", "json").output)
    assert as_json[0]["nothing_applies"] == NOTHING_APPLIES


def test_the_pages_say_nothing_applies(app, migrated, out_of_scope):
    user = accounts.create_user("dpo.page", "dpo", "test-setup", email="dpo@police.example")
    sign_in.set_password(user, PASSWORD, "test-setup")
    client = app.test_client()
    client.post(
        "/sign-in",
        data={"username": "dpo.page", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    page = html.unescape(client.get(f"/systems/{out_of_scope}").text)
    assert "No requirement applies to this system" in page
    assert NOTHING_APPLIES.capitalize() in page
    assert "100 %" not in page and "ready for" not in page
    portfolio = client.get("/portfolio").text
    assert "nothing applies" in portfolio and "100 %" not in portfolio


def test_per_operator_duties_with_no_operators_are_missing_everywhere(
    client, auth, runner, without_operators
):
    body = client.get(f"/api/systems/{without_operators}/completeness", headers=auth("dpo")).json
    training = {i["requirement_id"]: i for i in body["requirements"]}["toolkit.end_user_training"]
    assert (training["status"], training["detail"], training["blocking"]) == (
        "missing",
        "no operators recorded",
        True,
    )
    assert any(
        r.startswith("toolkit.end_user_training") and "no operators recorded" in r
        for r in body["reasons"]
    )
    # The portfolio summary path agrees with the detailed one.
    summary = client.get("/api/completeness", headers=auth("dpo")).json[0]
    assert summary["overall"]["counts"] == body["overall"]["counts"]
    assert summary["reasons"] == body["reasons"]
    shown = json.loads(
        runner.tracker("completeness", str(without_operators), "--format", "json").output
    )
    assert {i["requirement_id"]: i["status"] for i in shown["requirements"]}[
        "toolkit.end_user_training"
    ] == "missing"
