"""Failed reminders are sent again until delivered or no longer due; a second sweep sends nothing.

Real services throughout: an aiosmtpd server that is down or refuses, then accepts; the real
Redis with RQ workers for the retry schedule.
"""

import time
from collections import Counter
from datetime import date, timedelta

import pytest
from rq import Queue, SimpleWorker

from tests.conftest import DEPLOYMENT
from tracker import accounts, config, waivers
from tracker.models import AISystem, Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import jobs, ledger
from tracker.reminders.delivery import DeliveryFailed, deliver, sweep
from tracker.reminders.planning import load_preferences

TODAY = date.today()


def run(settings, as_of=TODAY, final=False):
    """What ``tracker reminders run`` does: sweep, then send everything deliverable."""
    result = sweep(as_of, load_catalogue(deployment=DEPLOYMENT), settings)
    sent = deliver(ledger.messages(load_preferences()), settings, final_attempt=final)
    return result, sent


def outage(settings, smtp, as_of=TODAY):
    """A sweep whose delivery fails on every try of the retry schedule: everything ends failed."""
    smtp.stop()
    with pytest.raises(DeliveryFailed):
        run(settings, as_of, final=True)
    smtp.start()


def states(**where) -> Counter:
    query = Notification.select(Notification.state)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return Counter(state for (state,) in query.tuples())


def recipients(smtp) -> list[str]:
    return [m["To"].addresses[0].addr_spec for m in smtp.mailbox.received]


def test_failed_reminders_go_out_with_the_next_run_exactly_once(seeded, smtp):
    outage(seeded, smtp)
    total = Notification.select().count()
    assert states() == {"failed": total}
    result, sent = run(seeded)  # `tracker reminders run` again the same day, SMTP back
    assert result.new == 0 and sent.sent > 0
    assert states() == {"sent": total}
    people = recipients(smtp)
    assert len(people) == len(set(people)) == sent.sent  # one e-mail each, once
    tried = Notification.select().first()
    assert tried.attempts == 2 and "ConnectionRefusedError" in tried.last_error  # still visible

    run(seeded)  # and never again
    assert len(smtp.mailbox.received) == len(people)


def test_after_an_outage_the_next_day_sends_each_item_once_and_closes_what_it_replaces(
    seeded, smtp
):
    # 20 days before the demo's waiver ends: its approver's lead-30 reminder keeps its key from
    # one day to the next, while the daily digest items get the next day's key.
    day = TODAY + timedelta(days=100)
    outage(seeded, smtp, day)
    failed = [n.key for n in Notification.select()]
    _, sent = run(seeded, day + timedelta(days=1))
    people = recipients(smtp)
    assert people and len(people) == len(set(people)) == sent.sent
    # Nothing of the failed day is left waiting: each row went out, or a newer one carried it.
    after = list(Notification.select().where(Notification.key.in_(failed)))
    assert {n.state for n in after} == {"sent", "obsolete"}
    resent = [n for n in after if n.state == "sent"]
    assert {n.kind for n in resent} == {"waiver_expiring"} and resent[0].window == "lead-30"
    assert all(n.attempts == 2 and n.last_error for n in resent)
    replaced = [n for n in after if n.state == "obsolete"]
    assert replaced and all(n.attempts == 1 and n.last_error for n in replaced)
    # ... and nobody reads the same item twice in one e-mail.
    for recipient in set(people):
        about = Counter(
            (n.kind, n.item_key)
            for n in Notification.select().where(
                (Notification.recipient == recipient) & (Notification.state == "sent")
            )
        )
        assert max(about.values()) == 1, recipient


def test_a_failed_reminder_whose_item_is_no_longer_due_is_closed_not_sent(
    seeded, smtp, client, auth
):
    outage(seeded, smtp)
    crime = AISystem.get(AISystem.name == "Crime report chatbot")
    requirement = "toolkit.public_engagement"

    def about():
        return list(
            Notification.select().where(
                (Notification.system_id == crime.id) & (Notification.requirement_id == requirement)
            )
        )

    assert {n.state for n in about()} == {"failed"}
    waiver = waivers.request_waiver(  # the item stops being due: the requirement is waived
        crime,
        requirement,
        "Engagement runs through the city's citizens' panel this year, recorded there.",
        TODAY + timedelta(days=200),
        accounts.get_user("l.martin"),
        "test",
        load_catalogue(deployment=DEPLOYMENT),
    )
    waivers.approve_waiver(waiver, accounts.get_user("d.okafor"), "Accepted.", "test")

    result, sent = run(seeded)
    closed = about()
    assert sent.sent > 0 and result.closed == len(closed)
    assert {(n.state, n.message_id, n.sent_at) for n in closed} == {("obsolete", "", None)}
    assert all(n.attempts == 1 and "ConnectionRefusedError" in n.last_error for n in closed)
    everything_else = Notification.select().where(Notification.id.not_in([n.id for n in closed]))
    assert {n.state for n in everything_else} == {"sent"}
    # The API lists what was closed, with its tries and the last error.
    listed = client.get("/api/notifications?state=obsolete", headers=auth("auditor")).json
    assert {n["id"] for n in listed} == {n.id for n in closed}
    assert all(n["attempts"] == 1 and "Connection" in n["last_error"] for n in listed)


def test_a_second_sweep_on_the_same_day_sends_nothing_not_even_escalations(seeded, smtp):
    for day in range(seeded.escalate_after + 1):
        as_of = TODAY + timedelta(days=day)
        run(seeded, as_of)
        before = len(smtp.mailbox.received)
        result, sent = run(seeded, as_of)  # a second sweep the same day, nothing wrong
        assert (result.new, sent.sent, len(smtp.mailbox.received)) == (0, 0, before), as_of
    # Escalation still happens, once, on the day the items were reminded often enough.
    escalated = Notification.select().where(Notification.kind == "escalation")
    assert escalated.count() > 0
    assert {n.sweep_date for n in escalated} == {TODAY + timedelta(days=seeded.escalate_after)}


def test_a_refused_address_fails_alone_and_is_tried_again(seeded, smtp):
    smtp.mailbox.refused.add("hana.novak@police.example")
    _, sent = run(seeded)
    assert sent.failed == 1 and "hana.novak@police.example" in sent.errors[0]
    assert "hana.novak@police.example" not in recipients(smtp)
    assert len(recipients(smtp)) == sent.sent > 1  # everyone else still got theirs
    assert set(states(recipient="hana.novak@police.example")) == {"failed"}
    refused = Notification.get(Notification.recipient == "hana.novak@police.example")
    assert "550" in refused.last_error

    smtp.mailbox.refused.clear()  # the mailbox exists again
    _, again = run(seeded)
    assert again.sent == 1 and recipients(smtp).count("hana.novak@police.example") == 1
    assert set(states(recipient="hana.novak@police.example")) == {"sent"}


def test_a_temporary_refusal_is_retried_rather_than_failed(seeded, smtp):
    smtp.mailbox.busy.add("hana.novak@police.example")
    with pytest.raises(DeliveryFailed, match="451"):  # the job is retried on its schedule
        run(seeded)
    assert "failed" not in states()
    assert set(states(recipient="hana.novak@police.example")) == {"pending"}

    smtp.mailbox.busy.clear()
    run(seeded)
    people = recipients(smtp)
    assert people.count("hana.novak@police.example") == 1 and len(people) == len(set(people))
    assert states() == {"sent": Notification.select().count()}


def work(redis) -> None:
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=redis)], connection=redis).work(
        burst=True, with_scheduler=True
    )


def test_an_outage_longer_than_the_retries_is_delivered_by_the_next_sweep(
    seeded, worker_environment, redis, smtp
):
    tries = 1 + len(config.from_environ().retry_intervals)  # the first, then the retries
    smtp.stop()
    queue = Queue(jobs.QUEUE_NAME, connection=redis)
    queue.enqueue(jobs.sweep_job, TODAY.isoformat())
    for _ in range(tries):  # each try of the retry schedule is refused
        work(redis)
        time.sleep(1.2)
    work(redis)
    total = Notification.select().count()
    assert states() == {"failed": total}
    assert {n.attempts for n in Notification.select()} == {tries}  # every try counted

    smtp.start()
    queue.enqueue(jobs.sweep_job, TODAY.isoformat())  # the next sweep, e.g. a second scheduler
    work(redis)
    assert states() == {"sent": total}
    people = recipients(smtp)
    assert people and len(people) == len(set(people))
    assert {n.attempts for n in Notification.select()} == {tries + 1}

    queue.enqueue(jobs.sweep_job, TODAY.isoformat())
    work(redis)
    assert len(smtp.mailbox.received) == len(people)
