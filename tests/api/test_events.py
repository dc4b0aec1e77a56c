"""Events through the API: recording with known kinds, evidence linked to one event, and the
event duties completeness shows (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import profile, upload_form

AUTHORISATION = "eu-ai-act.rt_rbi_authorisation"  # within 24 hours of each use, in force


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


@pytest.fixture
def live(client, auth) -> int:
    body = profile(
        name="Live facial recognition",
        biometric_identification="real_time",
        jurisdictions=["eu-ai-act"],
    )
    created = client.post("/api/systems", json=body, headers=auth("legal"))
    assert created.status_code == 201, created.json
    return created.json["id"]


@pytest.fixture
def other(client, auth) -> int:
    body = profile(name="Another system", jurisdictions=["eu-ai-act"])
    return client.post("/api/systems", json=body, headers=auth("legal")).json["id"]


def record(client, auth, system_id, **body):
    return client.post(f"/api/systems/{system_id}/events", json=body, headers=auth("legal"))


def completeness(client, auth, system_id, as_of=None):
    query = f"?as_of={as_of}" if as_of else ""
    response = client.get(f"/api/systems/{system_id}/completeness{query}", headers=auth("viewer"))
    assert response.status_code == 200, response.json
    return response.json


def upload(client, auth, **metadata):
    form = upload_form(kind="authorisation", title="Court authorisation", **metadata)
    return client.post(
        "/api/evidence", data=form, headers=auth("legal"), content_type="multipart/form-data"
    )


def errors(response) -> dict[str, str]:
    return {e["field"]: e["detail"] for e in response.json["errors"]}


def test_every_core_kind_can_be_recorded_and_is_listed(client, auth, live):
    kinds = client.get("/api/event-kinds", headers=auth("viewer")).json
    assert {k["id"] for k in kinds} >= {
        "use",
        "personal_data_breach",
        "serious_incident",
        "significant_cyber_incident",
        "substantial_modification",
    }
    breach = next(k for k in kinds if k["id"] == "personal_data_breach")
    assert breach["counted_from"] == "when the agency became aware of the breach"
    now = datetime.now(UTC) - timedelta(hours=1)
    for offset, kind in enumerate(k["id"] for k in kinds):
        created = record(
            client, auth, live, kind=kind, occurred_at=iso(now - timedelta(hours=offset))
        )
        assert created.status_code == 201, created.json
        assert created.json["kind"] == kind and created.json["recorded_by"] == "legal-user"
    listed = client.get(f"/api/systems/{live}/events", headers=auth("viewer")).json
    assert [e["kind"] for e in listed] == [k["id"] for k in kinds]  # newest first


def test_a_bad_event_is_refused_naming_the_field_and_the_known_kinds(client, auth, live):
    unknown = record(client, auth, live, kind="data_breach", occurred_at=iso(datetime.now(UTC)))
    assert unknown.status_code == 422
    detail = errors(unknown)["kind"]
    assert detail.startswith(
        "'data_breach' is not a known event kind (did you mean 'personal_data_breach'?); "
        "known kinds: "
    )
    assert {"use", "personal_data_breach", "substantial_modification"} <= set(
        detail.split("known kinds: ")[1].rstrip(".").split(", ")
    )
    missing = record(client, auth, live, occurred_at=iso(datetime.now(UTC)))
    assert set(errors(missing)) == {"kind"}  # no silent default: a breach is not a use
    future = record(
        client, auth, live, kind="use", occurred_at=iso(datetime.now(UTC) + timedelta(days=1))
    )
    assert (
        future.status_code == 422 and "Must not be in the future" in errors(future)["occurred_at"]
    )
    assert client.get(f"/api/systems/{live}/events", headers=auth("viewer")).json == []
    assert (
        record(client, auth, live, kind="use", occurred_at=iso(datetime.now(UTC))).status_code
        == 201
    )
    viewer = client.post(
        f"/api/systems/{live}/events",
        json={"kind": "use", "occurred_at": iso(datetime.now(UTC))},
        headers=auth("viewer"),
    )
    assert viewer.status_code == 403


def test_evidence_linked_to_a_use_satisfies_that_use_only(client, auth, live):
    now = datetime.now(UTC)
    first = record(client, auth, live, kind="use", occurred_at=iso(now - timedelta(hours=30)))
    second = record(client, auth, live, kind="use", occurred_at=iso(now - timedelta(hours=2)))
    first_id, second_id = first.json["id"], second.json["id"]

    answer = completeness(client, auth, live)
    duties = {d["event_id"]: d for d in answer["events"] if d["requirement_id"] == AUTHORISATION}
    assert (duties[first_id]["status"], duties[second_id]["status"]) == ("overdue", "open")
    assert answer["event_counts"]["overdue"] >= 1
    row = {r["requirement_id"]: r for r in answer["requirements"]}[AUTHORISATION]
    assert row["status"] == "overdue"

    linked = upload(
        client, auth, system_ids=[live], requirement_ids=[AUTHORISATION], event_id=first_id
    )
    assert linked.status_code == 201, linked.json
    assert linked.json["event_id"] == first_id
    listed = client.get(f"/api/evidence?event_id={first_id}", headers=auth("viewer")).json
    assert [e["id"] for e in listed] == [linked.json["id"]]
    duties = {
        d["event_id"]: d
        for d in completeness(client, auth, live)["events"]
        if d["requirement_id"] == AUTHORISATION
    }
    assert duties[first_id]["status"] == "pending_review"
    assert duties[first_id]["evidence"][0]["id"] == linked.json["id"]
    accepted = client.post(
        f"/api/evidence/{linked.json['id']}/reviews",
        json={"decision": "accepted"},
        headers=auth("dpo"),
    )
    assert accepted.status_code == 201
    answer = completeness(client, auth, live)
    duties = {d["event_id"]: d for d in answer["events"] if d["requirement_id"] == AUTHORISATION}
    assert duties[first_id]["status"] == "satisfied" and duties[first_id]["late"] is True
    assert duties[second_id]["status"] == "open"
    assert {r["requirement_id"]: r for r in answer["requirements"]}[AUTHORISATION][
        "status"
    ] == "missing"  # the second use's deadline still runs
    summary = client.get("/api/completeness", headers=auth("viewer")).json
    assert {s["system_id"]: s["event_counts"] for s in summary}[live] == answer["event_counts"]


def test_evidence_is_linked_only_to_an_event_it_can_answer(client, auth, live, other):
    use = record(client, auth, live, kind="use", occurred_at=iso(datetime.now(UTC))).json["id"]
    breach = record(
        client, auth, live, kind="personal_data_breach", occurred_at=iso(datetime.now(UTC))
    ).json["id"]

    def refused(**metadata) -> dict[str, str]:
        response = upload(client, auth, **metadata)
        assert response.status_code == 422, response.json
        return errors(response)

    assert refused(system_ids=[live], requirement_ids=[AUTHORISATION], event_id=999_999) == {
        "event_id": "No event with id 999999."
    }
    assert refused(system_ids=[other], requirement_ids=[AUTHORISATION], event_id=use) == {
        "event_id": f"Event {use} happened to AI system {live}, which this evidence does not "
        "cover: add it to system_ids."
    }
    assert "not every system" in refused(
        agency_wide="true", requirement_ids=[AUTHORISATION], event_id=use
    ).get("event_id", "")
    wrong_kind = refused(system_ids=[live], requirement_ids=[AUTHORISATION], event_id=breach)
    assert wrong_kind["requirement_ids"].startswith(
        f"Event {breach} is a 'personal_data_breach' event: name a requirement counted from it"
    )
    assert refused(system_ids=[live], requirement_ids=[AUTHORISATION], event_id="0") == {
        "event_id": "Must be an event id from 1 to 2147483647."
    }
