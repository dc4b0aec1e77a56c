"""Schema versions: fresh databases, and upgrading a database made by an earlier version."""

from tracker import db, schema


def test_a_fresh_database_is_built_to_the_latest_version(database_url):
    database = db.bind(database_url)
    with database.connection_context():
        assert schema.status(database).current == 0
        schema.upgrade(database)
        state = schema.status(database)
        assert state.up_to_date and state.current == state.latest >= 2
        assert schema.drift(database) == ""


def test_upgrading_a_version_1_database_keeps_its_data(database_url):
    database = db.bind(database_url)
    with database.connection_context():
        schema.upgrade(database, target=1)
        assert schema.status(database).current == 1
        assert not database.table_exists("evidence")
        # Rows written by version 1 of the code, with plain SQL against the v1 tables.
        param = "%s" if db.is_postgres(database) else "?"
        database.execute_sql(
            f'INSERT INTO "user" (username, full_name, email, role, is_active, created_at) '
            f"VALUES ({param}, '', '', 'legal', {param}, {param})",
            ("legacy-user", True, "2025-01-01 00:00:00"),
        )
        database.execute_sql(
            "INSERT INTO ai_system (name, version, vendor, purpose, authorised_use_cases, "
            "development_approach, lifecycle_stage, risk_level, processes_personal_data, purpose_type, "
            "biometric_identification, ai_act_role, public_facing, units_with_access, data_sharing, "
            "contacts, answers, created_at, updated_at, retired_reason) VALUES "
            f"('Legacy triage', '1', '', 'Sort reports', '[]', 'internal', 'deployment', 'low', {param}, "
            f"'administrative', 'none', 'provider', {param}, '[]', '', '[]', '{{}}', {param}, {param}, '')",
            (False, False, "2025-01-01 00:00:00", "2025-01-01 00:00:00"),
        )

        applied = schema.upgrade(database)

        assert applied == [name for name in applied if not name.startswith("0001")]
        assert schema.status(database).up_to_date
        assert schema.drift(database) == ""
        from tracker.models import AISystem, Evidence, User

        assert User.get(User.username == "legacy-user").role == "legal"
        assert AISystem.get().name == "Legacy triage"
        assert Evidence.select().count() == 0


def test_cli_upgrade_and_status(runner):
    result = runner.tracker("db", "status")
    assert "schema version" in result.output and "pending" not in result.output
    result = runner.tracker("db", "upgrade")
    assert result.exit_code == 0 and "schema version" in result.output


def test_create_app_refuses_an_old_schema(settings):
    import pytest

    from tracker.app import SchemaOutOfDate, create_app

    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database, target=1)
    with pytest.raises(SchemaOutOfDate, match="tracker db upgrade"):
        create_app(settings)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    database = db.bind(f"sqlite:///{tmp_path / 't.db'}")
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
