"""A sweep (derive, plan, record) and the delivery of recorded notifications over SMTP.

Plain Python: the RQ jobs, ``tracker reminders run`` and the tests call these
same functions.
"""

from __future__ import annotations

import logging
import signal
import smtplib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email.utils import parseaddr
from types import FrameType

from tracker import agency
from tracker.config import Settings
from tracker.models import User
from tracker.plugin_host import Catalogue
from tracker.reminders import claiming, ledger, sweeping
from tracker.reminders.mail import SmtpConnection, compose_listing, environment
from tracker.reminders.planning import unsubscribe_tokens
from tracker.reminders.sweeping import SweepResult

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The SMTP server could not be reached or refused a message; the job is retried."""


@dataclass
class DeliveryResult:
    sent: int = 0
    skipped: int = 0  # claimed by another worker, or already sent
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(
    as_of: date, catalogue: Catalogue, settings: Settings, record: bool = True, keep: bool = True
) -> SweepResult:
    """Derive every reminder on ``as_of``, plan it per person, and (unless previewing) record it,
    closing what was left unsent and is no longer worth sending; a chunk of systems at a time
    (tracker.reminders.sweeping). ``keep``: return every item and planned notification too."""
    return sweeping.run(as_of, catalogue, settings, record=record, keep=keep)


def refused_for_good(error: Exception) -> bool:
    """Whether the server permanently refused this one message (5xx: a recipient it does not
    take, content it will not accept) and stays usable. That message fails and the others still
    go; anything else, temporary refusals included, ends the attempt and the job retries it."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def chosen_languages() -> dict[str, str]:
    """E-mail address (casefolded) -> the language its user picked; people who picked none, and
    people who are not users (operators, system contacts), get the deployment's language."""
    query = User.select(User.email, User.language).where((User.language != "") & (User.email != ""))
    return {email.casefold(): language for email, language in query.tuples()}


@contextmanager
def _job_timeout_held_back() -> Iterator[None]:
    """Hold RQ's job timeout back while a message is handed over and its rows marked.

    The timeout is a SIGALRM whose handler raises inside the job, wherever it is: between the
    server's 250 and the ledger write, it would leave a message the server took claimed, and
    sent again once the claim is stale. Held back, it fires right after the write. Only a Python
    handler on the main thread can be held back (a default SIGALRM ends the process at once).
    """
    previous = signal.getsignal(signal.SIGALRM)
    if not callable(previous) or threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, FrameType | None]] = []
    signal.signal(signal.SIGALRM, lambda signum, frame: held.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, previous)
        if held:
            previous(*held[0])


def deliver(
    messages: Sequence[ledger.Message], settings: Settings, final_attempt: bool
) -> DeliveryResult:
    """Send each message over one SMTP connection; on an SMTP failure, give the rows back and raise.

    Every try is counted on the rows it was for, with its error. On the final attempt the rows
    end as ``failed`` (visible in the history, and tried again by the next run or sweep), never
    silently pending; a message the server refuses on its own is failed at once.
    """
    result = DeliveryResult()
    if not messages:
        return result
    templates = environment(settings)
    languages = chosen_languages()
    signed = agency.current()  # every e-mail names the agency and its DPO
    tokens = unsubscribe_tokens({message.recipient for message in messages})
    sender = parseaddr(settings.mail_sender)[1]
    done = 0  # messages dealt with; the rest were never reached when the connection failed
    try:
        with SmtpConnection(settings) as smtp:
            for message in messages:
                # A message that lists every row reads their payloads as it takes them.
                rows = claiming.try_claim(
                    message.ids, payloads=len(message.ids) <= settings.digest_max_items
                )
                if rows is None:
                    result.skipped += 1
                    done += 1
                    continue
                email, listed = compose_listing(
                    rows,
                    message.recipient,
                    message.name,
                    settings,
                    tokens[message.recipient],
                    templates,
                    language=languages.get(message.recipient.casefold(), settings.language),
                    agency=signed,
                )
                with _job_timeout_held_back():
                    try:
                        smtp.send(email, sender, message.recipient)
                    except (smtplib.SMTPException, OSError) as error:
                        text = f"{type(error).__name__}: {error}"
                        done += 1
                        if refused_for_good(error):
                            log.warning("reminder to %s refused: %s", message.recipient, text)
                            claiming.release(message.ids, text, failed=True)
                            result.failed += 1
                            result.errors.append(f"{message.recipient}: {text}")
                            continue
                        claiming.release(message.ids, text, failed=final_attempt)
                        result.failed += 1 if final_attempt else 0
                        raise
                    # Right after the server's 250, one committed write: a process that dies
                    # before it leaves this one message claimed, to go again once stale.
                    # The rows a capped digest counted without naming them are marked so.
                    claiming.mark_sent(message.ids, email["Message-ID"], listed)
                result.sent += 1
                done += 1
    except (smtplib.SMTPException, OSError) as error:
        text = f"{type(error).__name__}: {error}"
        log.warning("reminder delivery failed after %d sent: %s", result.sent, text)
        for message in messages[done:]:
            claiming.note_failure(message.ids, text, failed=final_attempt)
            result.failed += 1 if final_attempt else 0
        raise DeliveryFailed(text) from error
    return result
