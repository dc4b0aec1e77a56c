"""The demo agency a test gets from ``demo_agency`` (a copy of a snapshot, tests/demo_snapshot.py)
is the one a seed run at the snapshot's moment makes: the same rows and ids in every table, the
same next ids and the same stored files; and that copy serves only where a seed then would have
made those rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _postgres_schema_url
from tests.demo_snapshot import seed_at
from tests.web import conftest as web
from tracker import db, schema
from tracker.models import ALL_MODELS, AuditEvent, User

people = web.people  # the web tests' fixture


def everything() -> dict[str, list[tuple]]:
    """Every row of every table of the bound database, in primary key order."""
    return {
        model._meta.table_name: list(
            model.select().order_by(*model._meta.get_primary_keys()).tuples()
        )
        for model in ALL_MODELS
    }


def next_ids() -> dict[str, int]:
    """Where each PostgreSQL sequence stands (SQLite's next id is the largest one plus one)."""
    if db.is_postgres():
        rows = db.database.execute_sql(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
        )
        return dict(rows.fetchall())
    return {}


def stored(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def elsewhere(settings, services, tmp_path) -> Iterator:
    """Settings for a second, empty database and evidence store on the same backend."""
    folder = tmp_path / "fresh"
    if settings.database_url.startswith("sqlite"):
        url = f"sqlite:///{folder / 'tracker.db'}"
        yield settings.with_overrides(database_url=url, evidence_dir=folder / "store")
        return
    name = f"{settings.database_url.rsplit('%3D', 1)[1]}_fresh"
    admin = db.open_database(services.postgres_url)
    admin.execute_sql(f'CREATE SCHEMA "{name}"')
    try:
        url = _postgres_schema_url(services.postgres_url, name)
        yield settings.with_overrides(database_url=url, evidence_dir=folder / "store")
    finally:
        admin.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()


def seeded_elsewhere(demo, settings, moment, before=lambda: None):
    """Everything a seed at ``moment`` leaves in a fresh database (after ``before()``)."""
    test_database = db.database.obj
    database = db.bind(settings.database_url)
    try:
        with database.connection_context():
            schema.upgrade(database)
            before()
            seed_at(demo, settings, moment)
            return everything(), next_ids(), stored(settings.evidence_dir)
    finally:
        db.database.initialize(test_database)


def test_a_copy_of_the_demo_agency_is_what_a_seed_at_its_moment_makes(
    demo, settings, migrated, elsewhere, demo_snapshots
):
    snapshot = demo_snapshots.copy_into(settings, demo)
    copied = everything(), next_ids(), stored(settings.evidence_dir)
    assert copied[0]["evidence_file"] and len(copied[2]) == len(copied[0]["blob"])
    fresh = seeded_elsewhere(demo, elsewhere, snapshot.moment)
    for table, rows in fresh[0].items():
        assert copied[0][table] == rows, table
    assert copied[1:] == fresh[1:]


def test_after_the_people_the_copy_has_their_ids_and_the_demo_after_them(
    demo, settings, people, elsewhere, demo_snapshots
):
    snapshot = demo_snapshots.copy_into(settings, demo)
    copied = everything(), next_ids(), stored(settings.evidence_dir)
    fresh = seeded_elsewhere(demo, elsewhere, snapshot.moment, web.create_people)
    # The people were made at another moment (and their passwords salted afresh): the rows that
    # say so, and the audit hashes chained over them, differ; nothing else may.
    made = {User: {"password_hash", "created_at"}, AuditEvent: {"occurred_at", "prev_hash", "hash"}}
    for model in ALL_MODELS:
        table = model._meta.table_name
        if model in made:
            kept = [i for i, f in enumerate(model._meta.sorted_field_names) if f not in made[model]]
            copied[0][table] = [tuple(row[i] for i in kept) for row in copied[0][table]]
            fresh[0][table] = [tuple(row[i] for i in kept) for row in fresh[0][table]]
        if table != "audit_head":
            assert copied[0][table] == fresh[0][table], table
    first = [user.username for user in User.select().order_by(User.id).limit(len(people))]
    assert first == list(people.values())
    assert copied[1:] == fresh[1:]


def test_a_database_holding_anything_else_is_refused(
    demo, settings, migrated, tokens, demo_snapshots
):
    with pytest.raises(RuntimeError, match="request the demo_agency fixture before"):
        demo_snapshots.copy_into(settings, demo)
