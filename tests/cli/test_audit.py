"""``tracker audit verify|checkpoint|rotate-key|public-key``: the audit trail from a shell, and the
three ways a database writer could rewrite it, each caught by ``verify``."""

from __future__ import annotations

import base64
import json
import shutil

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tracker import accounts, audit
from tracker.audit import checkpoints, keys
from tracker.cli import main as tracker_cli
from tracker.models import AuditEvent


@pytest.fixture
def users(migrated) -> None:
    for number in range(4):
        accounts.create_user(f"user-{number}", "viewer", "tester")


@pytest.fixture
def rotated(runner, users, settings):
    """The key made by ``tracker audit rotate-key``, used by this process too."""
    result = runner.tracker("audit", "rotate-key")
    assert result.exit_code == 0, result.output
    keys.configure(settings)
    yield result
    keys.configure(None)


def set_head(database, event_id: int) -> None:
    event = AuditEvent.get_by_id(event_id) if event_id else None
    values = (event_id, event.hash if event else audit.GENESIS_HASH, event.key_id if event else "")
    database.execute_sql(
        "UPDATE audit_head SET last_id = ?, last_hash = ?, key_id = ?".replace("?", database.param),
        values,
    )


def test_verify_says_an_unkeyed_chain_is_not_protected(runner, users):
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "audit chain intact: 4 events verified",
        "note: NOT protected against database writers: no audit key is configured "
        "(TRACKER_AUDIT_KEY or TRACKER_AUDIT_KEY_FILE), so whoever can write to the database "
        "can rewrite this chain without it showing",
    ]


def test_rotate_key_makes_the_key_file_keys_the_chain_and_checkpoints_it(rotated, settings):
    key_id = keys.keyring_for(settings).newest.key_id
    assert rotated.output.splitlines() == [
        f"new audit key {key_id} written first in {settings.audit_key_file} (readable by its "
        "owner only); the chain is keyed with it from event 5",
        f"checkpoint 1 appended to {settings.audit_checkpoint_file}; back up the key file, and "
        "give auditors the new public key (`tracker audit public-key`)",
    ]
    assert settings.audit_key_file.stat().st_mode & 0o777 == 0o600
    assert AuditEvent.get_by_id(5).action == audit.PROTECTION_STARTED


def test_verify_reports_the_keys_and_the_checkpoints(runner, rotated, settings):
    key_id = keys.keyring_for(settings).newest.key_id
    lines = runner.tracker("audit", "verify").output.splitlines()
    assert lines[:2] == [
        "audit chain intact: 5 events verified",
        f"keyed from event 5 with audit key {key_id} (HMAC-SHA256; the keys are not in the "
        "database)",
    ]
    assert lines[2].startswith("1 signed checkpoint verified; the newest, 1, covers events 1 to 5")
    assert lines[3] == (
        "note: events 1 to 4 were recorded before the audit key was configured: they are "
        "chained with plain SHA-256, which a database writer can recompute"
    )


def test_attack_a_cutting_the_newest_events_fails_verify(runner, rotated, migrated):
    accounts.create_user("late", "viewer", "tester")
    runner.tracker("audit", "checkpoint")
    migrated.execute_sql("DELETE FROM audit_event WHERE id > 3")
    set_head(migrated, 3)
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "audit chain BROKEN at event 4: events missing after checkpoint 2: the log had 6 events, "
        "the database has 3"
    )


def test_attack_b_editing_and_recomputing_fails_verify(runner, rotated, migrated):
    accounts.create_user("late", "viewer", "tester")
    AuditEvent.update(after={"username": "mallory"}).where(AuditEvent.id == 6).execute()
    event = AuditEvent.get_by_id(6)
    event.hash = audit._event_hash(event.prev_hash, audit._hashed_fields(event))
    event.save()
    set_head(migrated, 6)
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "audit chain BROKEN at event 6: hash mismatch at event 6 (the row was changed or the "
        "chain recomputed without the key)"
    )


def test_attack_c_deleting_everything_fails_verify(runner, rotated, migrated):
    migrated.execute_sql("DELETE FROM audit_event")
    set_head(migrated, 0)
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        "audit chain BROKEN at event 1: the chain is empty but the database holds 0 systems, "
        "0 evidence items and 4 users: its events were deleted",
        "also: events missing after checkpoint 1: the log had 5 events, the database has 0",
    ]


def test_a_shipped_copy_of_the_checkpoints_still_catches_a_cut(
    runner, rotated, migrated, settings, tmp_path
):
    shipped = tmp_path / "shipped.jsonl"
    shutil.copy(settings.audit_checkpoint_file, shipped)
    settings.audit_checkpoint_file.unlink()  # the local log is gone (or never reached the auditor's machine)
    migrated.execute_sql("DELETE FROM audit_event WHERE id > 2")
    set_head(migrated, 2)
    assert runner.tracker("audit", "verify").exit_code == 0  # nothing left to compare with...
    result = runner.tracker("audit", "verify", "--checkpoints", str(shipped))
    assert result.exit_code == 1 and "the log had 5 events, the database has 2" in result.output


def test_a_second_rotation_keeps_the_old_key_for_old_events(runner, rotated, settings):
    first = keys.keyring_for(settings).newest
    result = runner.tracker("audit", "rotate-key")
    assert result.exit_code == 0, result.output
    ring = keys.keyring_for(settings)
    assert [k.key_id for k in ring.keys][1:] == [first.key_id]
    assert AuditEvent.get_by_id(6).action == audit.KEY_ROTATED
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 0
    assert f"with audit key {first.key_id}, {ring.newest.key_id}" in result.output
    assert "2 signed checkpoints verified" in result.output


def test_rotate_key_refuses_keys_from_the_environment(runner, settings, migrated):
    env = {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_AUDIT_KEY": keys.generate(),
    }
    result = runner.invoke(tracker_cli, ["audit", "rotate-key"], env=env)
    assert result.exit_code == 1
    assert "the audit keys come from TRACKER_AUDIT_KEY" in result.output
    assert not settings.audit_key_file.exists()


def test_checkpoint_without_a_key_says_how_to_make_one(runner, users):
    result = runner.tracker("audit", "checkpoint")
    assert result.exit_code == 1
    assert "checkpoints are signed with the audit key, and none is configured" in result.output


def test_checkpoint_refuses_a_broken_chain(runner, rotated):
    AuditEvent.update(actor="mallory").where(AuditEvent.id == 2).execute()
    result = runner.tracker("audit", "checkpoint")
    assert result.exit_code == 1
    assert "no checkpoint written: the chain does not verify (event 2 was altered" in result.output


def test_the_public_key_checks_a_checkpoint_s_signature(runner, rotated, settings):
    output = runner.tracker("audit", "public-key").output
    pem = output[output.index("-----BEGIN") :]
    public = load_pem_public_key(pem.encode())
    line = json.loads(settings.audit_checkpoint_file.read_text().splitlines()[0])
    signed = checkpoints.Checkpoint(**{k: line[k] for k in checkpoints.FIELDS}).message()
    public.verify(base64.b64decode(line["signature"]), signed)  # raises if it does not match
    assert signed.startswith(b"tracker-audit-checkpoint-v1\n{")


def test_generate_key_prints_a_fresh_key_each_time(runner):
    first, second = (runner.tracker("audit", "generate-key").output.strip() for _ in range(2))
    assert len(first) == 64 and first != second
