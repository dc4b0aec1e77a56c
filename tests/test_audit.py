"""The hash chain: every change recorded, and any edit or removal pinpointed."""

import itertools
import json

import pytest

from tracker import accounts, audit, config, db, i18n, schema
from tracker.audit import checkpoints, keys
from tracker.db import write_transaction
from tracker.models import AuditEvent, AuditHead
from tracker.reminders import jobs


def append(count: int) -> None:
    for number in range(count):
        with write_transaction():
            audit.record(
                "tester",
                "thing.changed",
                "thing",
                number,
                before={"value": number},
                after={"value": number + 1},
            )


@pytest.fixture
def chain(migrated):
    append(5)
    return migrated


def test_an_untouched_chain_verifies(chain):
    report = audit.verify()
    assert report.ok and report.events_checked == 5


def test_events_link_to_their_predecessor(chain):
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))


def test_an_edited_event_is_named(chain):
    AuditEvent.update(after={"value": 999}).where(AuditEvent.id == 3).execute()
    report = audit.verify()
    assert not report.ok and report.first_broken_id == 3
    assert "altered" in report.problem


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain):
    event = AuditEvent.get_by_id(2)
    event.actor = "somebody else"
    event.hash = audit._event_hash(event.prev_hash, audit._hashed_fields(event))
    event.save()
    report = audit.verify()
    assert report.first_broken_id == 3 and "does not follow" in report.problem


def test_a_removed_event_is_named(chain):
    AuditEvent.delete().where(AuditEvent.id == 2).execute()
    report = audit.verify()
    assert report.first_broken_id == 2 and "missing" in report.problem


def test_removing_the_newest_events_is_detected(chain):
    AuditEvent.delete().where(AuditEvent.id >= 4).execute()
    report = audit.verify()
    assert not report.ok and report.first_broken_id == 4
    assert "removed" in report.problem


def test_the_head_tracks_the_newest_event(chain):
    head = AuditHead.get()
    newest = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (head.last_id, head.last_hash) == (newest.id, newest.hash)


def test_cli_verify_reports_and_fails_on_tampering(chain, runner):
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 0 and "5 events verified" in result.output
    AuditEvent.update(actor="mallory").where(AuditEvent.id == 4).execute()
    result = runner.tracker("audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN at event 4" in result.output


def test_a_failed_change_leaves_no_event(chain):
    with pytest.raises(RuntimeError), write_transaction():
        audit.record("tester", "thing.changed", "thing", 99)
        raise RuntimeError("the change itself failed")
    assert AuditEvent.select().count() == 5
    assert audit.verify().ok


def test_concurrent_writers_keep_one_unbroken_chain(migrated):
    import threading

    errors = []

    def writer(number: int) -> None:
        try:
            for step in range(10):
                with write_transaction():
                    audit.record(f"writer-{number}", "thing.changed", "thing", f"{number}-{step}")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            migrated.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit.verify()
    assert report.ok and report.events_checked == 40


# --- keyed hashes and signed checkpoints: what someone with write access to the database can
# no longer do without it showing (issue 12, item 2) ---


@pytest.fixture
def keyed(settings, migrated):
    """An audit key in the test's key file (DATA_DIR/audit-keys, as the CLI finds it too), used
    by this process for the test."""
    keys.write_key_file(settings.audit_key_file, [keys.generate()])
    keys.configure(settings)
    yield settings
    keys.configure(None)


@pytest.fixture
def protected(keyed):
    """A keyed chain of 1 + 5 events, with a checkpoint after them."""
    append(5)
    audit.checkpoint("tester")
    return keyed


def head_to(database, event_id: int) -> None:
    """What an attacker does after cutting the chain: the head names the new newest event."""
    last = AuditEvent.get_by_id(event_id) if event_id else None
    database.execute_sql(
        "UPDATE audit_head SET last_id = %s, last_hash = %s, key_id = %s".replace(
            "%s", database.param
        ),
        (event_id, last.hash if last else audit.GENESIS_HASH, last.key_id if last else ""),
    )


def cut_newest(database, keep: int) -> None:
    database.execute_sql(f"DELETE FROM audit_event WHERE id > {keep}")
    head_to(database, keep)


def rewrite_from(database, event_id: int, *, unkey: bool = False) -> None:
    """Edit one event and recompute every later hash, as a database writer can: without the
    key, so with plain SHA-256 (``unkey`` also marks the rewritten events as unkeyed)."""
    AuditEvent.update(actor="mallory").where(AuditEvent.id == event_id).execute()
    prev = AuditEvent.get_by_id(event_id - 1).hash if event_id > 1 else audit.GENESIS_HASH
    for event in AuditEvent.select().where(AuditEvent.id >= event_id).order_by(AuditEvent.id):
        event.prev_hash = prev
        if unkey:
            event.key_id = ""
        event.hash = prev = audit._event_hash(prev, audit._hashed_fields(event))
        event.save()
    head_to(database, AuditEvent.select().count())


def test_a_keyed_chain_starts_with_an_event_marking_the_protection(keyed):
    append(3)
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    ring = keys.keyring_for(keyed)
    assert [e.action for e in events][:2] == [audit.PROTECTION_STARTED, "thing.changed"]
    assert events[0].after == {"key_id": ring.newest.key_id}
    assert {e.key_id for e in events} == {ring.newest.key_id}
    # The stored hash is an HMAC under the key: plain SHA-256 does not give it.
    assert events[1].hash != audit._event_hash(events[1].prev_hash, audit._hashed_fields(events[1]))
    report = audit.verify()
    assert report.ok and report.protected and report.protected_from == 1
    assert report.events_checked == 4 and report.key_ids == (ring.newest.key_id,)
    assert "no checkpoint yet" in " ".join(report.notes)


def test_a_checkpoint_is_one_signed_line_outside_the_database(protected):
    lines = protected.audit_checkpoint_file.read_text().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert (line["checkpoint"], line["events"], line["last_id"]) == (1, 6, 6)
    assert line["head_hash"] == AuditHead.get().last_hash
    report = audit.verify()
    assert report.ok and report.checkpoints == 1 and report.newest_checkpoint.last_id == 6
    assert report.notes == ()


def test_attack_cutting_the_newest_events_and_moving_the_head_is_caught(protected, migrated):
    cut_newest(migrated, 4)
    report = audit.verify()
    assert not report.ok and report.first_broken_id == 5
    assert report.problem == (
        "events missing after checkpoint 1: the log had 6 events, the database has 4"
    )


def test_attack_editing_a_row_and_recomputing_every_later_hash_is_caught(protected, migrated):
    rewrite_from(migrated, 3)
    report = audit.verify()
    assert not report.ok and report.first_broken_id == 3
    assert report.problem == (
        "hash mismatch at event 3 (the row was changed or the chain recomputed without the key)"
    )
    # The checkpoint saw event 6's real hash, so it names the rewrite too.
    assert any("against checkpoint 1" in problem for problem in report.problems)


def test_attack_rewriting_the_whole_chain_as_unkeyed_is_caught_by_the_checkpoint(
    protected, migrated
):
    rewrite_from(migrated, 1, unkey=True)
    report = audit.verify()
    assert not report.ok
    assert report.problem == (
        "hash mismatch at event 6 against checkpoint 1: "
        "the chain was rewritten after the checkpoint was made"
    )


def test_attack_unkeying_only_the_newest_events_is_caught(protected, migrated):
    append(2)
    rewrite_from(migrated, 7, unkey=True)
    report = audit.verify()
    assert (
        report.first_broken_id == 7 and "is not keyed though the chain is keyed" in report.problem
    )


def test_attack_deleting_every_event_and_resetting_the_head_is_caught(protected, migrated):
    accounts.create_user("someone", "viewer", "tester")
    migrated.execute_sql("DELETE FROM audit_event")
    head_to(migrated, 0)
    report = audit.verify()
    assert not report.ok and report.events_checked == 0
    assert report.problems == (
        "the chain is empty but the database holds 0 systems, 0 evidence items and 1 users: "
        "its events were deleted",
        "events missing after checkpoint 1: the log had 6 events, the database has 0",
    )


def test_an_emptied_chain_fails_even_without_a_key_or_checkpoint(chain, migrated):
    accounts.create_user("someone", "viewer", "tester")
    migrated.execute_sql("DELETE FROM audit_event")
    head_to(migrated, 0)
    report = audit.verify()
    assert not report.ok and "the chain is empty but the database holds" in report.problem


def test_a_fresh_empty_database_verifies(migrated):
    assert audit.verify().ok


def test_without_a_key_the_chain_verifies_but_says_it_is_not_protected(chain):
    report = audit.verify()
    assert report.ok and not report.keyed and not report.protected
    assert report.notes[0].startswith("NOT protected against database writers")
    assert all(e.key_id == "" for e in AuditEvent.select())


def test_an_existing_unkeyed_chain_is_keyed_from_a_marked_event_on(chain, settings):
    keys.write_key_file(settings.audit_key_file, [keys.generate()])
    keys.configure(settings)
    try:
        append(2)
        marker = AuditEvent.get_by_id(6)
        assert marker.action == audit.PROTECTION_STARTED and marker.actor == "system"
        report = audit.verify()
        assert report.ok and report.protected_from == 6 and report.events_checked == 8
        assert any("events 1 to 5 were recorded before" in note for note in report.notes)
        # The unkeyed part can still be rewritten from the start... up to the keyed event,
        # whose HMAC covers the hash before it.
        AuditEvent.update(actor="mallory").where(AuditEvent.id == 5).execute()
        event = AuditEvent.get_by_id(5)
        AuditEvent.update(
            hash=audit._event_hash(event.prev_hash, audit._hashed_fields(event))
        ).where(AuditEvent.id == 5).execute()
        assert audit.verify().first_broken_id == 6
    finally:
        keys.configure(None)


def test_a_rotated_key_takes_over_at_a_key_rotated_event(keyed):
    append(2)
    first = keys.keyring_for(keyed).newest
    keys.write_key_file(keyed.audit_key_file, [keys.generate(), first.secret.decode()])
    append(2)
    second = keys.keyring_for(keyed).newest
    rotated = AuditEvent.get_by_id(4)
    assert rotated.action == audit.KEY_ROTATED and rotated.key_id == second.key_id
    assert (rotated.before, rotated.after) == ({"key_id": first.key_id}, {"key_id": second.key_id})
    report = audit.verify()
    assert report.ok and report.key_ids == (first.key_id, second.key_id)
    # Without the old key, the events made with it cannot be vouched for.
    keys.write_key_file(keyed.audit_key_file, [second.secret.decode()])
    report = audit.verify()
    assert not report.ok and report.first_broken_id == 1
    assert f"keyed with audit key {first.key_id}, which is not configured" in report.problem


def test_a_process_without_the_chain_s_key_refuses_to_write(keyed):
    append(1)
    keyed.audit_key_file.unlink()
    with pytest.raises(keys.AuditKeyError, match="no audit key is configured"):
        append(1)
    keys.write_key_file(keyed.audit_key_file, [keys.generate()])  # some other, unrelated key
    with pytest.raises(keys.AuditKeyError, match="not among the configured keys"):
        append(1)
    assert AuditEvent.select().count() == 2
    report = audit.verify()
    assert not report.ok and "which is not configured" in report.problem


def test_going_back_to_an_older_key_is_caught(keyed, migrated):
    append(1)
    old = keys.keyring_for(keyed).newest
    keys.write_key_file(keyed.audit_key_file, [keys.generate(), old.secret.decode()])
    append(1)
    # Someone with the old (perhaps leaked) key appends with it after the rotation.
    event = AuditEvent.get_by_id(AuditEvent.select().count())
    event.key_id, event.action, event.after = old.key_id, audit.KEY_ROTATED, {"key_id": old.key_id}
    event.hash = old.mac(audit._message(event.prev_hash, audit._hashed_fields(event)))
    event.save()
    head_to(migrated, event.id)
    report = audit.verify()
    assert report.first_broken_id == event.id and "goes back to audit key" in report.problem


def test_a_checkpoint_with_a_wrong_signature_fails(protected):
    path = protected.audit_checkpoint_file
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "events": 60, "last_id": 60}) + "\n")
    report = audit.verify()
    assert not report.ok and report.first_broken_id is None
    assert report.problem == (
        "checkpoint 1 has a bad signature: it was altered or not signed with the audit key"
    )


def test_a_checkpoint_signed_with_another_key_fails(protected):
    other = keys.AuditKey.from_text(keys.generate())
    forged = checkpoints.sign(
        {"checkpoint": 2, "events": 6, "last_id": 6, "head_hash": "0" * 64, "made_at": "now"},
        other,
    )
    with protected.audit_checkpoint_file.open("a") as out:
        out.write(forged.line() + "\nnot json\n")
    report = audit.verify()
    assert report.problems == (
        f"checkpoint 2 is signed with audit key {other.key_id}, which is not configured: "
        "it cannot be checked",
        f"line 3 of the checkpoint file {protected.audit_checkpoint_file} is not a checkpoint",
    )


def test_no_checkpoint_is_signed_over_a_broken_chain(protected):
    AuditEvent.update(actor="mallory").where(AuditEvent.id == 2).execute()
    with pytest.raises(audit.ChainBroken) as broken:
        audit.checkpoint("tester")
    assert broken.value.report.first_broken_id == 2
    assert len(protected.audit_checkpoint_file.read_text().splitlines()) == 1


def test_a_checkpoint_needs_a_key(chain, settings):
    with pytest.raises(keys.AuditKeyError, match="none is configured"):
        audit.checkpoint("tester", path=settings.audit_checkpoint_file)


def test_the_daily_sweep_writes_a_checkpoint(protected):
    jobs.audit_checkpoint(protected)
    lines = protected.audit_checkpoint_file.read_text().splitlines()
    assert [json.loads(line)["checkpoint"] for line in lines] == [1, 2]
    assert audit.verify().checkpoints == 2


def test_a_database_from_before_keys_upgrades_and_keeps_verifying(settings):
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database, target=8)
        append(3)  # written by this code into the version-8 table, exactly as before
        assert schema.upgrade(database, target=9) == ["0009_audit_keys"]
        schema.upgrade(database)
        assert schema.drift(database) == ""
        assert [e.key_id for e in AuditEvent.select()] == ["", "", ""]
        report = audit.verify()
        assert report.ok and report.events_checked == 3


def test_keys_come_from_the_environment_or_the_key_file(tmp_path):
    one, two = keys.generate(), keys.generate()
    from_variable = config.from_environ(
        {"TRACKER_DATA_DIR": str(tmp_path), "TRACKER_AUDIT_KEY": f"{one}, {two}"}
    )
    ring = keys.keyring_for(from_variable)
    assert [k.key_id for k in ring.keys] == [
        keys.key_id_of(one.encode()),
        keys.key_id_of(two.encode()),
    ]
    assert ring.source == "TRACKER_AUDIT_KEY"
    from_file = config.from_environ({"TRACKER_DATA_DIR": str(tmp_path)})
    assert from_file.audit_key_file == tmp_path / "audit-keys"
    assert keys.keyring_for(from_file).newest is None
    keys.write_key_file(from_file.audit_key_file, [two, one])
    assert from_file.audit_key_file.stat().st_mode & 0o777 == 0o600
    assert keys.keyring_for(from_file).newest.key_id == keys.key_id_of(two.encode())
    from_file.audit_key_file.chmod(0o644)
    assert "can be read by other users" in keys.keyring_for(from_file).warnings[0]
    with pytest.raises(config.ConfigError, match="TRACKER_AUDIT_KEY: each key must be at least 32"):
        config.from_environ({"TRACKER_AUDIT_KEY": "short"})


def test_the_environment_s_keys_apply_only_to_the_environment_s_database(keyed, tmp_path):
    keys.configure(None)
    # The test's database is not the one TRACKER_DATABASE_URL (unset: ./instance) names.
    assert keys.current_settings() is None and keys.current().newest is None


def test_the_audit_page_says_what_verify_found(protected, migrated):
    from tracker.web.activity import _chain_text

    with i18n.using("en"):
        intact = _chain_text(audit.verify())
        cut_newest(migrated, 4)
        broken = _chain_text(audit.verify())
    assert intact == (
        "Chain verified: 6 events, the head matches. "
        "Keyed from event 1; signed checkpoints verified: 1."
    )
    assert broken == (
        "Chain broken at event 5: events missing after checkpoint 1: the log had 6 events, "
        "the database has 4"
    )
