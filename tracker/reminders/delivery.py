"""A sweep (derive, plan, record) and the delivery of recorded notifications over SMTP.

Plain Python: the RQ jobs, ``tracker reminders run`` and the tests call these
same functions.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from email.utils import parseaddr

from tracker.config import Settings
from tracker.plugin_host import Catalogue
from tracker.reminders import ledger
from tracker.reminders.items import ReminderItem, collect
from tracker.reminders.mail import SmtpConnection, compose, environment
from tracker.reminders.planning import Planned, load_preferences, plan, unsubscribe_tokens

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The SMTP server could not be reached or refused a message; the job is retried."""


@dataclass
class SweepResult:
    as_of: date
    items: list[ReminderItem]
    planned: list[Planned]
    new: int = 0


@dataclass
class DeliveryResult:
    sent: int = 0
    skipped: int = 0  # claimed by another worker, or already sent
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(
    as_of: date, catalogue: Catalogue, settings: Settings, record: bool = True
) -> SweepResult:
    """Derive every reminder on ``as_of``, plan it per person, and (unless previewing) record it."""
    items = collect(as_of, catalogue, settings)
    planned = plan(items, as_of, load_preferences())
    result = SweepResult(as_of, items, planned)
    if record:
        result.new = ledger.record(planned, as_of)
    return result


def deliver(
    messages: Sequence[ledger.Message], settings: Settings, final_attempt: bool
) -> DeliveryResult:
    """Send each message over one SMTP connection; on an SMTP failure, give the rows back and raise.

    On the final attempt the rows end as ``failed`` (visible in the history), never silently pending.
    """
    result = DeliveryResult()
    if not messages:
        return result
    templates = environment(settings)
    tokens = unsubscribe_tokens({message.recipient for message in messages})
    sender = parseaddr(settings.mail_sender)[1]
    try:
        with SmtpConnection(settings) as smtp:
            for message in messages:
                rows = ledger.try_claim(message.ids)
                if rows is None:
                    result.skipped += 1
                    continue
                email = compose(
                    rows,
                    message.recipient,
                    message.name,
                    settings,
                    tokens[message.recipient],
                    templates,
                )
                try:
                    smtp.send(email, sender, message.recipient)
                except (smtplib.SMTPException, OSError) as error:
                    ledger.release(
                        message.ids, f"{type(error).__name__}: {error}", failed=final_attempt
                    )
                    raise
                ledger.mark_sent(message.ids, email["Message-ID"])
                result.sent += 1
    except (smtplib.SMTPException, OSError) as error:
        text = f"{type(error).__name__}: {error}"
        log.warning("reminder delivery failed after %d sent: %s", result.sent, text)
        if final_attempt:
            for message in messages:
                rows = ledger.try_claim(message.ids)
                if rows is not None:
                    ledger.release(message.ids, text, failed=True)
                    result.failed += 1
        raise DeliveryFailed(text) from error
    return result
