"""Schema 6: an existing database upgrades to the new profile facts and keeps its answers.

``tests/data/schema5_answers.json`` holds six systems as schema 5 stored them, the requirements
the code of schema 5 found applicable to each on 1 January 2028, and that code's catalogue rules
(all recorded by running that code). After the upgrade every system answers the same for every
requirement of that catalogue, except the one change the new facts exist to make (a provider
that also deploys now owes the deployer's registration) and the rules this change corrected on
purpose. Requirements added since are new duties, not changed answers.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from tests.conftest import DEPLOYMENT
from tracker import completeness, db, schema
from tracker.models import AISystem, AuditEvent
from tracker.plugin_host import load_catalogue

RECORDED = json.loads((Path(__file__).parent / "data" / "schema5_answers.json").read_text())
DAY = date(2028, 1, 1)
# What schema 5 could not express: an in-house system's agency is provider and deployer.
GAINED_BY_PROVIDERS = {"eu-ai-act.deployer_registration"}
# Rules corrected in the same change, each a different answer on purpose: LED Art 11 keys off
# profiling (not the risk level); Art 26(10) post-remote RBI is law-enforcement use only.
CORRECTED = {
    "eu-led.adm",
    "eu-ai-act.post_rbi_authorisation",
    "eu-ai-act.post_rbi_police_file",
    "eu-ai-act.post_rbi_annual_report",
}


def insert_schema5_system(database, data: dict) -> None:
    param = "%s" if db.is_postgres(database) else "?"
    columns = (
        "name, version, vendor, usage_description, personal_data_handling, published, "
        "purpose, authorised_use_cases, development_approach, lifecycle_stage, risk_level, "
        "processes_personal_data, purpose_type, biometric_identification, ai_act_role, "
        "public_facing, units_with_access, data_sharing, contacts, answers, jurisdictions, "
        "publication, created_at, updated_at, retired_reason"
    )
    values = (
        data["name"],
        "1",
        "",
        "",
        "",
        False,
        data["purpose"],
        "[]",
        data["development_approach"],
        data["lifecycle_stage"],
        data["risk_level"],
        data["processes_personal_data"],
        data["purpose_type"],
        data["biometric_identification"],
        data["ai_act_role"],
        data["public_facing"],
        "[]",
        "",
        "[]",
        json.dumps(data.get("answers", {})),
        json.dumps(data["jurisdictions"]),
        "{}",
        datetime(2026, 1, 1),
        datetime(2026, 1, 1),
        "",
    )
    placeholders = ", ".join([param] * len(values))
    database.execute_sql(f"INSERT INTO ai_system ({columns}) VALUES ({placeholders})", values)


def test_an_upgraded_database_keeps_its_answers(settings):
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database, target=5)
        for data in RECORDED["cases"].values():
            insert_schema5_system(database, data)
        schema.upgrade(database)
        assert schema.drift(database) == ""
        catalogue = load_catalogue(deployment=DEPLOYMENT)
        # Requirements schema 5's catalogue had whose rule this change corrected on purpose.
        kept = set(RECORDED["catalogue_rules"]) - CORRECTED
        for key, data in RECORDED["cases"].items():
            system = AISystem.get(AISystem.name == data["name"])
            now = {
                i.requirement_id for i in completeness.for_system(system.id, DAY, catalogue).items
            }
            before = set(RECORDED["applicable_on_2028_01_01"][key])
            gained = GAINED_BY_PROVIDERS if data["ai_act_role"] == "provider" else set()
            assert now & kept == (before & kept) | gained, key
        # The meaning each kept, in the new facts.
        by_name = {s.name: s for s in AISystem.select()}
        assert by_name["b"].ai_act_roles == ["provider", "deployer"]
        assert (by_name["b"].annex_iii_areas, by_name["b"].profiling) == (
            ["law_enforcement"],
            False,
        )
        assert (by_name["c"].annex_iii_areas, by_name["c"].profiling) == (["law_enforcement"], True)
        assert by_name["d"].annex_iii_areas == ["biometrics"] and by_name["d"].answers == {}
        assert by_name["a"].annex_iii_areas == ["biometrics"]
        assert by_name["e"].annex_iii_areas == [] and by_name["e"].public_authority is True
        # Recorded in the audit trail, which still verifies.
        migrated = AuditEvent.select().where(AuditEvent.action == "system.migrated")
        assert migrated.count() == len(RECORDED["cases"])
        from tracker import audit

        assert audit.verify().ok


def test_replaying_a_date_before_the_upgrade_reads_the_old_facts(settings):
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database, target=5)
        insert_schema5_system(database, RECORDED["cases"]["provider_profiling"])
        schema.upgrade(database)
        system = AISystem.get()
        catalogue = load_catalogue(deployment=DEPLOYMENT)
        # The upgrade's audit event is dated today; a date before it is replayed from the
        # facts as schema 5 stored them, translated the same way the upgrade translated them.
        snapshot = completeness.load_snapshot(date(2026, 6, 1), catalogue, [system.id])
        profile = snapshot.systems[0].profile
        assert tuple(profile["ai_act_roles"]) == ("provider", "deployer")
        assert tuple(profile["annex_iii_areas"]) == ("law_enforcement",)
        # The upgrade changed no fact: nothing it touched counts as changed for renewal.
        assert "ai_act_roles" not in snapshot.systems[0].last_changed
