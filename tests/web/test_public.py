"""The public transparency register: published systems, public fields only, no sign-in."""

from __future__ import annotations

import pytest

from tracker import publication
from tracker.models import AISystem, Evidence


@pytest.fixture
def agency(demo, settings, migrated):
    demo.seed(settings)
    return {s.name: s for s in AISystem.select()}


def test_only_published_systems_are_listed(client, agency):
    page = client.get("/public").text
    assert "Crime report chatbot" in page and "Crime hotspot forecasting" in page
    assert "Re-offending risk score" not in page
    listed = client.get("/public.json").json["systems"]
    assert {s["name"] for s in listed} == {
        "Crime report chatbot",
        "Crime hotspot forecasting",
        "Live facial recognition on body-worn cameras",
    }
    assert client.get(f"/public/systems/{agency['Re-offending risk score'].id}").status_code == 404


def test_restricted_fields_never_appear(client, agency):
    live = agency["Live facial recognition on body-worn cameras"]
    page = client.get(f"/public/systems/{live.id}").text
    as_json = client.get(f"/public/systems/{live.id}.json").json
    assert live.purpose in page and as_json["purpose"] == live.purpose
    for restricted in [*live.units_with_access, live.vendor, *(c["email"] for c in live.contacts)]:
        assert restricted not in page and restricted not in str(as_json)
    assert (
        "units_with_access" not in as_json
        and "contacts" not in as_json
        and "risk_level" not in as_json
    )
    assert set(as_json) - {"id", "audit_and_evaluation_results", "updated_at"} <= {
        name for name in publication.PUBLIC_FIELDS if publication.level_of(live, name) == "public"
    }


def test_the_statement_downloads_and_once_accepted_counts_as_public_communication(
    sign_in_as, client, agency
):
    from tests.web.conftest import csrf_token

    chatbot = agency["Crime report chatbot"]
    pdf = client.get(f"/public/systems/{chatbot.id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    legal = sign_in_as("legal")
    response = legal.post(
        f"/systems/{chatbot.id}/statement", data={"csrf_token": csrf_token(legal, "/portfolio")}
    )
    assert response.status_code == 302
    filed = Evidence.select().order_by(Evidence.id.desc()).first()
    assert filed.kind == "public_communication" and filed.requirement_ids
    assert filed.title.startswith("Public statement")
