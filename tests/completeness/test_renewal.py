"""Renewal that sees every change: timestamps, not days; plugin answers; list facts."""

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from tests.completeness.test_engine import evidence, requirement, snapshot, status, system
from tests.factories import profile, upload_form
from tracker.app import create_app
from tracker.completeness.system_reads import _changed_facts
from tracker.db import utcnow
from tracker.models import AISystem, Evidence, EvidenceReview

CHANGE = datetime(2026, 6, 1, 10, 0)


def uploaded(at: datetime, issued_on=None, valid_from=None, **fields):
    """Accepted evidence uploaded at ``at`` (dated ``issued_on``, else ``valid_from``)."""
    fact = evidence(issued_on=issued_on, **fields)
    fact.valid_from, fact.created_at = valid_from, at
    return fact


def judged(fact, fact_name="purpose", changed=CHANGE):
    req = requirement(renew_on_change=(fact_name,))
    return status(req, snapshot(fact), system(last_changed={fact_name: changed})).evidence[0]


def test_a_change_later_the_same_day_makes_the_evidence_stale():
    ref = judged(uploaded(datetime(2026, 6, 1, 9, 0), issued_on=date(2026, 6, 1)))
    assert ref.status == "expired"
    assert ref.note == (
        "stale: purpose changed on 2026-06-01 at 10:00 UTC, "
        "after the evidence was uploaded (2026-06-01 09:00 UTC)"
    )


def test_evidence_uploaded_after_a_same_day_change_is_for_the_new_state():
    ref = judged(uploaded(datetime(2026, 6, 1, 11, 0), issued_on=date(2026, 6, 1)))
    assert ref.status == "satisfied" and ref.note == ""
    undated = judged(uploaded(datetime(2026, 6, 1, 11, 0)))  # dated by its upload
    assert undated.status == "satisfied"


def test_an_old_document_uploaded_after_the_change_is_stale():
    ref = judged(uploaded(datetime(2026, 6, 2, 9, 0), issued_on=date(2026, 1, 10)))
    assert ref.status == "expired"
    assert ref.note == (
        "stale: purpose changed on 2026-06-01 at 10:00 UTC, after the evidence's date (2026-01-10)"
    )


def test_evidence_uploaded_before_the_change_is_stale_whatever_date_it_bears():
    future = uploaded(datetime(2026, 5, 20, 9, 0), valid_from=date(2026, 6, 15))
    ref = judged(future)
    assert ref.status == "expired" and "after the evidence was uploaded (2026-05-20" in ref.note


def test_a_changed_plugin_answer_makes_evidence_stale():
    ref = judged(uploaded(datetime(2026, 5, 2, 9, 0), issued_on=date(2026, 5, 2)), "nis2_in_scope")
    assert ref.status == "expired" and ref.note.startswith(
        "stale: nis2_in_scope changed on 2026-06-01 at 10:00 UTC"
    )


def test_a_changed_list_fact_makes_evidence_stale():
    ref = judged(uploaded(datetime(2026, 5, 2, 9, 0), issued_on=date(2026, 5, 2)), "ai_act_roles")
    assert ref.status == "expired" and ref.note.startswith("stale: ai_act_roles changed on")


def test_a_change_of_a_fact_not_watched_changes_nothing():
    req = requirement(renew_on_change=("purpose",))
    fact = uploaded(datetime(2026, 5, 2, 9, 0), issued_on=date(2026, 5, 2))
    changed = system(last_changed={"risk_level": CHANGE, "nis2_in_scope": CHANGE})
    assert status(req, snapshot(fact), changed).status == "satisfied"


# Which facts one audited update changed


def test_each_changed_answer_is_its_own_fact():
    before = {"answers": {"nis2_in_scope": False, "other_q": "a"}}
    after = {"answers": {"nis2_in_scope": True, "other_q": "a"}}
    assert _changed_facts(before, after, {}) == ["nis2_in_scope"]
    assert _changed_facts({"answers": {}}, {"answers": {"new_q": "b"}}, {"new_q": "a"}) == ["new_q"]


def test_answering_a_question_with_its_default_changes_nothing():
    defaults = {"nis2_in_scope": False}
    assert _changed_facts({"answers": {}}, {"answers": {"nis2_in_scope": False}}, defaults) == []
    assert _changed_facts({"answers": None}, {"answers": {"nis2_in_scope": True}}, defaults) == [
        "nis2_in_scope"
    ]


def test_list_facts_compare_as_sets():
    reordered = _changed_facts(
        {"ai_act_roles": ["provider", "deployer"]},
        {"ai_act_roles": ["deployer", "provider"]},
        {},
    )
    assert reordered == []
    assert _changed_facts(
        {"ai_act_roles": ["provider", "deployer"], "purpose": "a"},
        {"ai_act_roles": ["deployer"], "purpose": "b"},
        {},
    ) == ["ai_act_roles", "purpose"]


# Through the API, with an installed plugin whose requirement renews on its question

REGISTER = "ruritania.register_entry"
QUESTION = "ruritania_national_database"


@pytest.fixture
def client(install_plugin, settings, migrated):
    """The app with the example plugin; its register entry renews when the plugin's question
    or the AI Act roles change."""
    install_plugin("example_jurisdiction")
    app = create_app(settings)
    catalogue = app.extensions["tracker"].catalogue
    catalogue.requirements[REGISTER] = dataclasses.replace(
        catalogue.requirements[REGISTER], renew_on_change=(QUESTION, "ai_act_roles")
    )
    return app.test_client()


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def backdate(model, row_id, field, days_ago):
    model.update({field: utcnow() - timedelta(days=days_ago)}).where(model.id == row_id).execute()


@pytest.fixture
def system_id(client, auth):
    body = profile(jurisdictions=["ruritania"], ai_act_roles=["provider", "deployer"])
    return client.post("/api/systems", json=body, headers=auth("legal")).json["id"]


def upload(client, auth, system_id, valid_from):
    form = upload_form(
        system_ids=[system_id],
        requirement_ids=[REGISTER],
        kind="registration",
        title="Register entry",
        valid_from=valid_from,
        valid_until=day(300),
    )
    response = client.post(
        "/api/evidence", data=form, headers=auth("legal"), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def accept(client, auth, evidence_id):
    response = client.post(
        f"/api/evidence/{evidence_id}/reviews", json={"decision": "accepted"}, headers=auth("dpo")
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def item_of(client, auth, system_id, as_of=None):
    query = f"?as_of={as_of}" if as_of else ""
    body = client.get(f"/api/systems/{system_id}/completeness{query}", headers=auth("viewer"))
    return {i["requirement_id"]: i for i in body.json["requirements"]}[REGISTER]


def change(client, auth, system_id, **fields):
    response = client.patch(f"/api/systems/{system_id}", json=fields, headers=auth("legal"))
    assert response.status_code == 200, response.json


def test_a_changed_answer_makes_accepted_evidence_stale_and_replay_keeps_the_past(
    client, auth, system_id
):
    backdate(AISystem, system_id, "created_at", 30)
    evidence_id = upload(client, auth, system_id, valid_from=day(-30))
    backdate(Evidence, evidence_id, "created_at", 20)
    backdate(EvidenceReview, accept(client, auth, evidence_id), "decided_at", 10)
    assert item_of(client, auth, system_id)["status"] == "satisfied"

    change(client, auth, system_id, answers={QUESTION: False})  # its default: no change
    assert item_of(client, auth, system_id)["status"] == "satisfied"
    change(client, auth, system_id, ai_act_roles=["deployer", "provider"])  # reordered only
    assert item_of(client, auth, system_id)["status"] == "satisfied"

    change(client, auth, system_id, answers={QUESTION: True})
    item = item_of(client, auth, system_id)
    assert item["status"] == "expired"
    assert item["evidence"][0]["note"].startswith(
        f"stale: {QUESTION} changed on {date.today().isoformat()} at "
    )
    assert item["evidence"][0]["note"].endswith(f"after the evidence's date ({day(-30)})")
    # The day before the change, the same evidence was good.
    assert item_of(client, auth, system_id, as_of=day(-1))["status"] == "satisfied"


def test_a_same_day_change_after_upload_is_seen_and_new_evidence_is_not_stale(
    client, auth, system_id
):
    before_change = upload(client, auth, system_id, valid_from=day(0))
    change(client, auth, system_id, ai_act_roles=["deployer"])
    accept(client, auth, before_change)  # accepting it after the change does not renew it
    item = item_of(client, auth, system_id)
    assert item["status"] == "expired"
    assert item["evidence"][0]["note"].startswith(
        f"stale: ai_act_roles changed on {date.today().isoformat()} at "
    )
    assert "after the evidence was uploaded" in item["evidence"][0]["note"]

    after_change = upload(client, auth, system_id, valid_from=day(0))
    accept(client, auth, after_change)
    item = item_of(client, auth, system_id)
    assert item["status"] == "satisfied"
    fresh = {ref["id"]: ref for ref in item["evidence"]}[after_change]
    assert fresh["status"] == "satisfied" and fresh["note"] == ""
