"""tracker backup and tracker restore, on both databases, with the demo agency: a backup taken
while the app takes uploads restores into a fresh installation where the audit chain and the
evidence store verify; damaged or wrong backups and non-empty targets are refused, leaving
nothing behind."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from click.testing import CliRunner

from tests import sample_files
from tests.factories import upload_form
from tracker import config, db
from tracker.cli import main as tracker_cli
from tracker.models import AISystem, AuditEvent, Blob, Evidence, User
from tracker.operations import backup as backups
from tracker.operations import restore as restores

_numbers = itertools.count()


def environment(settings: config.Settings) -> dict[str, str]:
    """The TRACKER_* variables of an installation with these settings."""
    return {
        "TRACKER_ENV": "testing",
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_EVIDENCE_URL": settings.evidence_url,
        "TRACKER_AGENCY_COUNTRIES": ",".join(settings.agency_countries),
        "TRACKER_BINDING": ",".join(f"{k}={v}" for k, v in settings.binding.items()),
    }


def tracker(settings: config.Settings, *args: str):
    """Run a ``tracker`` command as an installation with ``settings``; the test's database
    stays the bound one."""
    bound = db.database.obj
    connected = bound is not None and not bound.is_closed()
    try:
        return CliRunner().invoke(
            tracker_cli, list(args), env=environment(settings), catch_exceptions=False
        )
    finally:
        db.database.initialize(bound)
        if connected:
            bound.connect(reuse_if_open=True)


@contextmanager
def fresh_installation(
    settings: config.Settings, services, folder: Path
) -> Iterator[config.Settings]:
    """Settings of a new installation: an empty database of the same kind (a new SQLite file,
    or an empty schema in a new PostgreSQL database, named unlike the test's), an empty data
    folder."""
    folder.mkdir()
    if settings.database_url.startswith("sqlite"):
        yield settings.with_overrides(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'tracker.db'}",
            evidence_dir=folder / "evidence-store",
            audit_key_file=folder / "audit-keys",
            audit_checkpoint_file=folder / "audit-checkpoints.jsonl",
            pack_signing_key_file=folder / "pack-signing-key.pem",
            pack_dir=folder / "packs",
        )
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"tracker_restore_{worker}_{os.getpid()}_{next(_numbers)}"
    admin = psycopg2.connect(services.postgres_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    base = urlunsplit(urlsplit(services.postgres_url)._replace(path=f"/{name}"))
    created = psycopg2.connect(base)
    created.autocommit = True
    created.cursor().execute('CREATE SCHEMA "restored"')
    created.close()
    try:
        yield settings.with_overrides(
            data_dir=folder,
            database_url=f"{base}?options=-csearch_path%3Drestored",
            evidence_dir=folder / "evidence-store",
            audit_key_file=folder / "audit-keys",
            audit_checkpoint_file=folder / "audit-checkpoints.jsonl",
            pack_signing_key_file=folder / "pack-signing-key.pem",
            pack_dir=folder / "packs",
        )
    finally:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def contents(url: str) -> dict:
    """Counts, the audit chain's hashes and the stored files of the database at ``url``."""
    database = db.open_database(url, create=False)
    models = (AISystem, AuditEvent, Blob, Evidence, User)
    with database.bind_ctx(models), database.connection_context():
        return {
            "systems": AISystem.select().count(),
            "evidence": Evidence.select().count(),
            "users": User.select().count(),
            "chain": list(
                AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id).tuples()
            ),
            "blobs": dict(Blob.select(Blob.sha256, Blob.size).tuples()),
        }


def is_empty(settings: config.Settings) -> bool:
    """Nothing in the installation's database, evidence store or checkpoint file."""
    if settings.database_url.startswith("sqlite"):
        database_empty = not Path(db.sqlite_path(settings.database_url)).exists()
    else:
        database = db.open_database(settings.database_url)
        with database.connection_context():
            schema = database.execute_sql("SELECT current_schema()").fetchone()[0]
            database_empty = schema == "restored" and not database.get_tables(schema=schema)
    stored = list((settings.evidence_dir / "objects").glob("*/*/*"))
    return database_empty and not stored and not settings.audit_checkpoint_file.exists()


def uploader(client, auth, system_id: int, done: list, stop: threading.Event) -> threading.Thread:
    """A thread uploading new evidence through the app until ``stop``; ``done`` gets each id."""

    def run() -> None:
        for number in itertools.count():
            if stop.is_set():
                return
            form = upload_form(
                system_ids=[system_id],
                files=[(sample_files.pdf(f"Assessment during the backup, {number}"), "a.pdf")],
            )
            response = client.post(
                "/api/evidence",
                data=form,
                headers=auth("legal"),
                content_type="multipart/form-data",
            )
            assert response.status_code == 201, response.json
            done.append(response.json["id"])

    return threading.Thread(target=run, daemon=True)


def wait_for(condition, seconds: float = 60) -> None:
    stop = threading.Event()
    for _ in range(int(seconds * 20)):
        if condition():
            return
        stop.wait(0.05)
    raise AssertionError("timed out")


def test_a_backup_taken_while_serving_restores_into_a_fresh_installation(
    client, demo_agency, auth, runner, settings, services, tmp_path
):
    rotated = runner.tracker("audit", "rotate-key")  # a keyed chain, with a signed checkpoint
    assert rotated.exit_code == 0, rotated.output
    system_id = AISystem.select().first().id
    done: list[int] = []
    stop = threading.Event()
    thread = uploader(client, auth, system_id, done, stop)
    thread.start()
    try:
        wait_for(lambda: len(done) >= 2)
        made = backups.backup(settings, tmp_path / "backup")
        after_backup = len(done)
        wait_for(lambda: len(done) >= after_backup + 2)
    finally:
        stop.set()
        thread.join(60)
    source = contents(settings.database_url)
    metadata = json.loads((tmp_path / "backup" / "backup.json").read_text())
    assert metadata["counts"] == made.counts
    # A snapshot: some of the uploads made during the backup, none made after it.
    backed_up = made.counts["evidence"] - (source["evidence"] - len(done))
    assert 2 <= backed_up <= after_backup < len(done)
    manifest = (tmp_path / "backup" / "evidence-manifest.tsv").read_text().splitlines()
    assert len(manifest) == made.stored_files == made.counts["stored_files"]
    assert not (tmp_path / "backup" / "audit-keys").exists()
    assert "audit keys" in " ".join(metadata["not_included"])

    with fresh_installation(settings, services, tmp_path / "restored") as fresh:
        restored = tracker(fresh, "restore", str(tmp_path / "backup"))
        assert restored.exit_code == 0, restored.output
        assert f"{made.counts['audit_events']} audit events" in restored.output
        # The secrets come back from their own copy, as an operator's would.
        shutil.copy(settings.audit_key_file, fresh.audit_key_file)
        verified = tracker(fresh, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert "1 signed checkpoint verified" in verified.output
        checked = tracker(fresh, "evidence", "check")
        assert checked.exit_code == 0, checked.output
        assert checked.output.rstrip().endswith("OK")
        after = contents(fresh.database_url)
        # The restored installation goes on: new evidence (its triggers, sequences, chain).
        (tmp_path / "later.pdf").write_bytes(sample_files.pdf("Filed after the restore"))
        added = tracker(
            fresh,
            "evidence",
            "add",
            str(tmp_path / "later.pdf"),
            "--kind",
            "impact_assessment",
            "--title",
            "After the restore",
            "--agency-wide",
            "--as",
            "legal-user",
        )
        assert added.exit_code == 0, added.output
        assert tracker(fresh, "audit", "verify").exit_code == 0
        assert contents(fresh.database_url)["evidence"] == after["evidence"] + 1
    assert after["systems"] == source["systems"] == made.counts["systems"]
    assert after["evidence"] == made.counts["evidence"]
    assert after["users"] == source["users"]
    # The restored chain is the source's, cut where the snapshot was taken.
    assert after["chain"] == source["chain"][: made.counts["audit_events"]]
    assert after["blobs"].items() <= source["blobs"].items()
    assert len(after["blobs"]) == made.stored_files


def test_the_cli_backs_up_and_a_corrupt_file_in_the_backup_fails_the_restore(
    demo_agency, runner, settings, services, tmp_path
):
    made = runner.tracker("backup", str(tmp_path / "backup"))
    assert made.exit_code == 0, made.output
    assert "not in the backup: the audit keys" in made.output
    stored = sorted((tmp_path / "backup" / "evidence" / "objects").glob("*/*/*"))
    assert stored
    damaged = stored[len(stored) // 2]
    damaged.chmod(0o640)
    with open(damaged, "r+b") as handle:
        handle.seek(10)
        handle.write(b"X")
    with fresh_installation(settings, services, tmp_path / "restored") as fresh:
        failed = tracker(fresh, "restore", str(tmp_path / "backup"))
        assert failed.exit_code == 1
        assert damaged.name in failed.output and "damaged" in failed.output
        assert len(failed.output.strip().splitlines()) == 1
        assert is_empty(fresh)


def test_a_restore_into_a_database_that_holds_data_is_refused(
    demo_agency, runner, settings, tmp_path
):
    assert runner.tracker("backup", str(tmp_path / "backup")).exit_code == 0
    before = contents(settings.database_url)
    refused = runner.tracker("restore", str(tmp_path / "backup"))
    assert refused.exit_code == 1
    assert "is not empty" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert contents(settings.database_url) == before


def test_a_damaged_database_copy_is_refused_before_anything_is_written(
    demo_agency, runner, settings, services, tmp_path
):
    assert runner.tracker("backup", str(tmp_path / "backup")).exit_code == 0
    name = "database.sqlite3" if settings.database_url.startswith("sqlite") else "database.pgdump"
    with open(tmp_path / "backup" / name, "ab") as handle:
        handle.write(b"\0")
    with fresh_installation(settings, services, tmp_path / "restored") as fresh:
        failed = tracker(fresh, "restore", str(tmp_path / "backup"))
        assert failed.exit_code == 1
        assert f"the backup's file {name} is damaged" in failed.output
        assert is_empty(fresh)


def test_bad_sources_and_destinations_get_one_line(migrated, runner, settings, tmp_path):
    missing = runner.tracker("restore", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    assert missing.output == f"Error: there is no backup at {tmp_path / 'nowhere'}\n"
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "file.txt").write_text("not a backup")
    not_one = runner.tracker("restore", str(tmp_path / "folder"))
    assert not_one.exit_code == 1
    assert "is not a tracker backup" in not_one.output
    occupied = runner.tracker("backup", str(tmp_path / "folder"))
    assert occupied.exit_code == 1
    assert "already exists" in occupied.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".folder")) == []


def test_a_backup_restores_only_into_the_same_kind_of_database(migrated, settings, tmp_path):
    backups.backup(settings, tmp_path / "backup")
    other = (
        "postgresql://nobody@127.0.0.1:1/none"
        if settings.database_url.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'other.db'}"
    )
    target = settings.with_overrides(database_url=other, data_dir=tmp_path / "other")
    with pytest.raises(backups.BackupError, match="same kind of database"):
        restores.restore(target, tmp_path / "backup")
    assert not (tmp_path / "other.db").exists()


def test_linked_files_share_the_stores_and_an_object_store_backup_holds_the_manifest(
    demo_agency, settings, tmp_path
):
    linked = backups.backup(settings, tmp_path / "linked", link=True)
    assert linked.linked == linked.stored_files > 0
    some = next((tmp_path / "linked" / "evidence" / "objects").glob("*/*/*"))
    assert (
        some.stat().st_ino
        == (settings.evidence_dir / some.relative_to(tmp_path / "linked" / "evidence"))
        .stat()
        .st_ino
    )

    s3 = settings.with_overrides(evidence_url="s3://evidence/tracker")
    manifest_only = backups.backup(s3, tmp_path / "manifest-only")
    assert not manifest_only.files_included
    assert not (tmp_path / "manifest-only" / "evidence").exists()
    metadata = json.loads((tmp_path / "manifest-only" / "backup.json").read_text())
    assert metadata["evidence_store"]["url"] == "s3://evidence/tracker"
    assert "object store keeps the files" in metadata["evidence_store"]["note"]
    with pytest.raises(backups.BackupError, match="holds no evidence files"):
        restores.restore(
            settings.with_overrides(data_dir=tmp_path / "x"), tmp_path / "manifest-only"
        )


def test_a_database_copy_that_cannot_be_restored_leaves_nothing_behind(
    demo_agency, runner, settings, services, tmp_path
):
    assert runner.tracker("backup", str(tmp_path / "backup")).exit_code == 0
    name = "database.sqlite3" if settings.database_url.startswith("sqlite") else "database.pgdump"
    (tmp_path / "backup" / name).write_bytes(b"not a database at all")
    metadata_path = tmp_path / "backup" / "backup.json"
    metadata = json.loads(metadata_path.read_text())
    # listed with its own hash: only restoring it can tell
    metadata["files"][name] = {
        "sha256": hashlib.sha256(b"not a database at all").hexdigest(),
        "size": 21,
    }
    metadata_path.write_text(json.dumps(metadata))
    with fresh_installation(settings, services, tmp_path / "restored") as fresh:
        failed = tracker(fresh, "restore", str(tmp_path / "backup"))
        assert failed.exit_code == 1
        assert len(failed.output.strip().splitlines()) == 1, failed.output
        expected = "pg_restore failed" if name.endswith("pgdump") else "cannot be restored"
        assert expected in failed.output
        # the files it had copied into the store were taken back, and the schema has its name
        assert is_empty(fresh)


def test_a_damaged_store_fails_the_backup_naming_the_file_and_leaves_nothing(
    demo_agency, runner, settings, tmp_path
):
    stored = sorted((settings.evidence_dir / "objects").glob("*/*/*"))
    damaged = stored[0]
    damaged.chmod(0o640)
    damaged.write_bytes(damaged.read_bytes() + b"tampered")
    failed = runner.tracker("backup", str(tmp_path / "backup"))
    assert failed.exit_code == 1
    assert damaged.name in failed.output and "damaged" in failed.output
    assert len(failed.output.strip().splitlines()) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".backup", "backup"))]


@contextmanager
def new_database(services) -> Iterator[str]:
    """The URL of a new PostgreSQL database (its public schema, as production uses)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"tracker_backup_{worker}_{os.getpid()}_{next(_numbers)}"
    admin = psycopg2.connect(services.postgres_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(services.postgres_url)._replace(path=f"/{name}"))
    finally:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def test_a_postgresql_database_in_its_public_schema_restores_into_another(services, tmp_path):
    with new_database(services) as source_url, new_database(services) as target_url:
        source = config.Settings(
            env="testing", data_dir=tmp_path / "source", database_url=source_url
        ).validated()
        target = config.Settings(
            env="testing", data_dir=tmp_path / "target", database_url=target_url
        ).validated()
        assert tracker(source, "db", "upgrade").exit_code == 0
        assert tracker(source, "audit", "rotate-key").exit_code == 0
        made = tracker(source, "backup", str(tmp_path / "backup"))
        assert made.exit_code == 0, made.output
        metadata = json.loads((tmp_path / "backup" / "backup.json").read_text())
        assert metadata["postgresql_schema"] == "public"
        restored = tracker(target, "restore", str(tmp_path / "backup"))
        assert restored.exit_code == 0, restored.output
        (tmp_path / "target" / "audit-keys").write_text(source.audit_key_file.read_text())
        verified = tracker(target, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert "1 signed checkpoint verified" in verified.output
        assert contents(target_url)["chain"] == contents(source_url)["chain"] != []
        again = tracker(target, "restore", str(tmp_path / "backup"))
        assert again.exit_code == 1 and "is not empty (schema public has tables)" in again.output
