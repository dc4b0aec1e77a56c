"""A message's rows are claimed, marked sent and given back in chunks of ids within one
transaction: a DPO's digest of hundreds of thousands of rows stays under each database's limit
of bound parameters in one statement (PostgreSQL's 65,535; SQLite's 32,766 in a stock build),
and a claim is still every row of the message or none."""

from __future__ import annotations

from datetime import date

from tracker import db
from tracker.models import Notification
from tracker.reminders import claiming

TODAY = date.today()


def rows(count: int, start: int = 0) -> list[int]:
    """``count`` pending rows of one message; their ids."""
    values = [
        {
            "key": f"chunk-{start + number}",
            "recipient": "dpo@police.example",
            "kind": "missing",
            "item_key": f"{number}:req",
            "window": "w",
            "sweep_date": TODAY,
            "payload": {"status": "missing", "title": f"Item {number}"},
            "status": "missing",
            "state": "pending",
            "created_at": db.utcnow(),
        }
        for number in range(count)
    ]
    with db.write_transaction():
        for first in range(0, count, 5000):
            Notification.insert_many(values[first : first + 5000]).execute()
    keys = [value["key"] for value in values]
    return [
        i
        for (i,) in Notification.select(Notification.id).where(Notification.key.in_(keys)).tuples()
    ]


def in_state(state: str) -> int:
    return Notification.select().where(Notification.state == state).count()


def test_a_message_larger_than_one_statement_may_list_is_claimed_and_sent_whole(migrated):
    ids = rows(70_000)  # more ids than PostgreSQL binds in one statement
    claimed = claiming.claim(ids)
    assert len(claimed) == 70_000
    assert claimed[0].payload["status"] == "missing"
    claiming.mark_sent(ids, "<digest@police.example>")
    sent = Notification.select().where(Notification.message_id == "<digest@police.example>")
    assert sent.where(Notification.state == "sent").count() == 70_000


def test_a_claim_across_chunks_is_every_row_or_none(migrated, monkeypatch):
    monkeypatch.setattr(claiming, "IDS_PER_STATEMENT", 7)
    ids = rows(50)
    # Another worker holds the last row (in the last chunk): nothing may be taken.
    Notification.update(state="sending", claimed_at=db.utcnow()).where(
        Notification.id == ids[-1]
    ).execute()
    assert claiming.try_claim(ids) is None
    assert in_state("pending") == 49 and in_state("sending") == 1
    Notification.update(state="pending").where(Notification.id == ids[-1]).execute()
    assert len(claiming.try_claim(ids)) == 50
    claiming.release(ids, "the server said no", failed=False)
    assert in_state("pending") == 50
    claiming.note_failure(ids, "the server was down", failed=True)
    assert in_state("failed") == 50
    assert len(claiming.claim(ids)) == 50
    claiming.mark_sent(ids, "<m@police.example>")
    assert in_state("sent") == 50


def test_a_capped_digest_marks_its_unlisted_rows_across_chunks(migrated, monkeypatch):
    monkeypatch.setattr(claiming, "IDS_PER_STATEMENT", 7)
    ids = rows(50)
    claiming.claim(ids)
    claiming.mark_sent(ids, "<capped@police.example>", listed=ids[:20])
    sent = {row.id: row for row in Notification.select().where(Notification.id.in_(ids))}
    assert len(sent) == 50
    assert all(row.state == "sent" for row in sent.values())
    assert all(row.message_id == "<capped@police.example>" for row in sent.values())
    assert all(row.sent_at is not None for row in sent.values())
    assert [row_id for row_id in ids if sent[row_id].listed] == ids[:20]
    assert [row_id for row_id in ids if not sent[row_id].listed] == ids[20:]
