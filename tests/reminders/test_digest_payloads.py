"""A digest costs what it shows: claiming reads every row's urgency and group (status, due date,
kind, system), and the payloads of the rows the e-mail lists only (plus each named group's first
row); the e-mail is the same, to the byte, as one composed from every row's payload. The rows a
capped digest counted without naming them are recorded as not listed, and escalation does not
count them as reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import DEPLOYMENT
from tests.reminders.test_digest_cap import CAP, MANY, listed
from tests.reminders.test_digest_layout import BASE, ROWS, SWEEP
from tracker import db
from tracker.config import Settings
from tracker.models import Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import claiming, ledger
from tracker.reminders.claiming import Claimed
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.escalation import escalation_for, sent_counts
from tracker.reminders.kinds import Recipient, ReminderItem
from tracker.reminders.mail import compose_listing, environment
from tracker.reminders.planning import load_preferences

TODAY = date.today()


def recorded(payloads: list[dict]) -> list[int]:
    """The payloads as one recipient's pending ledger rows (columns as ledger.record writes
    them); their ids, in the order of a message."""
    values = [
        {
            "key": f"dpo@police.example|{item['kind']}|{number}|w",
            "recipient": "dpo@police.example",
            "kind": item["kind"],
            "item_key": f"item-{number}",
            "window": "w",
            "system_id": item.get("system_id"),
            "mandatory": False,
            "sweep_date": SWEEP,
            "payload": item,
            "status": item.get("status") or "",
            "state": "pending",
            "created_at": db.utcnow(),
        }
        for number, item in enumerate(payloads)
    ]
    with db.write_transaction():
        Notification.insert_many(values).execute()
    return [
        row_id
        for (row_id,) in Notification.select(Notification.id)
        .order_by(Notification.system_id, Notification.id)
        .tuples()
    ]


def parts(message) -> tuple[str, ...]:
    text, page = (part.get_payload(decode=True).decode() for part in message.get_payload())
    return str(message["Subject"]), message["Message-ID"], text, page


def composed(rows: list[Claimed], cap: int):
    settings = Settings(base_url=BASE, digest_max_items=cap)
    return compose_listing(
        rows, "dpo@police.example", "David Okafor", settings, "tok", environment(settings)
    )


@pytest.mark.parametrize("cap", [CAP, 10_000])
def test_a_claimed_digest_is_the_one_composed_from_every_payload(migrated, cap):
    ids = recorded(MANY)
    claimed = claiming.claim(ids)
    # Today's e-mail, from rows that carry their payload, in the order claim gives them.
    loaded = Notification.select().where(Notification.id.in_(ids))
    payload_of = {row.id: row.payload for row in loaded}
    whole = [Claimed(row.key, row.mandatory, row.sweep_date, payload_of[row.id]) for row in claimed]
    message, listing = composed(claimed, cap)
    assert parts(message) == parts(composed(whole, cap)[0])
    if cap == CAP:
        assert len(listing) == CAP and set(listing) <= set(ids)
        assert len(listed(parts(message)[2])) == CAP
    else:
        assert listing is None  # every row listed


def test_payloads_are_read_for_the_rows_shown_only(migrated, monkeypatch):
    many = [
        {**item, "title": f"{item['title']} #{copy}"} for copy in range(10) for item in MANY
    ]  # 400 rows in four groups
    ids = recorded(many)
    read: list[int] = []
    real = claiming.payloads_by_id
    monkeypatch.setattr(claiming, "payloads_by_id", lambda chunk: read.extend(chunk) or real(chunk))
    statements: list[str] = []
    database = Notification._meta.database.obj  # the proxy's database
    execute = database.execute_sql
    monkeypatch.setattr(
        database,
        "execute_sql",
        lambda sql, *a, **k: statements.append(sql) or execute(sql, *a, **k),
    )
    claimed = claiming.claim(ids)
    assert read == [] and not any(row.loaded for row in claimed)
    # The rows are read back by the statement that takes them.
    assert any(sql.startswith("UPDATE") and "RETURNING" in sql for sql in statements)
    assert not any(sql.startswith("SELECT") for sql in statements)
    # No statement of the claim reads a payload whole, only its due date out of it.
    for sql in statements:
        assert "payload" not in sql.replace("payload->>'due'", "").replace(
            "json_extract(payload, '$.due')", ""
        )
    message, listing = composed(claimed, CAP)
    groups = {row.system_id for row in claimed}
    assert len(read) == len(set(read)) <= CAP + len(groups)  # one query, each row once
    assert set(listing) <= set(read)
    assert sum(row.loaded for row in claimed) == len(read)
    assert "400 items need your attention" in parts(message)[0]


def test_a_message_listing_every_row_takes_their_payloads_with_them(migrated, monkeypatch):
    ids = recorded(ROWS)
    read: list[int] = []
    real = claiming.payloads_by_id
    monkeypatch.setattr(claiming, "payloads_by_id", lambda chunk: read.extend(chunk) or real(chunk))
    stored = {row.id: row.payload for row in Notification.select()}
    claimed = claiming.claim(ids, payloads=True)
    assert all(row.loaded for row in claimed)
    assert {row.id: row.payload for row in claimed} == stored
    whole = [Claimed(row.key, row.mandatory, row.sweep_date, stored[row.id]) for row in claimed]
    message, listing = composed(claimed, 10_000)
    assert read == [] and listing is None  # nothing read again, every row listed
    assert parts(message) == parts(composed(whole, 10_000)[0])


def test_an_uncapped_claimed_digest_reads_every_payload_once(migrated, monkeypatch):
    ids = recorded(ROWS)
    read: list[int] = []
    real = claiming.payloads_by_id
    monkeypatch.setattr(claiming, "payloads_by_id", lambda chunk: read.extend(chunk) or real(chunk))
    _, listing = composed(claiming.claim(ids), 10_000)
    assert sorted(read) == sorted(ids) and listing is None


def test_a_capped_digest_marks_the_rows_it_counted_not_listed(seeded, smtp):
    settings = seeded.with_overrides(digest_max_items=CAP)
    sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), settings)
    messages = ledger.messages(load_preferences())
    largest = max(messages, key=lambda message: len(message.ids))
    assert len(largest.ids) > CAP
    deliver(messages, settings, final_attempt=False)
    rows = Notification.select().where(Notification.id.in_(largest.ids))
    assert {row.state for row in rows} == {"sent"}
    assert len({row.message_id for row in rows}) == 1  # listed or counted: the same e-mail
    assert sum(row.listed for row in rows) == CAP
    smaller = [message for message in messages if len(message.ids) <= CAP]
    assert smaller  # and a digest under the cap lists every row
    everyone = Notification.select().where(Notification.id.in_(smaller[0].ids))
    assert all(row.listed for row in everyone)


def reminded(item: ReminderItem, times: int, listed: bool) -> None:
    """``times`` reminders of ``item``, sent on the days before TODAY, ``listed`` or counted."""
    for day in range(times):
        Notification.create(
            key=f"{item.item_key}|{listed}|{day}",
            recipient="lea.martin@police.example",
            kind=item.kind,
            item_key=item.item_key,
            window=f"d{day}",
            sweep_date=TODAY - timedelta(days=day + 1),
            payload=item.payload(),
            state="sent",
            message_id=f"<m{day}@police.example>",
            listed=listed,
        )


def test_an_item_counted_but_not_listed_does_not_escalate(migrated):
    settings = Settings()
    person = [Recipient("lea.martin@police.example")]
    dpos = [Recipient("dpo@police.example")]
    counted = ReminderItem("missing", "1:counted", person, "Counted", "missing", system_id=1)
    named = ReminderItem("missing", "1:named", person, "Named", "missing", system_id=1)
    times = settings.escalate_after
    reminded(counted, times, listed=False)
    reminded(named, times, listed=True)
    sent = sent_counts({"1:counted": "missing", "1:named": "missing"}, TODAY)
    assert sent == {"1:named": times}
    assert escalation_for(counted, sent.get("1:counted", 0), settings, dpos) is None
    escalation = escalation_for(named, sent["1:named"], settings, dpos)
    assert escalation is not None and escalation.kind == "escalation"
    # Counted ones do not add up to listed ones either.
    reminded(counted, times - 1, listed=True)
    assert sent_counts({"1:counted": "missing"}, TODAY) == {"1:counted": times - 1}


def test_rows_written_before_schema_19_count_as_listed(database_url):
    from tracker import schema

    database = db.bind(database_url)
    with database.connection_context():
        schema.upgrade(database, target=18)
        param = "%s" if db.is_postgres(database) else "?"
        database.execute_sql(
            'INSERT INTO notification (key, recipient, recipient_name, kind, item_key, "window", '
            "system_id, requirement_id, mandatory, sweep_date, payload, status, state, attempts, "
            "last_error, message_id, created_at) VALUES "
            f"('a', 'x@police.example', '', 'missing', '1:r', 'w', 1, 'r', {param}, {param}, "
            f"{param}, 'missing', 'sent', 1, '', '<m>', {param})",
            (True, TODAY - timedelta(days=1), '{"status": "missing"}', "2026-01-01 00:00:00"),
        )
        schema.upgrade(database)
        assert schema.drift(database) == ""
        assert Notification.get().listed is True
        indexes = {index.name for index in database.get_indexes("notification")}
        assert "notification_state_sweep_date_item_key_status_kind_listed" in indexes
        assert "notification_state_sweep_date_item_key_status_kind" not in indexes
        assert sent_counts({"1:r": "missing"}, TODAY) == {"1:r": 1}


def test_schema_20_drops_the_ledger_indexes_no_query_needs(database_url):
    from tracker import schema

    database = db.bind(database_url)
    with database.connection_context():
        schema.upgrade(database, target=19)
        before = {index.name for index in database.get_indexes("notification")}
        assert {"notification_state", "notification_item_key"} <= before
        schema.upgrade(database)
        assert schema.drift(database) == ""
        after = {index.name for index in database.get_indexes("notification")}
        assert after == before - {"notification_state", "notification_item_key"}


def test_claims_and_sent_marks_commit_without_waiting_for_the_disk(migrated, monkeypatch):
    """Twice an e-mail, waiting for PostgreSQL's disk was what limited delivery (claiming's
    module doc); what a database crash can lose of them is what a worker's death loses."""
    ids = recorded(MANY[:3])
    asked: list[bool] = []
    real = db.write_transaction

    def recording(*, wait_for_disk: bool = True):
        asked.append(wait_for_disk)
        return real(wait_for_disk=wait_for_disk)

    monkeypatch.setattr(claiming, "write_transaction", recording)
    claiming.mark_sent([row.id for row in claiming.claim(ids)], "<m@tracker>")
    assert asked == [False, False]
    states = {state for (state,) in Notification.select(Notification.state).tuples()}
    assert states == {"sent"}
