"""Completeness through the API: each action moves the status as the product describes."""

import csv
import io
from datetime import date, timedelta

import pytest

from tests.factories import profile, upload_form
from tracker.models import AuditEvent, EvidenceReview

TODAY = date.today()
DPIA = "eu-led.dpia"


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def system_id(client, auth):
    body = profile(lifecycle_stage="testing", jurisdictions=["toolkit", "eu-led", "eu-ai-act"])
    return client.post("/api/systems", json=body, headers=auth("legal")).json["id"]


@pytest.fixture
def item_of(client, auth, system_id):
    def item_of(requirement_id, as_of=None, role="viewer"):
        query = f"?as_of={as_of}" if as_of else ""
        body = client.get(f"/api/systems/{system_id}/completeness{query}", headers=auth(role)).json
        return {i["requirement_id"]: i for i in body["requirements"]}[requirement_id]

    return item_of


def upload_dpia(client, auth, system_id, valid_until, valid_from=None):
    form = upload_form(
        system_ids=[system_id],
        requirement_ids=[DPIA],
        valid_from=valid_from or day(-10),
        valid_until=valid_until,
    )
    response = client.post(
        "/api/evidence", data=form, headers=auth("legal"), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.json
    return response.json


def test_upload_accept_expire_and_replay(client, auth, system_id, item_of):
    assert item_of(DPIA)["status"] == "missing"
    item = upload_dpia(client, auth, system_id, valid_until=day(200))
    assert item_of(DPIA)["status"] == "pending_review"
    assert [e["id"] for e in client.get("/api/reviews/queue", headers=auth("dpo")).json] == [
        item["id"]
    ]

    accepted = client.post(
        f"/api/evidence/{item['id']}/reviews", json={"decision": "accepted"}, headers=auth("dpo")
    )
    assert accepted.status_code == 201
    assert accepted.json["approved_hashes"] == [f["sha256"] for f in item["files"]]
    now = item_of(DPIA)
    assert now["status"] == "satisfied" and now["evidence"][0]["id"] == item["id"]
    assert (
        item_of("toolkit.dpia")["status"] == "satisfied"
    )  # the LED DPIA also serves the toolkit item
    assert client.get("/api/reviews/queue", headers=auth("dpo")).json == []

    assert item_of(DPIA, as_of=day(190))["status"] == "expiring_soon"
    assert item_of(DPIA, as_of=day(201))["status"] == "expired"


def test_rejection_needs_a_reason_and_counts_as_rejected(client, auth, system_id, item_of):
    item = upload_dpia(client, auth, system_id, valid_until=day(200))
    no_reason = client.post(
        f"/api/evidence/{item['id']}/reviews", json={"decision": "rejected"}, headers=auth("dpo")
    )
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    rejected = client.post(
        f"/api/evidence/{item['id']}/reviews",
        headers=auth("dpo"),
        json={"decision": "rejected", "reason": "Covers the pilot only, not the roll-out."},
    )
    assert rejected.status_code == 201 and rejected.json["approved_hashes"] == []
    assert item_of(DPIA)["status"] == "rejected"
    assert (
        AuditEvent.get(AuditEvent.action == "evidence.rejected")
        .after["reason"]
        .startswith("Covers the pilot")
    )


def test_nobody_reviews_their_own_upload_and_only_the_newest_version(client, auth, system_id):
    form = upload_form(system_ids=[system_id], requirement_ids=[DPIA])
    own = client.post(
        "/api/evidence", data=form, headers=auth("dpo"), content_type="multipart/form-data"
    ).json
    refused = client.post(
        f"/api/evidence/{own['id']}/reviews", json={"decision": "accepted"}, headers=auth("dpo")
    )
    assert refused.status_code == 409 and "cannot also review it" in refused.json["detail"]
    newer = client.post(
        f"/api/evidence/{own['id']}/versions",
        data={"title": "DPIA v2"},
        headers=auth("legal"),
        content_type="multipart/form-data",
    )
    assert newer.status_code == 201
    stale = client.post(
        f"/api/evidence/{own['id']}/reviews", json={"decision": "accepted"}, headers=auth("dpo")
    )
    assert stale.status_code == 409 and "superseded" in stale.json["detail"]
    assert EvidenceReview.select().count() == 0


def test_a_waiver_needs_another_dpo_and_shows_as_waived(client, auth, tokens, system_id, item_of):
    from tracker import accounts

    second_dpo = accounts.issue_token(accounts.create_user("dpo-two", "dpo", "test"), "t", "test")[
        1
    ]
    request = {
        "system_id": system_id,
        "requirement_id": DPIA,
        "expires_on": day(90),
        "justification": "Pilot limited to 20 volunteers; DPIA due before the roll-out.",
    }
    for bad, field in (
        ({"justification": "because"}, "justification"),
        ({"expires_on": day(0)}, "expires_on"),
        ({"requirement_id": "eu-led.nope"}, "requirement_id"),
    ):
        response = client.post("/api/waivers", json={**request, **bad}, headers=auth("dpo"))
        assert response.status_code == 422 and response.json["errors"][0]["field"] == field
    waiver = client.post("/api/waivers", json=request, headers=auth("dpo")).json
    assert waiver["state"] == "requested" and item_of(DPIA)["status"] == "missing"
    assert (
        client.post("/api/waivers", json=request, headers=auth("legal")).status_code == 409
    )  # one at a time

    own = client.post(f"/api/waivers/{waiver['id']}/approve", json={}, headers=auth("dpo"))
    assert own.status_code == 409 and "another DPO" in own.json["detail"]
    approved = client.post(
        f"/api/waivers/{waiver['id']}/approve",
        json={"note": "ok for the pilot"},
        headers={"Authorization": f"Bearer {second_dpo}"},
    )
    assert approved.status_code == 200 and approved.json["decided_by"] == "dpo-two"
    waived = item_of(DPIA)
    assert (
        waived["status"] == "waived"
        and waived["waiver_id"] == waiver["id"]
        and not waived["blocking"]
    )
    assert item_of(DPIA, as_of=day(91))["status"] == "missing"  # the waiver has lapsed by then
    body = client.get(f"/api/systems/{system_id}/completeness", headers=auth("viewer")).json
    assert DPIA not in body["blocking"]

    revoked = client.post(
        f"/api/waivers/{waiver['id']}/revoke",
        json={},
        headers={"Authorization": f"Bearer {second_dpo}"},
    )
    assert revoked.json["state"] == "revoked"
    assert item_of(DPIA)["status"] == "missing"
    actions = [
        e.action
        for e in AuditEvent.select()
        .where(AuditEvent.entity_type == "waiver")
        .order_by(AuditEvent.id)
    ]
    assert actions == ["waiver.requested", "waiver.approved", "waiver.revoked"]


def test_readiness_names_the_blocking_items(client, auth, system_id):
    body = client.get(f"/api/systems/{system_id}/completeness", headers=auth("viewer")).json
    assert body["next_stage"] == "deployment" and body["ready_for_next_stage"] is False
    assert DPIA in body["blocking"]
    assert any(reason.startswith(f"{DPIA} (") for reason in body["reasons"])
    assert set(body["frameworks"]) == {"toolkit", "eu-led", "eu-ai-act"}


def backdate(model, row_id, field, days_ago):
    from tracker.db import utcnow

    model.update({field: utcnow() - timedelta(days=days_ago)}).where(model.id == row_id).execute()


def test_replaying_a_past_date_gives_the_answer_true_then(client, auth, system_id, item_of):
    from tracker.models import AISystem, Evidence

    backdate(AISystem, system_id, "created_at", 30)
    item = upload_dpia(client, auth, system_id, valid_until=day(300), valid_from=day(-30))
    backdate(Evidence, item["id"], "created_at", 20)
    review = client.post(
        f"/api/evidence/{item['id']}/reviews", json={"decision": "accepted"}, headers=auth("dpo")
    ).json
    backdate(EvidenceReview, review["id"], "decided_at", 10)
    assert item_of(DPIA, as_of=day(-25))["status"] == "missing"
    assert item_of(DPIA, as_of=day(-15))["status"] == "pending_review"
    assert item_of(DPIA, as_of=day(-5))["status"] == "satisfied"
    assert (
        client.get(
            f"/api/systems/{system_id}/completeness?as_of={day(-31)}", headers=auth("viewer")
        ).status_code
        == 404
    )

    # Today the system becomes low-risk and non-biometric: no DPIA applies any more ...
    client.patch(
        f"/api/systems/{system_id}",
        json={"risk_level": "low", "biometric_identification": "none"},
        headers=auth("legal"),
    )
    now = client.get(f"/api/systems/{system_id}/completeness", headers=auth("viewer")).json
    assert DPIA not in {i["requirement_id"] for i in now["requirements"]}
    # ... but yesterday's answer is rebuilt from the audit trail's record of the change.
    assert item_of(DPIA, as_of=day(-1))["status"] == "satisfied"


def test_csv_and_portfolio(client, auth, system_id):
    csv_text = client.get(f"/api/systems/{system_id}/completeness.csv", headers=auth("viewer"))
    assert csv_text.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_text.get_data(as_text=True))))
    assert {"requirement_id", "status", "blocking", "citation", "verification"} <= set(rows[0])
    assert any(r["requirement_id"] == DPIA and r["status"] == "missing" for r in rows)

    portfolio = client.get("/api/completeness", headers=auth("viewer")).json
    assert [p["system_id"] for p in portfolio] == [system_id] and "requirements" not in portfolio[0]
    assert client.get("/api/completeness?ready=true", headers=auth("viewer")).json == []
    table = client.get("/api/completeness.csv", headers=auth("viewer")).get_data(as_text=True)
    header = next(csv.reader(io.StringIO(table)))
    assert {"overall_percent", "eu-led_percent", "missing", "ready"} <= set(header)
    assert (
        client.get("/api/completeness?as_of=yesterday", headers=auth("viewer")).status_code == 422
    )


def test_catalogue_browsing(client, auth):
    led = client.get(
        "/api/requirements?framework=eu-led&page_size=100", headers=auth("viewer")
    ).json
    assert {r["id"] for r in led} >= {DPIA, "eu-led.logging"}
    one = client.get(f"/api/requirements/{DPIA}", headers=auth("viewer")).json
    assert one["citation"]["article"] == "Art 27(1)-(2)" and one["citation"]["verification"] == "V"
    assert one["citation"]["verification_meaning"] == "checked against the full legal text"
    assert client.get("/api/requirements/eu-led.nope", headers=auth("viewer")).status_code == 404
    searched = client.get("/api/requirements?q=fundamental rights", headers=auth("viewer")).json
    assert "eu-ai-act.fria" in {r["id"] for r in searched}
    jurisdictions = {
        j["id"]: j for j in client.get("/api/jurisdictions", headers=auth("viewer")).json
    }
    assert jurisdictions["eu-led"]["enabled"] and jurisdictions["eu-led"]["requirement_count"] >= 10
    plugins = client.get("/api/plugins", headers=auth("viewer")).json
    assert {p["name"] for p in plugins} >= {"toolkit", "eu-led"} and all(
        p["problems"] == [] for p in plugins
    )
    questions = {q["id"] for q in client.get("/api/profile-questions", headers=auth("viewer")).json}
    assert "nis2_in_scope" in questions


def test_plugin_answers_are_validated(client, auth, system_id):
    bad = client.patch(
        f"/api/systems/{system_id}",
        json={"answers": {"nis2_in_scope": "perhaps"}},
        headers=auth("legal"),
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "answers.nis2_in_scope"
    ok = client.patch(
        f"/api/systems/{system_id}",
        json={"answers": {"nis2_in_scope": True}},
        headers=auth("legal"),
    )
    assert ok.status_code == 200
    unknown = client.patch(
        f"/api/systems/{system_id}", json={"jurisdictions": ["atlantis"]}, headers=auth("legal")
    )
    assert (
        unknown.status_code == 422
        and "Not an enabled jurisdiction: atlantis" in unknown.json["detail"]
    )


def test_each_answer_is_already_what_its_schema_dumps(client, demo_agency, auth):
    """Answers are sent as the engine's export gives them, without a second pass through
    CompletenessOut or CompletenessSummaryOut: that holds only while the export is exactly the
    schema's dump, which every demo system, today and a year ago, and the portfolio check."""
    from tracker.api.schemas import CompletenessOut, CompletenessSummaryOut
    from tracker.models import AISystem

    ids = [system.id for system in AISystem.select(AISystem.id)]
    assert len(ids) >= 5
    for system_id in ids:
        for query in ("", f"?as_of={day(-365)}"):
            response = client.get(
                f"/api/systems/{system_id}/completeness{query}", headers=auth("viewer")
            )
            if response.status_code == 404:  # not registered a year ago
                continue
            assert response.status_code == 200, response.json
            assert CompletenessOut().dump(response.json) == response.json
    for query in ("", f"&as_of={day(-30)}"):
        response = client.get(f"/api/completeness?page_size=100{query}", headers=auth("viewer"))
        assert response.status_code == 200 and len(response.json) >= 5, response.json
        assert CompletenessSummaryOut(many=True).dump(response.json) == response.json
        assert '"total"' in response.headers["X-Pagination"]


def test_todays_answer_is_sent_as_kept_while_current_and_computed_otherwise(
    app, client, auth, system_id
):
    """The kept answer is what is sent while it is current (a doctored one shows it is read);
    a write to the system makes it stale, and the answer is computed again, exactly as Flask's
    jsonify wrote it. Other dates are always computed."""
    import zlib

    from flask import jsonify

    from tracker import completeness
    from tracker.completeness.export import system_dict
    from tracker.models import KeptAnswer
    from tracker.portfolio import answers
    from tracker.runtime import runtime

    url = f"/api/systems/{system_id}/completeness"
    computed = client.get(url, headers=auth("viewer"))
    assert computed.status_code == 200 and computed.mimetype == "application/json"
    with app.app_context():
        result = completeness.for_system(system_id, TODAY, runtime().catalogue)
        assert computed.data == jsonify(system_dict(result)).data
        assert answers.refresh(TODAY, runtime().catalogue) >= 1
    assert client.get(url, headers=auth("viewer")).data == computed.data  # the kept one
    doctored = b'{"doctored":true}\n'
    KeptAnswer.update(body=zlib.compress(doctored)).where(
        KeptAnswer.system_id == system_id
    ).execute()
    assert client.get(url, headers=auth("viewer")).data == doctored
    assert client.get(f"{url}?as_of={TODAY}", headers=auth("viewer")).data == doctored
    # registered today: yesterday's answer is computed, and says so
    assert client.get(f"{url}?as_of={day(-1)}", headers=auth("viewer")).status_code == 404
    changed = client.patch(
        f"/api/systems/{system_id}", json={"lifecycle_stage": "deployment"}, headers=auth("legal")
    )
    assert changed.status_code == 200, changed.json
    after = client.get(url, headers=auth("viewer"))
    assert after.status_code == 200 and after.json["lifecycle_stage"] == "deployment"
