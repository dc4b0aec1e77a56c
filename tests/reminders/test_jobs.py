"""The reminder jobs on a real Redis with RQ workers, against a real SMTP server."""

import time
from datetime import date

from rq import Queue, SimpleWorker

from tracker.models import Notification
from tracker.reminders import jobs

TODAY = date.today().isoformat()


def work(redis) -> None:
    """Run a worker until the queue is empty (with RQ's scheduler, which runs the retries)."""
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=redis)], connection=redis).work(
        burst=True, with_scheduler=True
    )


def sent_count() -> int:
    return Notification.select().where(Notification.state == "sent").count()


def test_the_worker_runs_the_sweep_and_delivers_the_digests(
    seeded, worker_environment, redis, smtp
):
    queue = Queue(jobs.QUEUE_NAME, connection=redis)
    sweep = queue.enqueue(jobs.sweep_job, TODAY)
    work(redis)
    assert sweep.return_value()["new"] > 0
    delivered = len(smtp.mailbox.received)
    assert delivered > 0 and sent_count() == Notification.select().count()

    queue.enqueue(jobs.sweep_job, TODAY)  # a second sweep the same day
    work(redis)
    assert len(smtp.mailbox.received) == delivered


def test_two_schedulers_do_not_double_the_sweep(seeded, worker_environment, redis, smtp):
    queue = Queue(jobs.QUEUE_NAME, connection=redis)
    queue.enqueue(jobs.sweep_job, TODAY)
    queue.enqueue(jobs.sweep_job, TODAY)  # what a second `tracker scheduler` would add
    work(redis)
    recipients = [m["To"].addresses[0].addr_spec for m in smtp.mailbox.received]
    assert recipients and len(recipients) == len(set(recipients))


def test_a_running_sweep_holds_a_lock(seeded, worker_environment, redis, smtp):
    redis.set(f"tracker:sweep-running:{TODAY}", "1")
    assert jobs.sweep_job(TODAY) == {"as_of": TODAY, "skipped": True}
    assert Notification.select().count() == 0


def test_with_smtp_down_the_delivery_is_retried_and_lands_once_smtp_is_back(
    seeded, worker_environment, redis, smtp
):
    smtp.stop()
    Queue(jobs.QUEUE_NAME, connection=redis).enqueue(jobs.sweep_job, TODAY)
    work(redis)  # the sweep records; the delivery fails and is scheduled for a retry
    assert sent_count() == 0 and smtp.mailbox.received == []
    assert Notification.select().where(Notification.state == "pending").count() > 0
    smtp.start()
    time.sleep(1.2)  # the retry interval in the test settings
    work(redis)
    assert sent_count() == Notification.select().count()
    recipients = [m["To"].addresses[0].addr_spec for m in smtp.mailbox.received]
    assert recipients and len(recipients) == len(set(recipients))


def test_a_delivery_that_keeps_failing_ends_as_failed(seeded, worker_environment, redis, smtp):
    smtp.stop()
    Queue(jobs.QUEUE_NAME, connection=redis).enqueue(jobs.sweep_job, TODAY)
    for _ in range(3):  # the first attempt and two retries
        work(redis)
        time.sleep(1.2)
    work(redis)
    failed = Notification.select().where(Notification.state == "failed")
    assert failed.count() == Notification.select().count() > 0
    assert "Connection refused" in failed.first().last_error
