"""``tracker reminders preview|run|history`` against a real SMTP server."""

import os
import time
from datetime import date

import pytest

from tests.conftest import DEPLOYMENT
from tests.reminders.conftest import SmtpServer
from tests.services import free_port


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def test_preview_then_run_then_history(
    settings, migrated, runner, smtp_server, monkeypatch, demo_agency
):
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(smtp_server.port))
    preview = runner.tracker("reminders", "preview")
    assert preview.exit_code == 0 and "David Okafor <dpo@police.example>" in preview.output
    assert (
        "[operator_certificate] Post-event face search: Certified facial examiners: Pieter de Vries"
        in preview.output
    )
    assert smtp_server.mailbox.received == []  # a preview sends nothing ...
    assert (
        "sent: 0  pending: 0" in runner.tracker("reminders", "history").output
    )  # ... and records nothing

    run = runner.tracker("reminders", "run")
    assert run.exit_code == 0 and "sent" in run.output
    delivered = len(smtp_server.mailbox.received)
    assert delivered > 5
    again = runner.tracker("reminders", "run")
    assert "0 new" in again.output and len(smtp_server.mailbox.received) == delivered
    history = runner.tracker("reminders", "history", "--state", "sent", "--limit", "3").output
    assert "pending: 0" in history and history.count(" sent ") == 3


def test_run_with_smtp_down_says_so_and_keeps_notifications_pending(
    settings, migrated, runner, monkeypatch, demo_agency
):
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(free_port()))
    result = runner.tracker("reminders", "run")
    assert result.exit_code == 1 and "could not send" in result.output
    assert "sent: 0  pending:" in runner.tracker("reminders", "history").output


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_say_plainly_when_redis_is_unreachable(runner, monkeypatch, command):
    monkeypatch.setenv("TRACKER_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    result = runner.tracker(command, *(["--burst"] if command == "worker" else []))
    assert result.exit_code == 1
    assert "cannot reach Redis at redis://127.0.0.1:" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def local_time_zone_restored():
    """`tracker scheduler` sets TZ for its whole process (RQ reads cron times in local time):
    the test process gets its own zone back afterwards."""
    before = os.environ.get("TZ")
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_scheduler_registers_the_sweep_and_both_portfolio_jobs(
    settings, runner, monkeypatch, local_time_zone_restored
):
    """Each of the three nightly jobs, at its cron and timeout, on the tracker's queue, with the
    real Redis; RQ's endless start() is replaced by a look at what was registered before it."""
    from tracker.portfolio import jobs as portfolio_jobs
    from tracker.reminders import jobs

    started = []

    def inspect_instead_of_looping(scheduler) -> None:
        connection = scheduler.connection.connection_pool.connection_kwargs
        started.append(
            {
                "jobs": [
                    (job.func, job.cron, job.job_options.get("job_timeout"), job.queue_name)
                    for job in scheduler.get_jobs()
                ],
                "redis": (connection["host"], connection["port"], connection["db"]),
                "tz": os.environ.get("TZ"),
            }
        )

    monkeypatch.setattr(jobs.SweepScheduler, "start", inspect_instead_of_looping)
    monkeypatch.setenv("TRACKER_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("TRACKER_SWEEP_TIME", "06:45")
    monkeypatch.setenv("TRACKER_TIMEZONE", "Europe/Brussels")
    result = runner.tracker("scheduler")
    assert result.exit_code == 0, result.output
    assert "daily sweep at 06:45 Europe/Brussels" in result.output
    assert len(started) == 1
    assert started[0]["jobs"] == [
        (jobs.sweep_job, "45 6 * * *", 1800, jobs.QUEUE_NAME),  # hour and minute, unpadded
        (portfolio_jobs.refresh_job, portfolio_jobs.CRON, 1800, jobs.QUEUE_NAME),
        (
            portfolio_jobs.chart_points_job,
            portfolio_jobs.CHART_CRON,
            portfolio_jobs.CHART_TIMEOUT,
            jobs.QUEUE_NAME,
        ),
        (
            portfolio_jobs.answers_job,
            portfolio_jobs.ANSWERS_CRON,
            portfolio_jobs.ANSWERS_TIMEOUT,
            jobs.QUEUE_NAME,
        ),
    ]
    # the test worker's own Redis database, pinged before anything was registered
    expected = jobs.redis_connection(settings).connection_pool.connection_kwargs
    assert started[0]["redis"] == (expected["host"], expected["port"], expected["db"])
    assert started[0]["tz"] == "Europe/Brussels"  # the cron times are the agency's


def test_the_api_works_with_redis_unreachable(settings, migrated, auth):
    from tests.factories import profile
    from tracker.app import create_app

    app = create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    client = app.test_client()
    created = client.post("/api/systems", json=profile(), headers=auth("legal"))
    assert created.status_code == 201
    assert (
        client.get(
            f"/api/systems/{created.json['id']}/completeness", headers=auth("dpo")
        ).status_code
        == 200
    )


def test_run_sends_what_failed_before_and_history_keeps_the_failures(
    settings, migrated, runner, smtp_server, monkeypatch, demo_agency
):
    """After an outage longer than the worker's retries, the next `reminders run` delivers."""
    from tracker.plugin_host import load_catalogue
    from tracker.reminders import ledger
    from tracker.reminders.delivery import DeliveryFailed, deliver, sweep
    from tracker.reminders.planning import load_preferences

    down = settings.with_overrides(smtp_host="127.0.0.1", smtp_port=free_port())
    sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), down)
    with pytest.raises(DeliveryFailed):  # the worker's last retry, refused
        deliver(ledger.messages(load_preferences()), down, final_attempt=True)
    assert (
        "sent: 0  pending: 0  sending: 0  failed: " in runner.tracker("reminders", "history").output
    )

    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(smtp_server.port))
    run = runner.tracker("reminders", "run")
    people = {m["To"].addresses[0].addr_spec for m in smtp_server.mailbox.received}
    assert run.exit_code == 0 and "0 new" in run.output
    assert f"{len(people)} e-mails to send" in run.output and len(people) > 5
    assert len(smtp_server.mailbox.received) == len(people)
    history = runner.tracker("reminders", "history", "--state", "sent", "--limit", "2").output
    assert "failed: 0" in history
    assert history.count("(2 attempts, last error: ConnectionRefusedError") == 2
    again = runner.tracker("reminders", "run")
    assert "0 e-mails to send" in again.output
    assert len(smtp_server.mailbox.received) == len(people)
