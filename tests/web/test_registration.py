"""Registering, retiring and importing AI systems in the browser."""

from __future__ import annotations

import base64
import io
import re

import pytest

from tests.factories import profile
from tests.web.conftest import csrf_token
from tracker import accounts, register
from tracker.models import AISystem, AuditEvent, User

FULL_FORM = {
    "name": "Fraud pattern finder",
    "version": "3.0",
    "vendor": "In-house",
    "purpose": "Finds patterns of benefit fraud in case files.",
    "usage_description": "Analysts review every pattern before any step is taken.",
    "authorised_use_cases": "Fraud investigations\nTraining analysts",
    "development_approach": "internal",
    "lifecycle_stage": "development_or_procurement",
    "risk_level": "high",
    "purpose_type": "law_enforcement",
    "biometric_identification": "none",
    "processes_personal_data": "on",
    "profiling": "on",
    "public_authority": "on",
    "people_affected": ["suspects", "staff"],
    "personal_data_handling": "Case files stay in the case system.",
    "data_sharing": "None.",
    "ai_act_roles": ["provider", "deployer"],
    "annex_iii_areas": ["law_enforcement"],
    "countries": "nl, DE",
    "jurisdictions": ["eu-gdpr", "eu-led"],
    "answer_nis2_in_scope": "no",
    "units_with_access": "Fraud unit",
    "contacts": "Ana Duarte <ana.duarte@police.example>",
    "level_risk_level": "public",
    "level_vendor": "internal",
}


def post_new(client, **changes):
    form = {"csrf_token": csrf_token(client, "/systems/new"), **FULL_FORM, **changes}
    return client.post("/systems/new", data=form)


def test_the_registration_form_shows_every_fact_with_its_help_and_each_plugin_question(
    sign_in_as, app
):
    page = sign_in_as("legal").get("/systems/new")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Register an AI system</h1>" in html
    # Every profile field has a control; the help of each fact is beside it, linked to it.
    for name in ("name", "purpose", "risk_level", "countries", "contacts", "published"):
        assert f'id="{name}"' in html, name
    assert 'id="ai_act_roles-provider"' in html and 'id="annex_iii_areas-biometrics"' in html
    assert 'id="risk_level-help"' in html and "The agency&#39;s own risk rating" in html
    assert 'aria-describedby="risk_level-help"' in html
    assert "Is this system operated by an entity in NIS2 scope" in html
    assert "national transposition brings it in" in html  # the question's help
    # Required choices start unchosen: nobody registers a default by accident.
    assert re.search(r'<select id="risk_level"[^>]*>\s*<option value="">', html)
    # The publication grid: one row per field, its label and its level on one line.
    rows = re.findall(r'<tr class="lv-(\w+)">\s*<th scope="row"><label for="level_(\w+)">', html)
    assert ("public", "name") in rows and ("authority", "risk_level") in rows
    assert len(rows) == len({name for _level, name in rows}) >= 25
    assert "Retire this system" not in html


def test_a_full_profile_is_registered_audited_and_shown(sign_in_as, app):
    legal = sign_in_as("legal")
    response = post_new(legal)
    assert response.status_code == 302, response.text
    system = AISystem.get(AISystem.name == "Fraud pattern finder")
    assert response.location.endswith(f"/systems/{system.id}")
    assert system.authorised_use_cases == ["Fraud investigations", "Training analysts"]
    assert (system.development_approach, system.lifecycle_stage) == (
        "internal",
        "development_or_procurement",
    )
    assert system.processes_personal_data and system.profiling and not system.public_facing
    assert system.people_affected == ["suspects", "staff"]
    assert system.ai_act_roles == ["provider", "deployer"]
    assert system.countries == ["NL", "DE"] and system.jurisdictions == ["eu-gdpr", "eu-led"]
    assert system.answers == {"nis2_in_scope": False}
    assert system.contacts == [
        {"name": "Ana Duarte", "email": "ana.duarte@police.example", "role": ""}
    ]
    assert system.publication == {"risk_level": "public", "vendor": "internal"}
    event = AuditEvent.get(AuditEvent.action == "system.created")
    assert (event.actor, event.entity_id) == ("legal.web", str(system.id))
    assert "Fraud pattern finder is registered as AI system" in legal.get("/systems/import").text


def test_errors_stand_beside_their_fields_values_are_kept_and_nothing_is_saved(sign_in_as, app):
    legal = sign_in_as("legal")
    audited = AuditEvent.select().count()
    response = post_new(
        legal,
        name="",
        risk_level="",
        countries="XX",
        contacts="Ana <not-an-email>",
    )
    assert response.status_code == 422
    html = response.text
    assert AISystem.select().count() == 0 and AuditEvent.select().count() == audited
    assert "The system was not registered" in html
    for name in ("name", "risk_level", "countries", "contacts"):
        assert f'id="{name}-error"' in html, name
    assert re.search(r'<input id="name" name="name" value=""[^>]*aria-invalid="true"', html)
    assert "Choose one." in html  # a choice left unmade, not the list of codes
    assert "entry 1: email: Not a valid email address." in html
    # What was entered is still there.
    assert "Finds patterns of benefit fraud in case files." in html
    assert 'value="provider" checked' in html and 'value="XX"' in html
    assert re.search(r'<option value="public" selected>Public</option>', html)


def test_a_wrong_plugin_answer_and_a_rule_across_fields_are_shown_beside_them(sign_in_as, app):
    dpo = sign_in_as("dpo")
    response = post_new(dpo, answer_nis2_in_scope="perhaps")
    assert response.status_code == 422
    assert 'id="answer_nis2_in_scope-error"' in response.text
    assert "Must be true or false." in response.text
    response = post_new(dpo, biometric_identification="real_time")
    assert response.status_code == 422 and 'id="annex_iii_areas-error"' in response.text
    assert "add &#39;biometrics&#39; to annex_iii_areas" in response.text
    assert AISystem.select().count() == 0


@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_roles_that_cannot_write_systems_get_403(sign_in_as, app, role):
    client = sign_in_as(role)
    system = register.create_system(profile(), "test", app.extensions["tracker"].catalogue)
    for path in ("/systems/new", "/systems/import", f"/systems/{system.id}/retire"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/portfolio")
    assert client.post("/systems/new", data={**FULL_FORM, "csrf_token": token}).status_code == 403
    assert (
        client.post(
            f"/systems/{system.id}/retire",
            data={"csrf_token": token, "reason": "x", "confirm": "yes"},
        ).status_code
        == 403
    )
    assert AISystem.select().count() == 1 and AISystem.get().retired_at is None


def test_retiring_asks_for_a_reason_then_a_confirmation(sign_in_as, app):
    dpo = sign_in_as("dpo")
    system = register.create_system(profile(), "test", app.extensions["tracker"].catalogue)
    edit = dpo.get(f"/systems/{system.id}/edit").text
    assert "Retire this system" in edit and f'action="/systems/{system.id}/retire"' in edit
    url = f"/systems/{system.id}/retire"
    token = csrf_token(dpo, url)
    empty = dpo.post(url, data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    asked = dpo.post(url, data={"csrf_token": token, "reason": "Replaced by version 5"})
    assert asked.status_code == 200 and "Retire this system now?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert AISystem.get_by_id(system.id).retired_at is None  # not before the confirmation
    done = dpo.post(
        url, data={"csrf_token": token, "reason": "Replaced by version 5", "confirm": "yes"}
    )
    assert done.status_code == 302 and done.location.endswith(f"/systems/{system.id}")
    retired = AISystem.get_by_id(system.id)
    assert retired.retired_at is not None and retired.retired_reason == "Replaced by version 5"
    event = AuditEvent.get(AuditEvent.action == "system.retired")
    assert event.actor == "dpo.web"
    assert "was retired on" in dpo.get(url).text


REGISTER_CSV = (
    "\ufeffname;purpose;development_approach;lifecycle_stage;risk_level;"
    "processes_personal_data;purpose_type;ai_act_roles;notes\r\n"
    "Plate reader;Reads plates;external;deployment;high;yes;law_enforcement;deployer;x\r\n"
    "\r\n"
    "Chatbot;Answers questions;off_the_shelf;testing;medium;non;administrative;deployer;\r\n"
).encode()


def upload(client, data: bytes, name: str = "register.csv"):
    return client.post(
        "/systems/import",
        data={
            "csrf_token": csrf_token(client, "/systems/import"),
            "action": "check",
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def test_the_register_import_offers_a_template_listing_every_column(sign_in_as, app):
    legal = sign_in_as("legal")
    page = legal.get("/systems/import").text
    assert "/systems/import/template.csv" in page and "nis2_in_scope" in page
    template = legal.get("/systems/import/template.csv")
    assert template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    assert template.text.lstrip("\ufeff").startswith("name,version,vendor,purpose,")


def test_a_register_dry_run_writes_nothing_then_the_import_registers_every_row(sign_in_as, app):
    legal = sign_in_as("legal")
    checked = upload(legal, REGISTER_CSV)
    assert checked.status_code == 200
    assert (
        "Dry run of register.csv" in checked.text
        and "Nothing has been written yet." in checked.text
    )
    assert "These columns are not read (not in the template): notes." in checked.text
    assert "Import 2 systems" in checked.text
    assert AISystem.select().count() == 0
    content = re.search(r'name="content" value="([^"]+)"', checked.text).group(1)
    assert base64.b64decode(content) == REGISTER_CSV
    done = legal.post(
        "/systems/import",
        data={
            "csrf_token": csrf_token(legal, "/systems/import"),
            "action": "import",
            "content": content,
            "filename": "register.csv",
        },
    )
    assert done.status_code == 302 and done.location.endswith("/portfolio")
    assert sorted(s.name for s in AISystem.select()) == ["Chatbot", "Plate reader"]
    assert AuditEvent.select().where(AuditEvent.action == "system.created").count() == 2
    assert "Imported 2 AI systems from register.csv." in legal.get("/systems/import").text


def test_a_register_with_errors_lists_every_row_and_cannot_be_imported(sign_in_as, app):
    legal = sign_in_as("legal")
    bad = REGISTER_CSV.replace(b";high;yes;", b";severe;perhaps;").replace(b"Chatbot;", b";")
    checked = upload(legal, bad)
    assert checked.status_code == 422
    html = checked.text
    assert "2 of 2 rows have errors (3 in all)" in html
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td><td>([^<]+)</td></tr>', html
    )
    assert [(r, c) for r, c, _m in rows] == [
        ("2", "risk_level"),
        ("2", "processes_personal_data"),
        ("4", "name"),
    ]
    assert 'name="content"' not in html and "Import 2 systems" not in html
    # Even posted as an import, nothing is written.
    forced = legal.post(
        "/systems/import",
        data={
            "csrf_token": csrf_token(legal, "/systems/import"),
            "action": "import",
            "content": base64.b64encode(bad).decode(),
        },
    )
    assert forced.status_code == 422 and AISystem.select().count() == 0


def test_an_unreadable_file_is_refused_beside_the_file_field(sign_in_as, app):
    legal = sign_in_as("legal")
    refused = upload(legal, "name\nJos\xe9\n".encode("cp1252"))
    assert refused.status_code == 422
    assert 'id="file-error"' in refused.text and "not UTF-8" in refused.text
    nothing = legal.post(
        "/systems/import",
        data={"csrf_token": csrf_token(legal, "/systems/import"), "action": "check"},
    )
    assert nothing.status_code == 422 and "Choose a CSV file to check." in nothing.text


def test_a_french_user_reads_form_errors_in_french(sign_in_as, app, people, migrated):
    accounts.set_language(User.get(User.username == people["legal"]), "fr", "test")
    client = sign_in_as("legal")
    response = client.post(
        "/systems/new",
        data={
            "csrf_token": csrf_token(client, "/systems/new"),
            "name": "",
            "purpose": "x",
            "development_approach": "internal",
            "lifecycle_stage": "testing",
            "risk_level": "high",
            "purpose_type": "law_enforcement",
            "biometric_identification": "none",
        },
    )
    assert response.status_code == 422
    assert "La longueur doit être comprise entre 1 et 200." in response.text
    assert "Length must be" not in response.text
