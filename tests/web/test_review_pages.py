"""Decisions on the pages: accept or reject evidence only while its decision is open (reject
apart, with its reason), and waivers by name with only the actions their state allows."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from tests import sample_files
from tests.factories import profile
from tests.web.conftest import PASSWORD, csrf_token
from tests.web.queries import app_database, counted
from tracker import accounts, evidence_items, register, reviews, sign_in, waivers
from tracker.evidence_items import IncomingFile
from tracker.models import Evidence, EvidenceReview, Waiver

DPIA = "eu-led.dpia"
DPIA_TITLE = "Data protection impact assessment (LED)"


@pytest.fixture
def staff(people) -> dict[str, object]:
    """Named people: a legal officer and two DPOs, with passwords."""
    made = {}
    for username, role, name in (
        ("l.martin", "legal", "Léa Martin"),
        ("d.okafor", "dpo", "Dana Okafor"),
        ("p.vries", "dpo", "Pieter de Vries"),
    ):
        user = accounts.create_user(username, role, "test-setup", full_name=name)
        sign_in.set_password(user, PASSWORD, "test-setup")
        made[username] = user
    return made


@pytest.fixture
def log_in(app, staff):
    def make(username: str):
        client = app.test_client()
        response = client.post(
            "/sign-in",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 302
        return client

    return make


@pytest.fixture
def system(app, staff):
    catalogue = app.extensions["tracker"].catalogue
    return register.create_system(
        profile(name="Body-worn camera face search"), "l.martin", catalogue
    )


@pytest.fixture
def upload(app, staff, system):
    def make(title: str = "DPIA of the face search", uploader: str = "l.martin", size: int = 0):
        content = sample_files.pdf(title + " " + "x" * size)
        store = app.extensions["tracker"].store
        return evidence_items.add_evidence(
            store,
            {
                "kind": "impact_assessment",
                "title": title,
                "system_ids": [system.id],
                "requirement_ids": [DPIA],
            },
            [IncomingFile(store.put(io.BytesIO(content)), "dpia.pdf")],
            staff[uploader],
            uploader,
            known_requirements=app.extensions["tracker"].catalogue.requirements,
        )

    return make


def review_section(page: str) -> str:
    return page.split('<h2 id="review">', 1)[1].split("<h2>", 1)[0]


def test_the_detail_page_offers_accept_and_a_separate_reject_while_the_decision_is_open(
    log_in, upload
):
    item = upload(size=3000)
    page = log_in("d.okafor").get(f"/evidence/{item.id}").text
    section = review_section(page)
    assert "Not reviewed yet." in section
    forms = re.findall(r"<form .*?</form>", section, re.S)
    assert len(forms) == 2  # accept and reject are separate forms
    accept, reject = forms
    assert 'value="accepted"' in accept and "rejected" not in accept
    assert 'value="rejected" class="danger"' in reject
    assert re.search(r'<textarea id="reason" name="reason" rows="2" required', reject)
    # Sizes people read, not bytes.
    assert re.search(r'<td class="size"[^>]*>[\d.,]+ KB</td>', page)
    assert "uploaded" in page and "by Léa Martin" in page


def test_decided_evidence_shows_its_history_by_name_and_no_buttons(log_in, upload, staff):
    item = upload()
    reviews.review_evidence(item, "rejected", "Unsigned copy", staff["p.vries"], "p.vries")
    page = log_in("d.okafor").get(f"/evidence/{item.id}").text
    section = review_section(page)
    assert "<form" not in section and "Not reviewed yet" not in section
    assert "s-rejected" in section and "by Pieter de Vries on" in section
    assert "<blockquote>Unsigned copy</blockquote>" in section


def test_the_uploader_and_other_roles_get_no_decision_buttons(log_in, upload, staff):
    own = upload(uploader="d.okafor")
    section = review_section(log_in("d.okafor").get(f"/evidence/{own.id}").text)
    assert "<form" not in section and "You uploaded this evidence: another DPO decides." in section
    other = upload("Another DPIA")
    section = review_section(log_in("l.martin").get(f"/evidence/{other.id}").text)
    assert "<form" not in section and "A DPO decides." in section


def test_a_superseded_version_points_to_the_newest_instead_of_offering_a_decision(
    app, log_in, upload, staff
):
    first = upload()
    newer = evidence_items.add_evidence(
        app.extensions["tracker"].store,
        {"title": "DPIA of the face search, revised"},
        [],
        staff["l.martin"],
        "l.martin",
        previous=first,
    )
    section = review_section(log_in("d.okafor").get(f"/evidence/{first.id}").text)
    assert "<form" not in section
    assert f'href="/evidence/{newer.id}">Version 2</a>' in section


def test_rejecting_without_a_reason_is_refused_beside_the_field(log_in, upload):
    item = upload()
    dpo = log_in("d.okafor")
    response = dpo.post(
        f"/evidence/{item.id}/review",
        data={"csrf_token": csrf_token(dpo, f"/evidence/{item.id}"), "decision": "rejected"},
    )
    assert response.status_code == 422
    assert (
        'id="reason-error"' in response.text
        and "A rejection must give its reason." in response.text
    )
    assert 'aria-describedby="reason-error"' in response.text
    assert EvidenceReview.select().count() == 0


def test_a_page_left_open_cannot_overwrite_a_decision_made_meanwhile(log_in, upload, staff):
    item = upload()
    dpo = log_in("d.okafor")
    token = csrf_token(dpo, f"/evidence/{item.id}")
    reviews.review_evidence(item, "accepted", "", staff["p.vries"], "p.vries")
    response = dpo.post(
        f"/evidence/{item.id}/review",
        data={"csrf_token": token, "decision": "rejected", "reason": "Too late"},
        follow_redirects=True,
    )
    assert "already accepted by Pieter de Vries" in response.text
    assert [r.decision for r in EvidenceReview.select()] == ["accepted"]


def test_a_decision_from_the_queue_goes_back_there_but_never_off_site(log_in, upload):
    first, second = upload("First DPIA"), upload("Second DPIA")
    dpo = log_in("d.okafor")
    token = csrf_token(dpo, "/reviews")
    back = dpo.post(
        f"/evidence/{first.id}/review",
        data={"csrf_token": token, "decision": "accepted", "back": "/reviews"},
    )
    assert back.status_code == 302 and back.location.endswith("/reviews")
    away = dpo.post(
        f"/evidence/{second.id}/review",
        data={"csrf_token": token, "decision": "accepted", "back": "https://evil.example/x"},
    )
    assert away.location.endswith(f"/evidence/{second.id}")


def test_the_review_queue_names_systems_requirements_and_uploaders(log_in, upload, staff):
    mine = upload("DPIA the DPO uploaded", uploader="d.okafor")
    theirs = upload("DPIA from legal")
    page = log_in("d.okafor").get("/reviews").text
    assert "2 evidence versions await a decision" in page
    row = page.split(f'id="evidence-{theirs.id}"', 1)[1].split("</tr>", 1)[0]
    assert ">Body-worn camera face search</a>" in row
    assert DPIA_TITLE in row and f'<code class="rid">{DPIA}</code>' in row
    assert "by Léa Martin" in row
    assert 'value="accepted"' in row
    assert '<details class="reject"><summary>Reject…</summary>' in row
    assert re.search(r'<textarea id="reason-\d+" name="reason" rows="2" required>', row)
    assert 'class="danger"' in row
    own = page.split(f'id="evidence-{mine.id}"', 1)[1].split("</tr>", 1)[0]
    assert "<form" not in own and "You uploaded it: another DPO decides." in own
    viewer = log_in("l.martin").get("/reviews").text
    table = viewer.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "<form" not in table and "A DPO decides." in table


def test_the_review_queue_costs_the_same_queries_for_many_items(log_in, upload):
    dpo = log_in("d.okafor")
    upload("One")
    with counted(app_database()) as few:
        dpo.get("/reviews")
    for n in range(12):
        upload(f"DPIA {n}")
    with counted(app_database()) as many:
        assert "13 evidence versions" in dpo.get("/reviews").text
    assert few and len(many) == len(few), many


# --- waivers ---


@pytest.fixture
def waiver_of(app, system, staff):
    catalogue = app.extensions["tracker"].catalogue

    def make(requirement: str = DPIA, by: str = "d.okafor") -> Waiver:
        return waivers.request_waiver(
            system,
            requirement,
            "The assessment of the parent system covers this deployment in full.",
            date.today() + timedelta(days=90),
            staff[by],
            by,
            catalogue,
        )

    return make


def waiver_row(page: str, waiver: Waiver) -> str:
    return page.split(f'<tr id="waiver-{waiver.id}">', 1)[1].split("</tr>", 1)[0]


def test_waivers_show_system_and_requirement_names_and_who_asked(log_in, waiver_of, system):
    waiver = waiver_of()
    row = waiver_row(log_in("l.martin").get("/waivers").text, waiver)
    assert f'<a href="/systems/{system.id}">Body-worn camera face search</a>' in row
    assert f'{DPIA_TITLE} <code class="rid">{DPIA}</code>' in row
    assert "requested by Dana Okafor" in row
    assert "<form" not in row
    assert "Awaiting a DPO's decision." in row  # legal cannot decide


def test_a_requested_waiver_offers_approve_and_a_separate_reject_to_another_dpo(log_in, waiver_of):
    waiver = waiver_of()
    row = waiver_row(log_in("p.vries").get("/waivers").text, waiver)
    assert f'action="/waivers/{waiver.id}/approve"' in row
    assert f'action="/waivers/{waiver.id}/reject"' in row and 'class="danger"' in row
    assert re.search(r'<textarea id="reject-note-\d+" name="note" rows="2" required>', row)
    assert "/revoke" not in row
    # The requester does not decide their own waiver.
    own = waiver_row(log_in("d.okafor").get("/waivers").text, waiver)
    assert "<form" not in own and "You requested it: another DPO decides." in own


def test_approving_then_revoking_follows_the_state(log_in, waiver_of):
    waiver = waiver_of()
    other = log_in("p.vries")
    response = other.post(
        f"/waivers/{waiver.id}/approve",
        data={"csrf_token": csrf_token(other, "/waivers"), "back": "list", "note": "Fine"},
    )
    assert response.status_code == 302 and response.location.endswith(
        f"/waivers#waiver-{waiver.id}"
    )
    assert Waiver.get_by_id(waiver.id).state == "approved"
    row = waiver_row(other.get("/waivers").text, waiver)
    assert "/approve" not in row and "/reject" not in row
    assert f'action="/waivers/{waiver.id}/revoke"' in row and "Approved by Pieter de Vries" in row
    other.post(
        f"/waivers/{waiver.id}/revoke",
        data={"csrf_token": csrf_token(other, "/waivers"), "note": "Parent DPIA withdrawn"},
    )
    row = waiver_row(other.get("/waivers").text, waiver)
    assert "<form" not in row and "Revoked by Pieter de Vries" in row
    assert "Parent DPIA withdrawn" in row


def test_rejecting_a_waiver_needs_a_reason(log_in, waiver_of):
    waiver = waiver_of()
    other = log_in("p.vries")
    page = other.post(
        f"/waivers/{waiver.id}/reject",
        data={"csrf_token": csrf_token(other, "/waivers")},
        follow_redirects=True,
    ).text
    assert "Not recorded" in page and "A rejection must give its reason." in page
    assert Waiver.get_by_id(waiver.id).state == "requested"


def test_one_waiver_page_is_titled_by_its_requirement(log_in, waiver_of):
    waiver = waiver_of()
    page = log_in("p.vries").get(f"/waivers/{waiver.id}").text
    assert f"<h1>Waiver of {DPIA_TITLE}</h1>" in page
    assert f'action="/waivers/{waiver.id}/approve"' in page
    assert log_in("p.vries").get("/waivers/999999").status_code == 404


def test_the_waiver_request_form_offers_requirements_by_title_and_keeps_errors_beside_fields(
    log_in, system
):
    legal = log_in("l.martin")
    page = legal.get("/waivers").text
    assert f'<option value="{DPIA}">{DPIA_TITLE} ({DPIA})</option>' in page
    assert '<optgroup label="EU Law Enforcement Directive 2016/680">' in page
    response = legal.post(
        "/waivers",
        data={
            "csrf_token": csrf_token(legal, "/waivers"),
            "system_id": str(system.id),
            "requirement_id": DPIA,
            "justification": "Too short",
            "expires_on": "2020-01-01",
        },
    )
    assert response.status_code == 422
    assert 'id="justification-error"' in response.text and 'id="expires_on-error"' in response.text
    assert Waiver.select().count() == 0
    missing = legal.post(
        "/waivers",
        data={"csrf_token": csrf_token(legal, "/waivers"), "system_id": "", "requirement_id": DPIA},
    )
    assert missing.status_code == 422 and 'id="system_id-error"' in missing.text
    assert Evidence.select().count() == 0
