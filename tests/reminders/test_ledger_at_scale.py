"""The ledger at scale: escalation counted in SQL exactly as it was counted in Python, the status
column filled for rows written before it, and old days pruned after the audit trail says what
was sent."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from tests.conftest import DEPLOYMENT
from tracker import audit, db, schema
from tracker.config import ESCALATION_LOOKBACK_DAYS, ConfigError, from_environ
from tracker.models import AuditEvent, Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import escalation, jobs, ledger, retention, sweeping
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.escalation import sent_counts
from tracker.reminders.items import collect
from tracker.reminders.planning import load_preferences, plan

TODAY = date.today()
STATUSES = ("missing", "rejected", "expired", "overdue")


def counted_in_python(statuses: dict[str, str], as_of: date) -> dict[str, int]:
    """The escalation count as it was before schema 12: every sent row of the look-back loaded,
    its payload's status compared in Python."""
    since = as_of - timedelta(days=ESCALATION_LOOKBACK_DAYS)
    sent: dict[str, int] = defaultdict(int)
    for item_key, payload in (
        Notification.select(Notification.item_key, Notification.payload)
        .where(
            (Notification.state == "sent")
            & (Notification.kind != "escalation")
            & (Notification.sweep_date >= since)
            & (Notification.sweep_date < as_of)
        )
        .tuples()
    ):
        if item_key in statuses and payload.get("status") == statuses[item_key]:
            sent[item_key] += 1
    return dict(sent)


def test_escalation_counts_in_sql_agree_with_the_python_count(migrated):
    rng = random.Random(13)
    keys = [f"{n}:req.{n % 7}" for n in range(40)]
    rows = []
    for number in range(3000):
        status = rng.choice(STATUSES)
        rows.append(
            {
                "key": f"k{number}",
                "recipient": f"p{rng.randrange(5)}@police.example",
                "kind": rng.choice(("missing", "rejected", "expired", "escalation", "expiring")),
                "item_key": rng.choice(keys),
                "window": "w",
                "sweep_date": TODAY
                - timedelta(days=rng.randrange(-3, ESCALATION_LOOKBACK_DAYS + 5)),
                "payload": {"status": status},
                "status": status,
                "state": rng.choice(("sent", "sent", "sent", "pending", "failed", "obsolete")),
                "created_at": db.utcnow(),
            }
        )
    with db.write_transaction():
        Notification.insert_many(rows).execute()
    for as_of in (TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=40)):
        statuses = {key: rng.choice(STATUSES) for key in keys if rng.random() < 0.8}
        expected = counted_in_python(statuses, as_of)
        assert sent_counts(statuses, as_of) == expected
        assert sum(expected.values()) > 100  # the comparison is not between two empty answers


def test_rows_written_before_schema_12_get_their_status_from_the_payload(database_url):
    database = db.bind(database_url)
    with database.connection_context():
        schema.upgrade(database, target=11)
        param = "%s" if db.is_postgres(database) else "?"
        database.execute_sql(
            'INSERT INTO notification (key, recipient, recipient_name, kind, item_key, "window", '
            "system_id, requirement_id, mandatory, sweep_date, payload, state, attempts, "
            "last_error, message_id, created_at) VALUES "
            f"('a', 'x@police.example', '', 'missing', '1:r', 'w', 1, 'r', {param}, {param}, "
            f"{param}, 'sent', 1, '', '<m>', {param})",
            (True, TODAY - timedelta(days=1), '{"status": "rejected"}', "2026-01-01 00:00:00"),
        )
        schema.upgrade(database)
        assert schema.drift(database) == ""
        assert Notification.get().status == "rejected"
        assert sent_counts({"1:r": "rejected"}, TODAY) == {"1:r": 1}


def test_escalation_over_days_of_digests_is_what_the_python_count_gave(seeded, smtp, monkeypatch):
    """Day after day of unchanged reminders, sent: each day's escalations (which, in which
    round, saying how many times) are exactly those of the count made in Python."""
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    start = TODAY - timedelta(days=7)
    seen = 0
    for offset in range(8):
        day = start + timedelta(days=offset)

        def escalations(day=day):
            return [
                (i.item_key, i.window, i.title, [r.email for r in i.recipients])
                for i in collect(day, catalogue, seeded)
                if i.kind == "escalation"
            ]

        in_sql = escalations()
        with monkeypatch.context() as patched:
            patched.setattr(escalation, "sent_counts", counted_in_python)
            in_python = escalations()
        assert in_sql == in_python
        seen += len(in_sql)
        sweep(day, catalogue, seeded)
        deliver(ledger.messages(load_preferences()), seeded, final_attempt=True)
    assert seen, "nothing escalated in a week of unchanged reminders"


def _sent_day(settings, day: date) -> tuple[set[str], dict[str, set[str]]]:
    """Sweep and deliver ``day``; its Message-IDs, and each recipient's."""
    sweep(day, load_catalogue(deployment=DEPLOYMENT), settings)
    deliver(ledger.messages(load_preferences()), settings, final_attempt=True)
    by_recipient: dict[str, set[str]] = defaultdict(set)
    for recipient, message_id in (
        Notification.select(Notification.recipient, Notification.message_id)
        .where((Notification.sweep_date == day) & (Notification.state == "sent"))
        .tuples()
    ):
        by_recipient[recipient].add(message_id)
    return {m for ids in by_recipient.values() for m in ids}, by_recipient


def test_days_older_than_the_retention_are_pruned_and_the_audit_trail_says_what_was_sent(
    seeded, smtp
):
    settings = seeded.with_overrides(reminder_ledger_retention_days=200)
    old = TODAY - timedelta(days=300)
    kept = TODAY - timedelta(days=200)  # the first day kept
    old_ids, old_by_recipient = _sent_day(settings, old)
    _sent_day(settings, kept)
    rows_old = Notification.select().where(Notification.sweep_date == old).count()
    kept_rows = Notification.select().where(Notification.sweep_date == kept).count()
    assert old_ids and rows_old and kept_rows

    pruned = retention.prune(TODAY, settings, actor="test")

    assert pruned.days == [old] and pruned.rows == rows_old and pruned.emails == len(old_ids)
    assert not Notification.select().where(Notification.sweep_date == old).exists()
    assert Notification.select().where(Notification.sweep_date == kept).count() == kept_rows
    event = AuditEvent.get(
        (AuditEvent.action == "reminders.pruned") & (AuditEvent.entity_id == old.isoformat())
    )
    said = event.after
    assert said["sweep_date"] == old.isoformat() and said["rows"] == rows_old
    assert said["by_state"] == {"sent": rows_old}
    assert said["emails_sent"] == len(old_ids)
    assert {r: s["emails"] for r, s in said["recipients"].items()} == {
        r: len(ids) for r, ids in old_by_recipient.items()
    }
    assert sum(s["reminders"] for s in said["recipients"].values()) == rows_old
    assert sum(said["sent_by_kind"].values()) == rows_old
    assert audit.verify().ok

    again = retention.prune(TODAY, settings, actor="test")
    assert again.days == [] and again.rows == 0
    assert AuditEvent.select().where(AuditEvent.action == "reminders.pruned").count() == 1


def test_escalation_reads_nothing_that_pruning_removes(seeded):
    """The retention is longer than the look-back (config refuses anything shorter), so a prune
    never changes what escalation counts."""
    settings = seeded.with_overrides(reminder_ledger_retention_days=ESCALATION_LOOKBACK_DAYS + 1)
    assert retention.cutoff(TODAY, settings) < TODAY - timedelta(days=ESCALATION_LOOKBACK_DAYS)


def test_the_daily_sweep_job_prunes_the_ledger(
    seeded, worker_environment, redis, smtp, monkeypatch
):
    monkeypatch.setenv("TRACKER_REMINDER_LEDGER_RETENTION_DAYS", "150")
    old = TODAY - timedelta(days=151)
    Notification.create(
        key="old",
        recipient="lea.martin@police.example",
        kind="missing",
        item_key="1:r",
        window="w",
        sweep_date=old,
        payload={"status": "missing"},
        state="sent",
        message_id="<old@tracker>",
    )
    jobs.sweep_job(TODAY.isoformat())
    assert not Notification.select().where(Notification.sweep_date == old).exists()
    event = AuditEvent.get(AuditEvent.action == "reminders.pruned")
    assert event.entity_id == old.isoformat() and event.actor == "scheduler"
    assert event.after["recipients"]["lea.martin@police.example"]["emails"] == 1


def test_cli_prunes_and_says_how_much(runner, migrated):
    old = TODAY - timedelta(days=500)
    for number in range(3):
        Notification.create(
            key=f"old{number}",
            recipient="lea.martin@police.example",
            kind="missing",
            item_key=f"{number}:r",
            window="w",
            sweep_date=old,
            payload={"status": "missing"},
            state="sent",
            message_id="<old@tracker>",
        )
    result = runner.tracker("reminders", "prune")
    assert result.exit_code == 0
    assert "3 ledger rows of 1 sweep day before" in result.output
    assert "summarised in the audit trail" in result.output
    assert not Notification.select().where(Notification.sweep_date == old).exists()
    again = runner.tracker("reminders", "prune")
    assert "nothing to prune" in again.output


def test_a_sweep_in_chunks_derives_and_plans_exactly_what_the_whole_agency_at_once_does(
    seeded, smtp, monkeypatch
):
    """Chunks of two systems against items.collect over the whole portfolio: the same items
    (recipients, titles, windows, payloads), escalations included, and the same notifications,
    in the same order within each system."""
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    for offset in range(4, 0, -1):  # a few days sent: escalations (agency-wide ones too)
        sweep(TODAY - timedelta(days=offset), catalogue, seeded)
        deliver(ledger.messages(load_preferences()), seeded, final_attempt=True)
    monkeypatch.setattr(sweeping, "CHUNK", 2)

    chunked = sweeping.run(TODAY, catalogue, seeded, record=False)
    whole = collect(TODAY, catalogue, seeded)

    def described(items):
        return [
            (i.kind, i.item_key, [r.email for r in i.recipients], i.title, i.window, i.payload())
            for i in items
        ]

    def per_system(rows):
        grouped = defaultdict(list)
        for row in rows:
            grouped[row[5]["system_id"]].append(row)
        return dict(grouped)

    assert sorted(map(repr, described(chunked.items))) == sorted(map(repr, described(whole)))
    assert per_system(described(chunked.items)) == per_system(described(whole))
    assert any(i.kind == "escalation" and i.system_id is None for i in whole)
    assert any(i.kind == "escalation" and i.system_id is not None for i in whole)
    planned = plan(whole, TODAY, load_preferences())
    assert [p.key for p in chunked.planned if p.system_id is None] == [
        p.key for p in planned if p.system_id is None
    ]
    assert sorted(p.key for p in chunked.planned) == sorted(p.key for p in planned)
    assert chunked.item_count == len(whole) and chunked.planned_count == len(planned)


@pytest.mark.parametrize("value", ["120", "30", "0", "3651", "a year"])
def test_a_retention_not_longer_than_the_look_back_is_refused_naming_the_setting(value):
    with pytest.raises(ConfigError, match="TRACKER_REMINDER_LEDGER_RETENTION_DAYS"):
        from_environ({"TRACKER_REMINDER_LEDGER_RETENTION_DAYS": value})


def test_the_retention_defaults_to_more_than_the_look_back():
    assert from_environ({}).reminder_ledger_retention_days == 400 > ESCALATION_LOOKBACK_DAYS
    assert (
        from_environ(
            {"TRACKER_REMINDER_LEDGER_RETENTION_DAYS": "121"}
        ).reminder_ledger_retention_days
        == 121
    )
