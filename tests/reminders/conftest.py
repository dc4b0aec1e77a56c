"""A real SMTP server (aiosmtpd) and the real Redis for reminder tests."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from redis import Redis

from tests.services import free_port, redis_url_for_this_worker
from tracker.reminders import jobs


class Mailbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()  # addresses answered with a permanent refusal
        self.busy: set[str] = set()  # addresses answered with "try again later"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        if address in self.busy:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if address in m["To"]]

    def text(self, message: email.message.EmailMessage) -> str:
        return message.get_body(("plain",)).get_content()


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def reminder_settings(settings, smtp, services):
    return settings.with_overrides(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        redis_url=redis_url_for_this_worker(services.redis_url),
        retry_intervals=(1, 1),
        base_url="https://tracker.police.example",
    )


@pytest.fixture
def redis(reminder_settings) -> Redis:
    connection = Redis.from_url(reminder_settings.redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def worker_environment(reminder_settings, monkeypatch):
    """The environment a worker process would have, so RQ jobs find the test database."""
    s = reminder_settings
    for name, value in {
        "TRACKER_ENV": "testing",
        "TRACKER_DATABASE_URL": s.database_url,
        "TRACKER_DATA_DIR": str(s.data_dir),
        "TRACKER_EVIDENCE_DIR": str(s.evidence_dir),
        "TRACKER_AGENCY_COUNTRIES": ",".join(s.agency_countries),
        "TRACKER_BINDING": ",".join(f"{k}={v}" for k, v in s.binding.items()),
        "TRACKER_SMTP_HOST": s.smtp_host,
        "TRACKER_SMTP_PORT": str(s.smtp_port),
        "TRACKER_REDIS_URL": s.redis_url,
        "TRACKER_RETRY_INTERVALS": "1,1",
        "TRACKER_BASE_URL": s.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(jobs, "_context", None)
    return s


@pytest.fixture
def seeded(reminder_settings, migrated, demo_agency):
    # The seed reads the settings' catalogue and store only: those of reminder_settings.
    return reminder_settings
