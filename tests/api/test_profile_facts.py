"""The profile facts real systems need, through the API and the CLI: sets, filters, help."""

from __future__ import annotations

import json

from tests.factories import profile


def test_an_in_house_system_is_provider_and_deployer_and_owes_both(client, auth):
    body = profile(
        biometric_identification="none",
        annex_iii_areas=["law_enforcement"],
        ai_act_roles=["provider", "deployer"],
        development_approach="internal",
        profiling=True,
        people_affected=["suspects", "convicted"],
    )
    created = client.post("/api/systems", json=body, headers=auth("legal"))
    assert created.status_code == 201, created.json
    assert created.json["ai_act_roles"] == ["provider", "deployer"]
    ids = {
        i["requirement_id"]
        for i in client.get(
            f"/api/systems/{created.json['id']}/completeness?as_of=2028-01-01",
            headers=auth("dpo"),
        ).json["requirements"]
    }
    assert {"eu-ai-act.registration_provider", "eu-ai-act.deployer_registration"} <= ids


def test_set_facts_refuse_unknown_and_repeated_values_naming_the_field(client, auth):
    for field, value, rule in (
        ("ai_act_roles", ["importer"], "Must be one of"),
        ("ai_act_roles", ["deployer", "deployer"], "given once"),
        ("people_affected", ["aliens"], "Must be one of"),
        ("annex_iii_areas", ["weather"], "Must be one of"),
        ("countries", ["XX"], "ISO 3166-1"),
        ("countries", ["be"], "ISO 3166-1"),
    ):
        response = client.post(
            "/api/systems", json=profile(**{field: value}), headers=auth("legal")
        )
        assert response.status_code == 422, (field, value)
        errors = response.json["errors"]
        assert errors[0]["field"].startswith(field) and rule in errors[0]["detail"], errors


def test_remote_biometric_identification_is_annex_iii_point_1(client, auth):
    response = client.post("/api/systems", json=profile(annex_iii_areas=[]), headers=auth("legal"))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "annex_iii_areas"
    assert "Annex III point 1" in response.json["errors"][0]["detail"]


def test_systems_are_filtered_by_a_value_of_a_set(client, auth):
    staff = profile(
        name="Rostering",
        biometric_identification="none",
        annex_iii_areas=["employment"],
        people_affected=["staff"],
        purpose_type="administrative",
        countries=["NL"],
    )
    for body in (profile(), staff):
        assert client.post("/api/systems", json=body, headers=auth("legal")).status_code == 201
    for query, names in (
        ("annex_iii_areas=employment", ["Rostering"]),
        ("annex_iii_areas=biometrics", ["Post-event face search"]),
        ("people_affected=staff", ["Rostering"]),
        ("countries=NL", ["Rostering"]),
        ("ai_act_roles=deployer", ["Post-event face search", "Rostering"]),
        ("ai_act_roles=provider", []),
    ):
        found = client.get(f"/api/systems?{query}", headers=auth("viewer")).json
        assert [s["name"] for s in found] == names, query


def test_every_fact_is_listed_with_its_type_values_and_help(client, auth, runner):
    facts = {f["id"]: f for f in client.get("/api/facts", headers=auth("viewer")).json}
    assert facts["ai_act_roles"]["type"] == "set"
    assert set(facts["ai_act_roles"]["values"]) == {"provider", "deployer"}
    assert facts["annex_iii_areas"]["values"]["law_enforcement"].startswith("6.")
    assert facts["public_authority"] == {
        "id": "public_authority",
        "type": "boolean",
        "values": {},
        "help": facts["public_authority"]["help"],
        "source": "profile",
        "default": True,
    }
    assert "Art 37(1)(a)" in facts["public_authority"]["help"]
    assert facts["nis2_in_scope"]["source"] == "question" and facts["nis2_in_scope"]["help"]
    assert all(f["help"] for f in facts.values()), [k for k, f in facts.items() if not f["help"]]
    shown = runner.tracker("facts")
    assert shown.exit_code == 0
    assert "ai_act_roles: set" in shown.output and "    - deployer: Deployer" in shown.output
    as_json = json.loads(runner.tracker("facts", "--format", "json").output)
    assert {f["id"] for f in as_json} == set(facts)
