"""The upload form offers only the chosen systems' requirements, as checkboxes, with and without
JavaScript (the "Next" round trip); the requirement choices agree with completeness."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import sample_files
from tests.factories import profile
from tests.web.conftest import csrf_token
from tracker import completeness, register
from tracker.db import utcnow
from tracker.evidence_choices import AGENCY_GROUP, requirement_choices
from tracker.models import Evidence

DPIA = "eu-led.dpia"
GDPR_DPIA = "eu-gdpr.dpia"
GDPR_DESIGN = "eu-gdpr.dp_by_design"  # administrative processing: the rota, not the face search
STRATEGY = "toolkit.responsible_ai_strategy"  # agency-level: agency-wide evidence only


@pytest.fixture
def catalogue(app):
    return app.extensions["tracker"].catalogue


@pytest.fixture
def systems(catalogue, people):
    return {
        "face": register.create_system(
            profile(name="Body-worn camera face search"), "test", catalogue
        ),
        "chatbot": register.create_system(
            profile(
                name="Staff rota assistant",
                purpose_type="administrative",
                biometric_identification="none",
                annex_iii_areas=[],
                risk_level="low",
            ),
            "test",
            catalogue,
        ),
    }


def checkboxes(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="checkbox" id="[^"]+" name="{name}" value="([^"]+)"', page)


def checked(page: str, name: str) -> list[str]:
    return re.findall(
        rf'<input type="checkbox" id="[^"]+" name="{name}" value="([^"]+)" checked', page
    )


def test_the_choices_are_the_requirements_completeness_applies_to_the_system(catalogue, systems):
    face = systems["face"]
    choices = requirement_choices([face.id], False, catalogue)
    offered = choices.offered
    judged = completeness.for_system(face.id, date.today(), catalogue)
    expected = {i.requirement_id for i in judged.items if i.scope != "agency"}
    assert offered == expected and DPIA in offered
    assert STRATEGY not in offered  # only agency-wide evidence serves an agency-level duty
    assert GDPR_DPIA not in offered  # the GDPR's DPIA is for administrative processing
    assert choices.systems == [(face.id, "Body-worn camera face search")]
    titles = [g.title for g in choices.groups]
    assert "EU Law Enforcement Directive 2016/680" in titles
    # Grouped by framework, each group's requirements from that framework only.
    for group in choices.groups:
        assert {c.requirement.framework for c in group.choices} == {group.id}


def test_with_two_systems_a_requirement_says_which_one_it_applies_to(catalogue, systems):
    face, rota = systems["face"], systems["chatbot"]
    choices = requirement_choices([face.id, rota.id, 999_999, "x"], False, catalogue)
    by_id = {c.requirement.id: c for g in choices.groups for c in g.choices}
    assert by_id[DPIA].systems == ["Body-worn camera face search"] and not by_id[DPIA].everywhere
    assert by_id[GDPR_DESIGN].systems == ["Staff rota assistant"]
    shared = [c for c in by_id.values() if c.everywhere]
    assert shared and all(len(c.systems) == 2 for c in shared)
    assert len(choices.systems) == 2  # the unknown ids are ignored


def test_agency_wide_evidence_may_serve_any_requirement_agency_duties_first(catalogue):
    choices = requirement_choices([], True, catalogue, wanted=[STRATEGY])
    assert choices.groups[0].id == AGENCY_GROUP
    assert STRATEGY in {c.requirement.id for c in choices.groups[0].choices}
    assert choices.offered == set(catalogue.requirements) and choices.others == []


def test_a_requirement_chosen_earlier_that_does_not_apply_stays_visible(catalogue, systems):
    choices = requirement_choices(
        [systems["face"].id], False, catalogue, wanted=[GDPR_DPIA, DPIA, "no.such"]
    )
    assert [r.id for r in choices.others] == [GDPR_DPIA]


def test_the_form_starts_with_systems_as_checkboxes_and_no_requirements_yet(sign_in_as, systems):
    page = sign_in_as("legal").get("/evidence/new").text
    assert sorted(checkboxes(page, "system_ids")) == sorted(str(s.id) for s in systems.values())
    assert checkboxes(page, "requirement_ids") == []
    assert "Choose the systems first" in page
    assert "multiple size=" not in page and '<select id="system_ids"' not in page
    assert "Next: show their requirements" in page and 'formmethod="get"' in page


def test_a_system_page_link_preselects_its_system_requirement_and_event(sign_in_as, systems):
    face = systems["face"]
    event = register.record_event(face, "use", utcnow() - timedelta(hours=2), "", None, "test")
    page = (
        sign_in_as("legal")
        .get(f"/evidence/new?system_id={face.id}&requirement_id={DPIA}&event_id={event.id}")
        .text
    )
    assert checked(page, "system_ids") == [str(face.id)]
    assert checked(page, "requirement_ids") == [DPIA]
    assert GDPR_DPIA not in checkboxes(page, "requirement_ids")
    assert re.search(rf'<option value="{event.id}" selected>#{event.id} ', page)
    # Requirements by their title, the id small beside it.
    assert re.search(
        rf'<label for="req-{re.escape(DPIA)}">Data protection impact assessment \(LED\) '
        rf'<code class="rid">{re.escape(DPIA)}</code>',
        page,
    )


def test_next_without_javascript_reloads_the_form_with_the_chosen_systems_requirements(
    sign_in_as, systems
):
    legal = sign_in_as("legal")
    rota = systems["chatbot"]
    token = csrf_token(legal, "/evidence/new")
    # What the browser sends for the "Next" button (formmethod=get): the whole form.
    response = legal.get(
        "/evidence/new",
        query_string=[
            ("csrf_token", token),
            ("system_ids", str(rota.id)),
            ("title", "Rota DPIA"),
            ("kind", "impact_assessment"),
            ("description", ""),
            ("event_id", ""),
        ],
    )
    assert response.status_code == 303
    target = urlsplit(response.location)
    assert target.fragment == "requirements-step"
    assert parse_qs(target.query) == {
        "system_ids": [str(rota.id)],
        "title": ["Rota DPIA"],
        "kind": ["impact_assessment"],
    }  # the token is not kept in the address
    page = legal.get(f"{target.path}?{target.query}").text
    assert checked(page, "system_ids") == [str(rota.id)]
    assert GDPR_DESIGN in checkboxes(page, "requirement_ids")
    assert DPIA not in checkboxes(page, "requirement_ids")
    assert 'value="Rota DPIA"' in page and '<option value="impact_assessment" selected>' in page


def test_the_live_update_fragment_is_the_same_list_for_the_chosen_systems(sign_in_as, systems):
    legal = sign_in_as("legal")
    face, rota = systems["face"], systems["chatbot"]
    fragment = legal.get(
        f"/evidence/new/choices?system_id={face.id}&system_id={rota.id}&requirement_id={DPIA}"
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    offered = checkboxes(fragment.text, "requirement_ids")
    assert DPIA in offered and GDPR_DESIGN in offered
    assert checked(fragment.text, "requirement_ids") == [DPIA]
    assert "applies to Body-worn camera face search only" in fragment.text
    # Unticking the system that needs it keeps the ticked requirement visible, set apart.
    only_rota = legal.get(f"/evidence/new/choices?system_id={rota.id}&requirement_id={DPIA}").text
    assert "Chosen, but not applying to these systems" in only_rota
    assert checked(only_rota, "requirement_ids") == [DPIA]
    agency = legal.get("/evidence/new/choices?agency_wide=on").text
    assert STRATEGY in checkboxes(agency, "requirement_ids")
    assert "Agency-level duties" in agency
    assert sign_in_as("viewer").get("/evidence/new/choices").status_code == 403


def test_a_refused_upload_keeps_the_choices_and_names_the_fields(sign_in_as, systems):
    legal = sign_in_as("legal")
    face = systems["face"]
    response = legal.post(
        "/evidence/new",
        data={
            "csrf_token": csrf_token(legal, "/evidence/new"),
            "kind": "impact_assessment",
            "title": "",
            "system_ids": str(face.id),
            "requirement_ids": DPIA,
            "files": (io.BytesIO(sample_files.pdf()), "dpia.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.text
    assert 'id="title-error"' in page
    assert checked(page, "system_ids") == [str(face.id)]
    assert checked(page, "requirement_ids") == [DPIA]
    assert Evidence.select().count() == 0


def test_checked_requirements_upload_and_the_detail_lists_them_by_title(sign_in_as, systems):
    legal = sign_in_as("legal")
    face = systems["face"]
    response = legal.post(
        "/evidence/new",
        data={
            "csrf_token": csrf_token(legal, "/evidence/new"),
            "kind": "impact_assessment",
            "title": "DPIA of the face search",
            "system_ids": str(face.id),
            "requirement_ids": [DPIA, "eu-ai-act.fria"],
            "files": (io.BytesIO(sample_files.pdf()), "dpia.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    item = Evidence.get()
    assert item.requirement_ids == [DPIA, "eu-ai-act.fria"]
    page = legal.get(response.location).text
    assert f'Data protection impact assessment (LED) <code class="rid">{DPIA}</code>' in page
    assert f"Evidence {item.id} uploaded with 1 file(s)" in page
