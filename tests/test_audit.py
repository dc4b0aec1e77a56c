"""The hash chain: every change recorded, and any edit or removal pinpointed."""

import itertools

import pytest

from tracker import audit
from tracker.db import write_transaction
from tracker.models import AuditEvent, AuditHead


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
