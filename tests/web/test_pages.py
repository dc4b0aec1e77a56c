"""The pages legal teams, DPOs and auditors work in, on the demo agency."""

from __future__ import annotations

import io
import re

import pytest

from tests import sample_files
from tests.web.conftest import csrf_token
from tracker.models import AISystem, Evidence


@pytest.fixture
def agency(people, demo_agency):
    return {s.name: s for s in AISystem.select()}


def system_id(agency, name: str) -> int:
    return agency[name].id


def test_every_page_renders_for_the_dpo(sign_in_as, agency):
    dpo = sign_in_as("dpo")
    chatbot = system_id(agency, "Crime report chatbot")
    item = Evidence.select().first()
    for path in (
        "/portfolio",
        "/portfolio?sort=missing&order=desc&stage=deployed&ready=no&q=chat",
        f"/systems/{chatbot}",
        f"/systems/{chatbot}/edit",
        f"/evidence/new?system_id={chatbot}",
        f"/evidence/{item.id}",
        "/reviews",
        "/waivers",
        "/reminders",
        "/audit?actor=demo-seed",
    ):
        response = dpo.get(path)
        assert response.status_code == 200, path
        assert "<title>" in response.text and "<h1>" in response.text


def test_the_portfolio_lists_every_system_with_its_counts_and_readiness(sign_in_as, agency):
    page = sign_in_as("viewer").get("/portfolio").text
    for name in agency:
        assert name in page
    assert "not ready" in page and "Missing" in page


def test_the_system_page_shows_requirements_citations_operators_and_history(sign_in_as, agency):
    page = (
        sign_in_as("legal")
        .get(f"/systems/{system_id(agency, 'Live facial recognition on body-worn cameras')}")
        .text
    )
    assert "eu-led.dpia" in page and "Art 27" in page
    assert "Operators and their certificates" in page
    assert "Completeness over time" in page and "<polyline" in page
    assert "What to do next" in page
    # The stage by its name, not its code.
    assert "Not ready for Deployment and use" in page and "ready for deployment" not in page


def test_editing_the_profile_shows_errors_beside_fields_and_saves_nothing(sign_in_as, agency):
    legal = sign_in_as("legal")
    target = agency["Crime report chatbot"]
    form = {
        "csrf_token": csrf_token(legal, f"/systems/{target.id}/edit"),
        "name": "",
        "purpose": "x",
    }
    response = legal.post(f"/systems/{target.id}/edit", data=form)
    assert response.status_code == 422
    assert 'id="name-error"' in response.text and 'aria-invalid="true"' in response.text
    assert AISystem.get_by_id(target.id).name == "Crime report chatbot"


def upload_form(client, system: int, **extra):
    return {
        "csrf_token": csrf_token(client, "/evidence/new"),
        "kind": "impact_assessment",
        "title": "DPIA for the chatbot, 2026",
        "issued_on": "2026-01-05",
        "system_ids": str(system),
        "requirement_ids": "eu-gdpr.dpia",
        **extra,
    }


def test_an_upload_with_bad_fields_names_them_and_keeps_nothing(sign_in_as, agency):
    legal = sign_in_as("legal")
    before = Evidence.select().count()
    form = upload_form(
        legal,
        system_id(agency, "Crime report chatbot"),
        title="",
        valid_from="2026-05-01",
        valid_until="2026-01-01",
    )
    form["files"] = (io.BytesIO(b"%PDF-1.4 test"), "dpia.pdf")
    response = legal.post("/evidence/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert (
        'id="title-error"' in response.text and "Length must be between 1 and 300" in response.text
    )
    form = upload_form(
        legal,
        system_id(agency, "Crime report chatbot"),
        valid_from="2026-05-01",
        valid_until="2026-01-01",
    )
    form["files"] = (io.BytesIO(sample_files.pdf()), "dpia.pdf")
    response = legal.post("/evidence/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and 'id="valid_until-error"' in response.text
    assert Evidence.select().count() == before
    as_json = legal.post(
        "/evidence/new",
        data={**upload_form(legal, system_id(agency, "Crime report chatbot")), "kind": "nonsense"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 422 and "kind" in as_json.json["errors"]


def test_uploading_then_accepting_moves_the_requirement_to_satisfied(sign_in_as, agency):
    chatbot = system_id(agency, "Crime report chatbot")
    legal, dpo = sign_in_as("legal"), sign_in_as("dpo")
    form = upload_form(
        legal,
        chatbot,
        kind="record",
        title="Prohibited-practices screening of the chatbot",
        requirement_ids="eu-ai-act.prohibited_practices_screen",
    )
    form["files"] = [
        (io.BytesIO(sample_files.pdf("Technical file")), "technical-file.pdf"),
        (io.BytesIO(sample_files.pdf("Annex")), "annex.pdf"),
    ]
    response = legal.post(
        "/evidence/new",
        data=form,
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    item_id = int(re.search(r"/evidence/(\d+)", response.json["redirect"]).group(1))
    assert len(Evidence.get_by_id(item_id).files) == 2

    def status() -> str:
        page = dpo.get(f"/systems/{chatbot}").text
        row = page[page.index('id="requirement-eu-ai-act.prohibited_practices_screen"') :]
        return re.search(r'class="status s-(\w+)"', row).group(1)

    assert status() == "pending_review"
    token = csrf_token(dpo, f"/evidence/{item_id}")
    assert (
        dpo.post(
            f"/evidence/{item_id}/review", data={"csrf_token": token, "decision": "accepted"}
        ).status_code
        == 302
    )
    assert status() == "satisfied"
