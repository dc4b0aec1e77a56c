"""A delivery killed right after the SMTP server's 250 (issue 12, item 8): each message is marked
sent as soon as the server took it, so a new delivery resends nothing but the one message the
dead process had in hand, and only once its claim is stale, with the same Message-ID.

The kill is a SystemExit raised right after the real send returns (the server has answered 250
to the DATA), which nothing in the delivery catches, as nothing would run after a SIGKILL.
"""

import signal
import threading
from datetime import date, timedelta

import pytest
from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

from tests.conftest import DEPLOYMENT
from tracker import db
from tracker.models import Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.mail import SmtpConnection
from tracker.reminders.planning import load_preferences

TODAY = date.today()


def pending_messages() -> list[ledger.Message]:
    return ledger.messages(load_preferences())


def committed_states(url: str, ids: list[int]) -> set[tuple[str, str]]:
    """(state, Message-ID) of these rows as another process sees them: over a connection of
    its own, so only what was committed counts."""
    other = db.open_database(url, create=False)
    try:
        listed = ", ".join(str(int(i)) for i in ids)
        cursor = other.execute_sql(
            f"SELECT state, message_id FROM notification WHERE id IN ({listed})"
        )
        return set(cursor.fetchall())
    finally:
        other.close()


def test_a_delivery_killed_after_the_250_resends_only_the_message_in_hand_once_stale(
    seeded, smtp, monkeypatch
):
    sweep(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    messages = pending_messages()
    assert len(messages) >= 3
    accepted = []
    real_send = SmtpConnection.send

    def send_then_die(self, message, sender, recipient):
        real_send(self, message, sender, recipient)  # returns once the server said 250
        accepted.append(message["Message-ID"])
        # Each message taken before is already marked sent, for every other process to see.
        for earlier, message_id in zip(messages, accepted[:-1], strict=False):
            assert committed_states(seeded.database_url, earlier.ids) == {("sent", message_id)}
        if len(accepted) == 2:
            raise SystemExit("killed between the server's 250 and the ledger update")

    monkeypatch.setattr(SmtpConnection, "send", send_then_die)
    with pytest.raises(SystemExit):
        deliver(messages, seeded, final_attempt=False)
    monkeypatch.undo()

    first, killed = messages[0], messages[1]
    assert committed_states(seeded.database_url, first.ids) == {("sent", accepted[0])}
    # The one message in hand is still claimed: the window of one database write.
    assert committed_states(seeded.database_url, killed.ids) == {("sending", "")}
    untouched = [i for m in messages[2:] for i in m.ids]
    assert {state for state, _ in committed_states(seeded.database_url, untouched)} == {"pending"}

    # Another worker right away: everything else goes, nothing twice, the claim is respected.
    again = deliver(pending_messages(), seeded, final_attempt=False)
    assert again.sent == len(messages) - 2
    ids = [m["Message-ID"] for m in smtp.mailbox.received]
    assert len(ids) == len(set(ids)) == len(messages)

    # Once the claim is stale, the message in hand goes once more: the one duplicate, under the
    # same Message-ID, so a mail client can drop it.
    Notification.update(claimed_at=db.utcnow() - ledger.STALE_CLAIM - timedelta(seconds=1)).where(
        Notification.id.in_(killed.ids)
    ).execute()
    last = deliver(pending_messages(), seeded, final_attempt=False)
    assert last.sent == 1
    ids = [m["Message-ID"] for m in smtp.mailbox.received]
    assert len(ids) == len(messages) + 1 and ids[-1] == accepted[1] == ids[1]
    assert deliver(pending_messages(), seeded, final_attempt=False).sent == 0
    assert Notification.select().where(Notification.state != "sent").count() == 0


def test_the_job_timeout_never_falls_between_the_250_and_the_ledger_write(
    seeded, smtp, monkeypatch
):
    """RQ's job timeout is a SIGALRM whose handler raises inside the job wherever it runs; due
    right as the server says 250, it is held back until the message is marked sent."""
    sweep(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    messages = pending_messages()
    real_send = SmtpConnection.send

    def send_then_time_out(self, message, sender, recipient):
        real_send(self, message, sender, recipient)
        # The alarm RQ set for the job goes off now (to this thread: a work horse has no other).
        signal.pthread_kill(threading.main_thread().ident, signal.SIGALRM)

    monkeypatch.setattr(SmtpConnection, "send", send_then_time_out)
    with (
        pytest.raises(JobTimeoutException),
        UnixSignalDeathPenalty(600, JobTimeoutException, job_id="deliver"),
    ):
        deliver(messages, seeded, final_attempt=False)

    assert len(smtp.mailbox.received) == 1  # the timeout ended the job after the first message
    taken = smtp.mailbox.received[0]["Message-ID"]
    assert committed_states(seeded.database_url, messages[0].ids) == {("sent", taken)}
    rest = [i for m in messages[1:] for i in m.ids]
    assert {state for state, _ in committed_states(seeded.database_url, rest)} == {"pending"}
