"""Sweeps and deliveries, inline, against a real SMTP server."""

from datetime import date, timedelta

import pytest

from tests.conftest import DEPLOYMENT
from tracker import db
from tracker.models import Notification, NotificationPreference
from tracker.plugin_host import load_catalogue
from tracker.reminders import claiming, ledger
from tracker.reminders.delivery import DeliveryFailed, deliver, sweep
from tracker.reminders.planning import load_preferences, set_preference

TODAY = date.today()


def run(settings, as_of=TODAY, final=False):
    result = sweep(as_of, load_catalogue(deployment=DEPLOYMENT), settings)
    sent = deliver(ledger.messages(load_preferences()), settings, final_attempt=final)
    return result, sent


def test_a_sweep_delivers_one_digest_per_person_with_the_right_content(seeded, smtp):
    result, sent = run(seeded)
    mailbox = smtp.mailbox
    recipients = {m["To"].addresses[0].addr_spec for m in mailbox.received}
    assert sent.sent == len(mailbox.received) == len(recipients)  # one e-mail per person
    assert {
        "dpo@police.example",
        "lea.martin@police.example",
        "pieter.de.vries@police.example",
    } <= recipients
    dpo = smtp.mailbox.to("dpo@police.example")[0]
    text = smtp.mailbox.text(dpo)
    assert (
        dpo["Subject"].startswith("[AI Evidence Tracker]")
        and "items need your attention" in dpo["Subject"]
    )
    assert "== Live facial recognition on body-worn cameras ==" in text  # grouped by system
    assert "Directive (EU) 2016/680" in text  # each item with its citation ...
    # ... and a link to the page where the reader acts on it (never the API)
    assert "https://tracker.police.example/systems/" in text and "?requirement=eu-led." in text
    assert "/api/" not in text
    assert dpo["Date"] and dpo["Message-ID"].startswith("<reminder.")
    assert dpo.get_body(("html",)).get_content().startswith("<!DOCTYPE html>")
    pieter = smtp.mailbox.text(smtp.mailbox.to("pieter.de.vries@police.example")[0])
    assert "Certified facial examiners: Pieter de Vries" in pieter  # his own certificate runs out
    assert Notification.select().where(Notification.state == "sent").count() == len(result.planned)


def test_a_second_sweep_delivers_nothing_new(seeded, smtp):
    run(seeded)
    first = len(smtp.mailbox.received)
    result, sent = run(seeded)
    assert result.new == 0 and sent.sent == 0 and len(smtp.mailbox.received) == first


def test_the_next_day_reminds_open_items_again_but_not_lead_times_already_sent(seeded, smtp):
    run(seeded)
    expiring_keys = {
        n.key for n in Notification.select().where(Notification.kind == "operator_certificate")
    }
    result, _ = run(seeded, TODAY + timedelta(days=1))
    assert result.new > 0  # open items recur in each daily digest ...
    again = [p for p in result.planned if p.kind == "missing"]
    assert again and all(p.window == (TODAY + timedelta(days=1)).isoformat() for p in again)
    assert not expiring_keys & {p.key for p in result.planned if p.window.startswith("lead")}


def test_smtp_down_keeps_notifications_pending_then_delivers_once_back(seeded, smtp):
    smtp.stop()
    with pytest.raises(DeliveryFailed):
        run(seeded)
    assert Notification.select().where(Notification.state == "sent").count() == 0
    pending = Notification.select().where(Notification.state == "pending").count()
    assert pending > 0
    smtp.start()
    deliver(ledger.messages(load_preferences()), seeded, final_attempt=False)
    assert Notification.select().where(Notification.state == "sent").count() == pending
    assert len(smtp.mailbox.received) == len(
        {m["To"].addresses[0].addr_spec for m in smtp.mailbox.received}
    )


def test_a_send_that_keeps_failing_ends_as_a_visible_failure(seeded, smtp):
    smtp.stop()
    with pytest.raises(DeliveryFailed):
        run(seeded, final=True)
    failed = Notification.select().where(Notification.state == "failed")
    assert failed.count() == Notification.select().count() > 0
    assert "ConnectionRefusedError" in failed.first().last_error


def test_a_message_claimed_by_a_killed_worker_is_sent_again_with_the_same_message_id(seeded, smtp):
    from tracker.db import utcnow

    result = sweep(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    messages = ledger.messages(load_preferences())
    victim = messages[0]
    claiming.claim(victim.ids)  # a worker took it and died before sending
    Notification.update(claimed_at=utcnow() - timedelta(hours=1)).where(
        Notification.id.in_(victim.ids)
    ).execute()
    others = deliver([m for m in messages[1:]], seeded, final_attempt=False)
    assert others.sent == len(messages) - 1
    deliver(ledger.messages(load_preferences()), seeded, final_attempt=False)
    assert len(smtp.mailbox.to(victim.recipient)) == 1
    assert Notification.select().where(Notification.state == "sent").count() == len(result.planned)


def test_a_sweep_leaves_the_planner_statistics_of_the_rows_it_recorded(seeded):
    """Delivery claims each message by its ids right after the sweep; with the statistics of
    the ledger before it, PostgreSQL read every pending row for each claim (sweeping.finish)."""
    result = sweep(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    assert result.new > 0
    if not db.is_postgres():
        return  # SQLite plans by its indexes alone (tests/test_db.py)
    (estimated,) = db.database.execute_sql(
        "SELECT reltuples FROM pg_class WHERE oid = 'notification'::regclass"
    ).fetchone()
    assert estimated == Notification.select().count()


def test_a_fresh_claim_is_not_taken_over(seeded, smtp):
    sweep(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    messages = ledger.messages(load_preferences())
    claiming.claim(messages[0].ids)  # another worker is sending it right now
    sent = deliver(messages, seeded, final_attempt=False)
    assert sent.skipped == 1 and sent.sent == len(messages) - 1
    assert smtp.mailbox.to(messages[0].recipient) == []


def test_preferences_weekly_immediate_and_opting_out(seeded, smtp):
    set_preference("dpo@police.example", frequency="weekly", weekly_day=(TODAY.weekday() + 1) % 7)
    set_preference("pieter.de.vries@police.example", frequency="immediate")
    set_preference(
        "lea.martin@police.example", opted_out=["expiring", "review_overdue", "waiver_expiring"]
    )
    result, _ = run(seeded)
    assert smtp.mailbox.to("dpo@police.example") == []  # not the DPO's weekly day
    pieter = smtp.mailbox.to("pieter.de.vries@police.example")
    assert len(pieter) == len(
        [p for p in result.planned if p.recipient.email == "pieter.de.vries@police.example"]
    )
    assert not [
        p
        for p in result.planned
        if p.recipient.email == "lea.martin@police.example" and not p.mandatory
    ]
    with pytest.raises(Exception, match="mandatory"):
        set_preference("lea.martin@police.example", opted_out=["missing"])


def test_optional_reminders_carry_a_one_click_unsubscribe(seeded, smtp, client):
    run(
        seeded, TODAY + timedelta(days=25)
    )  # reviews waiting more than 14 days: optional reminders to DPOs
    dpo = smtp.mailbox.to("dpo@police.example")[0]
    assert dpo["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = dpo["List-Unsubscribe"].strip().strip("<>")  # the header may be folded
    token = url.rsplit("/", 1)[1]
    response = client.post(url.replace("https://tracker.police.example", ""))
    assert response.status_code == 200 and response.json["opted_out"]
    preference = NotificationPreference.get(NotificationPreference.unsubscribe_token == token)
    assert set(preference.opted_out) == {"expiring", "review_overdue", "waiver_expiring"}


def test_preferences_and_history_through_the_api(seeded, smtp, client, auth):
    assert (
        client.get("/api/me/notification-preferences", headers=auth("legal")).json["frequency"]
        == "daily"
    )
    changed = client.put(
        "/api/me/notification-preferences",
        json={"frequency": "weekly", "weekly_day": 4},
        headers=auth("legal"),
    )
    assert changed.status_code == 200 and changed.json["weekly_day"] == 4
    refused = client.put(
        "/api/me/notification-preferences",
        json={"opted_out": ["escalation"]},
        headers=auth("legal"),
    )
    assert refused.status_code == 422 and "mandatory" in refused.json["errors"][0]["detail"]
    run(seeded)
    history = client.get("/api/notifications?state=sent&page_size=5", headers=auth("auditor"))
    assert history.status_code == 200 and len(history.json) == 5
    assert all(
        n["state"] == "sent" and n["message_id"].startswith("<reminder.") for n in history.json
    )
    assert client.get("/api/notifications", headers=auth("viewer")).status_code == 403


def test_events_are_recorded_through_the_api(seeded, client, auth):
    from tracker.models import AISystem

    live = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    created = client.post(
        f"/api/systems/{live.id}/events",
        headers=auth("legal"),
        json={
            "kind": "use",
            "occurred_at": "2026-11-20T10:30:00+01:00",
            "description": "Stadium search",
        },
    )
    assert created.status_code == 201 and created.json["occurred_at"].startswith("2026-11-20T09:30")
    listed = client.get(f"/api/systems/{live.id}/events", headers=auth("viewer")).json
    # Newest first: after the demo's own recent uses of the system.
    assert [e["description"] for e in listed][-1] == "Stadium search"
    bad = client.post(
        f"/api/systems/{live.id}/events", json={"kind": "party"}, headers=auth("legal")
    )
    assert {e["field"] for e in bad.json["errors"]} == {"kind", "occurred_at"}


def test_moving_time_forward_escalates_ignored_items_to_the_dpo(seeded, smtp):
    from tracker.models import Notification as Sent

    def escalations_to_dpo():
        return [
            m
            for m in smtp.mailbox.to("dpo@police.example")
            if "with no change" in smtp.mailbox.text(m)
        ]

    for day in range(seeded.escalate_after):  # the same open items, reminded day after day
        run(seeded, TODAY + timedelta(days=day))
        assert escalations_to_dpo() == []
    run(seeded, TODAY + timedelta(days=seeded.escalate_after))
    escalated = escalations_to_dpo()
    assert len(escalated) == 1  # one digest, carrying every escalated item
    assert "Reminded repeatedly with no change: missing" in smtp.mailbox.text(escalated[0])
    assert Sent.select().where(Sent.kind == "escalation").count() > 0

    # Moving on another day does not escalate the same items again (an item reminded for the
    # first time later, such as a use's duty once overdue, escalates on its own day).
    def escalated_items():
        return {n.item_key for n in Sent.select().where(Sent.kind == "escalation")}

    before = escalated_items()
    count = Sent.select().where(Sent.kind == "escalation").count()
    run(seeded, TODAY + timedelta(days=seeded.escalate_after + 1))
    again = Sent.select().where(Sent.kind == "escalation").order_by(Sent.id).offset(count)
    assert not {n.item_key for n in again} & before
