"""Events on the system page: record one, see the duties it starts, upload evidence for it."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest

from tests import sample_files
from tests.factories import profile
from tests.web.conftest import csrf_token
from tracker import register
from tracker.db import utcnow
from tracker.models import AISystem, Evidence, SystemEvent

AUTHORISATION = "eu-ai-act.rt_rbi_authorisation"  # within 24 hours of each use, in force


@pytest.fixture
def live(app, people) -> AISystem:
    body = profile(
        name="Live facial recognition",
        biometric_identification="real_time",
        jurisdictions=["eu-ai-act"],
    )
    return register.create_system(body, "test", app.extensions["tracker"].catalogue)


def record_form(client, system_id: int, **values) -> dict:
    return {"csrf_token": csrf_token(client, f"/systems/{system_id}"), **values}


def duty_rows(page: str) -> list[str]:
    return re.findall(r'<li id="event-duty-(\d+-[\w.-]+)"', page)


def test_recording_a_use_lists_its_duties_with_a_link_to_upload_evidence_for_it(sign_in_as, live):
    legal = sign_in_as("legal")
    at = utcnow() - timedelta(hours=30)
    response = legal.post(
        f"/systems/{live.id}/events",
        data=record_form(
            legal,
            live.id,
            kind="use",
            occurred_at=f"{at:%Y-%m-%dT%H:%M}",
            description="Search at the stadium",
        ),
    )
    assert response.status_code == 302 and response.location.endswith(f"/systems/{live.id}#events")
    event = SystemEvent.get()
    assert (event.kind, event.description, event.recorded_by.username) == (
        "use",
        "Search at the stadium",
        "legal.web",
    )
    page = legal.get(f"/systems/{live.id}").text
    assert f"{event.id}-{AUTHORISATION}" in duty_rows(page)
    row = page[page.index(f'id="event-duty-{event.id}-{AUTHORISATION}"') :]
    row = row[: row.index("</li>")]
    assert 'class="status s-overdue"' in row  # 24 hours have passed
    link = re.search(r'href="([^"]+)">Upload evidence for this event', row).group(1)
    assert f"event_id={event.id}" in link and f"requirement_id={AUTHORISATION}" in link

    # The link opens the upload form with the event chosen; uploading links the evidence to it.
    form_page = legal.get(link.replace("&amp;", "&")).text
    assert re.search(
        rf'<option value="{event.id}" selected>#{event.id} Use of the system', form_page
    )
    upload = {
        "csrf_token": csrf_token(legal, "/evidence/new"),
        "kind": "authorisation",
        "title": "Court authorisation of the stadium search",
        "system_ids": str(live.id),
        "requirement_ids": AUTHORISATION,
        "event_id": str(event.id),
        "files": [(io.BytesIO(sample_files.pdf("Authorisation")), "authorisation.pdf")],
    }
    uploaded = legal.post("/evidence/new", data=upload, content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.text
    evidence = Evidence.get()
    assert evidence.event_id == event.id

    dpo = sign_in_as("dpo")
    token = csrf_token(dpo, f"/evidence/{evidence.id}")
    dpo.post(f"/evidence/{evidence.id}/review", data={"csrf_token": token, "decision": "accepted"})
    page = legal.get(f"/systems/{live.id}").text
    assert f"{event.id}-{AUTHORISATION}" not in duty_rows(page)  # met: nothing left to do for it
    assert "filed after the deadline" in page  # the recent events list says it came late


def test_a_refused_event_shows_the_errors_beside_the_fields_and_records_nothing(sign_in_as, live):
    legal = sign_in_as("legal")
    future = datetime.now() + timedelta(days=3)
    response = legal.post(
        f"/systems/{live.id}/events",
        data=record_form(
            legal,
            live.id,
            kind="data_breach",
            occurred_at=f"{future:%Y-%m-%dT%H:%M}",
            description="Typed in a hurry",
        ),
    )
    assert response.status_code == 422
    page = response.text
    assert 'id="kind-error"' in page and "did you mean &#39;personal_data_breach&#39;?" in page
    assert 'id="occurred_at-error"' in page and "Must not be in the future" in page
    assert "Typed in a hurry" in page  # what was entered is kept
    garbled = legal.post(
        f"/systems/{live.id}/events",
        data=record_form(legal, live.id, kind="use", occurred_at="yesterday"),
    )
    assert garbled.status_code == 422 and "Give a date and time" in garbled.text
    assert SystemEvent.select().count() == 0


def test_only_those_who_change_systems_record_events(sign_in_as, live):
    viewer = sign_in_as("viewer")
    page = viewer.get(f"/systems/{live.id}").text
    assert "Events and their deadlines" in page and 'id="event-form"' not in page
    refused = viewer.post(
        f"/systems/{live.id}/events",
        data={
            "csrf_token": csrf_token(viewer, f"/systems/{live.id}"),
            "kind": "use",
            "occurred_at": f"{utcnow():%Y-%m-%dT%H:%M}",
        },
    )
    assert refused.status_code == 403
    assert SystemEvent.select().count() == 0
