"""Schema version 6: the profile facts real systems need.

The single AI Act role becomes a set (an in-house system's agency is provider and deployer), and
profiling, the people affected, the Annex III areas, whether the controller is a public authority
and the countries a system is used in become facts of their own. Each system keeps its meaning
(tracker.profile.upgrade_legacy_facts) and the change is written to the audit trail as
``system.migrated``, so that replaying a date before the upgrade reads the old facts there.
"""

import json

import peewee as pw
from playhouse.migrate import migrate

NEW_COLUMNS = {
    "ai_act_roles": pw.JSONField(null=True),
    "profiling": pw.BooleanField(default=False),
    "people_affected": pw.JSONField(null=True),
    "annex_iii_areas": pw.JSONField(null=True),
    "public_authority": pw.BooleanField(default=True),
    "countries": pw.JSONField(null=True),
}


def up(migrator, db):
    from tracker import audit
    from tracker.profile import upgrade_legacy_facts

    migrate(*(migrator.add_column("ai_system", name, f) for name, f in NEW_COLUMNS.items()))
    rows = db.execute_sql(
        "SELECT id, ai_act_role, biometric_identification, answers FROM ai_system ORDER BY id"
    ).fetchall()
    for system_id, role, biometric, answers in rows:
        answers = json.loads(answers) if isinstance(answers, str) else (answers or {})
        old = {"ai_act_role": role, "biometric_identification": biometric, "answers": answers}
        new = upgrade_legacy_facts(dict(old, answers=dict(answers)))
        new.pop("biometric_identification")
        new.setdefault("annex_iii_areas", [])
        new.setdefault("profiling", False)
        db.execute_sql(
            "UPDATE ai_system SET ai_act_roles = ?, annex_iii_areas = ?, profiling = ?, "
            "answers = ?, people_affected = '[]', countries = '[]', public_authority = ? "
            "WHERE id = ?".replace("?", db.param),
            (
                json.dumps(new["ai_act_roles"]),
                json.dumps(new["annex_iii_areas"]),
                new["profiling"],
                json.dumps(new["answers"]),
                True,
                system_id,
            ),
        )
        changed = {key: value for key, value in new.items() if old.get(key) != value}
        audit.record(
            "schema upgrade 6",
            "system.migrated",
            "ai_system",
            system_id,
            before={"ai_act_role": role, "answers": answers},
            after={**changed, "people_affected": [], "countries": [], "public_authority": True},
        )
    db.execute_sql(
        "UPDATE ai_system SET ai_act_roles = '[]', annex_iii_areas = '[]', "
        "people_affected = '[]', countries = '[]' WHERE ai_act_roles IS NULL"
    )
    migrate(
        *(
            migrator.add_not_null("ai_system", name)
            for name in ("ai_act_roles", "people_affected", "annex_iii_areas", "countries")
        ),
        migrator.drop_column("ai_system", "ai_act_role"),
    )
