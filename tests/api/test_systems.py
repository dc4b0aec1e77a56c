"""The AI system register through the API."""

import pytest

from tests.factories import profile
from tracker.models import AISystem, AuditEvent


@pytest.fixture
def create(client, auth):
    def create(**overrides):
        response = client.post("/api/systems", json=profile(**overrides), headers=auth("legal"))
        assert response.status_code == 201, response.json
        return response.json

    return create


def test_register_and_read_a_system(client, auth, create):
    created = create()
    fetched = client.get(f"/api/systems/{created['id']}", headers=auth("viewer")).json
    assert fetched == created
    assert fetched["biometric_identification"] == "post_event"
    assert fetched["contacts"][0]["email"] == "ana.duarte@police.example"
    assert fetched["retired_at"] is None


def test_every_change_is_audited_with_before_and_after(client, auth, create):
    system = create()
    client.patch(f"/api/systems/{system['id']}", json={"risk_level": "medium"}, headers=auth("dpo"))
    events = list(
        AuditEvent.select().where(AuditEvent.entity_type == "ai_system").order_by(AuditEvent.id)
    )
    assert [e.action for e in events] == ["system.created", "system.updated"]
    assert events[1].actor == "dpo-user"
    assert events[1].before == {"risk_level": "high"} and events[1].after == {
        "risk_level": "medium"
    }


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"name": ""}, "name", "Length must be between 1 and 200."),
        ({"risk_level": "extreme"}, "risk_level", "Must be one of: low, medium, high."),
        ({"lifecycle_stage": "beta"}, "lifecycle_stage", "Must be one of"),
        ({"purpose_type": None}, "purpose_type", "Field may not be null."),
        (
            {"contacts": [{"name": "X", "email": "not-an-address"}]},
            "contacts.0.email",
            "Not a valid email address.",
        ),
        ({"processes_personal_data": False}, "processes_personal_data", "processes personal data"),
        ({"answers": {"eu.unknown": True}}, "answers.eu.unknown", "Unknown profile question"),
    ],
)
def test_invalid_profiles_get_a_problem_naming_the_field(client, auth, change, field, rule):
    response = client.post("/api/systems", json=profile(**change), headers=auth("legal"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == 422 and body["title"] == "Invalid input"
    matching = [e for e in body["errors"] if e["field"] == field]
    assert matching, body["errors"]
    assert rule in matching[0]["detail"]
    assert matching[0]["pointer"].startswith("#/" + field.split(".")[0])
    assert AISystem.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.entity_type == "ai_system").count() == 0


def test_missing_required_fields_are_each_named(client, auth):
    response = client.post("/api/systems", json={"name": "Bare"}, headers=auth("legal"))
    fields = {e["field"] for e in response.json["errors"]}
    assert {
        "purpose",
        "development_approach",
        "lifecycle_stage",
        "risk_level",
        "processes_personal_data",
        "purpose_type",
        "ai_act_roles",
    } <= fields


def test_a_partial_update_must_leave_a_valid_profile(client, auth, create):
    system = create()
    response = client.patch(
        f"/api/systems/{system['id']}",
        json={"processes_personal_data": False},
        headers=auth("legal"),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "processes_personal_data"
    assert AISystem.get_by_id(system["id"]).processes_personal_data is True


def test_list_filters_and_paginates(client, auth, create):
    for number in range(5):
        create(name=f"System {number}", risk_level="low" if number % 2 else "high")
    response = client.get("/api/systems?risk_level=low", headers=auth("viewer"))
    assert [s["name"] for s in response.json] == ["System 1", "System 3"]
    page = client.get("/api/systems?page=2&page_size=2", headers=auth("viewer"))
    assert [s["name"] for s in page.json] == ["System 2", "System 3"]
    assert '"total": 5' in page.headers["X-Pagination"]
    searched = client.get("/api/systems?q=system 4", headers=auth("viewer")).json
    assert [s["name"] for s in searched] == ["System 4"]


def test_bad_filters_are_refused_by_name(client, auth):
    for query, field in (
        ("risk_level=purple", "risk_level"),
        ("page_size=0", "page_size"),
        ("page=x", "page"),
    ):
        response = client.get(f"/api/systems?{query}", headers=auth("viewer"))
        assert response.status_code == 422
        assert [(e["field"], e["in"]) for e in response.json["errors"]] == [(field, "query")]


def test_retire_keeps_the_system_and_its_history(client, auth, create):
    system = create()
    refused = client.post(
        f"/api/systems/{system['id']}/retire", json={"reason": ""}, headers=auth("legal")
    )
    assert refused.status_code == 422
    retired = client.post(
        f"/api/systems/{system['id']}/retire",
        json={"reason": "Contract ended"},
        headers=auth("legal"),
    )
    assert retired.status_code == 200 and retired.json["retired_at"]
    assert client.get("/api/systems", headers=auth("viewer")).json == []
    listed = client.get("/api/systems?include_retired=true", headers=auth("viewer")).json
    assert [s["id"] for s in listed] == [system["id"]]
    again = client.post(
        f"/api/systems/{system['id']}/retire", json={"reason": "x"}, headers=auth("legal")
    )
    assert again.status_code == 409
    frozen = client.patch(
        f"/api/systems/{system['id']}", json={"name": "New"}, headers=auth("legal")
    )
    assert frozen.status_code == 409
    assert client.delete(f"/api/systems/{system['id']}", headers=auth("admin")).status_code == 405


def test_unknown_system_is_a_404_problem(client, auth):
    response = client.get("/api/systems/999", headers=auth("viewer"))
    assert response.status_code == 404
    assert response.json["detail"] == "AI system 999 does not exist"


def test_operators_can_be_listed_and_changed(client, auth, create):
    system = create()
    url = f"/api/systems/{system['id']}/operators"
    added = client.post(
        url,
        json={"name": "Bea Kovacs", "email": "bea@police.example", "unit": "Forensics"},
        headers=auth("legal"),
    )
    assert added.status_code == 201
    duplicate = client.post(
        url, json={"name": "B. K.", "email": "BEA@police.example"}, headers=auth("legal")
    )
    assert duplicate.status_code == 422 and duplicate.json["errors"][0]["field"] == "email"
    bad = client.post(url, json={"name": "", "email": "nope"}, headers=auth("legal"))
    assert {e["field"] for e in bad.json["errors"]} == {"name", "email"}

    operator = f"{url}/{added.json['id']}"
    changed = client.patch(operator, json={"unit": "Serious crime"}, headers=auth("dpo"))
    assert changed.json["unit"] == "Serious crime"
    removed = client.delete(operator, headers=auth("legal"))
    assert removed.status_code == 200 and removed.json["removed_at"]
    assert client.get(url, headers=auth("viewer")).json == []
    history = client.get(f"{url}?include_removed=true", headers=auth("viewer")).json
    assert [o["email"] for o in history] == ["bea@police.example"]
    assert (
        client.get(f"/api/systems/{system['id']}/operators/999", headers=auth("viewer")).status_code
        == 404
    )


def test_pointers_follow_json_pointer_escaping(client, auth):
    response = client.post(
        "/api/systems", json=profile(answers={"a/b.c": 1}), headers=auth("legal")
    )
    assert response.json["errors"][0]["pointer"] == "#/answers/a~1b.c"


@pytest.mark.parametrize(
    "path",
    [
        "/api/systems/{n}",
        "/api/systems/{n}/completeness",
        "/api/evidence/{n}",
        "/api/waivers/{n}",
        "/api/users/{n}/tokens",
    ],
)
def test_ids_no_row_can_have_are_not_found_not_server_errors(client, auth, path):
    for n in (2**31, 2**63, 10**30):
        response = client.get(path.format(n=n), headers=auth("admin"))
        assert response.status_code == 404, (path, n, response.json)
        assert response.mimetype == "application/problem+json"
