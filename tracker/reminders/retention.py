"""Keeping the reminder ledger to a set retention: old days summarised in the audit trail, then pruned.

The ledger grows by a row per person and item every day (a million a day at 20,000 systems).
Rows of sweeps older than ``TRACKER_REMINDER_LEDGER_RETENTION_DAYS`` (more than escalation's
look-back, which config checks) are deleted one sweep day at a time, each in the transaction
that appends one ``reminders.pruned`` event to the audit trail saying what that day's rows
were: how many e-mails went to whom and when, how many reminders of which kind they carried,
and what was never sent (failed, closed unsent). Delivery itself writes nothing to the audit
trail (the ledger is its record), so this event is what stays of a day once its rows are gone.
The individual items and Message-IDs of a pruned day are not kept.

Every aggregate is computed by the database over the day's index range; nothing is loaded row
by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import peewee as pw

from tracker import audit
from tracker.completeness.facts import as_day
from tracker.config import Settings
from tracker.db import write_transaction
from tracker.models import Notification
from tracker.reminders.streaming import stream

ACTION = "reminders.pruned"
ENTITY = "reminder_ledger"
SENT = Notification.state == "sent"


@dataclass
class Pruned:
    cutoff: date  # rows of sweeps before this day were pruned
    days: list[date] = field(default_factory=list)
    rows: int = 0
    emails: int = 0


def cutoff(as_of: date, settings: Settings) -> date:
    """The first sweep day kept on ``as_of``."""
    return as_of - timedelta(days=settings.reminder_ledger_retention_days)


def days_before(day: date) -> list[date]:
    """Sweep days in the ledger before ``day``, oldest first."""
    query = (
        Notification.select(Notification.sweep_date)
        .where(Notification.sweep_date < day)
        .distinct()
        .order_by(Notification.sweep_date)
    )
    return [as_day(value) for (value,) in stream(query)]


def _moment(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def summary(day: date) -> dict[str, Any]:
    """What the ledger says of one sweep day, in numbers: what the audit event keeps."""
    of_day = Notification.sweep_date == day
    by_state = dict(
        Notification.select(Notification.state, pw.fn.COUNT(Notification.id))
        .where(of_day)
        .group_by(Notification.state)
        .tuples()
    )
    sent_by_kind = dict(
        Notification.select(Notification.kind, pw.fn.COUNT(Notification.id))
        .where(of_day & SENT)
        .group_by(Notification.kind)
        .tuples()
    )
    # Per person: e-mails (distinct Message-IDs), reminders in them, first and last sending.
    recipients = {}
    query = (
        Notification.select(
            Notification.recipient,
            pw.fn.COUNT(Notification.message_id.distinct()),
            pw.fn.COUNT(Notification.id),
            pw.fn.MIN(Notification.sent_at),
            pw.fn.MAX(Notification.sent_at),
        )
        .where(of_day & SENT)
        .group_by(Notification.recipient)
        .order_by(Notification.recipient)
    )
    for recipient, emails, reminders, first, last in stream(query):
        recipients[recipient] = {
            "emails": emails,
            "reminders": reminders,
            "first_sent_at": _moment(first),
            "last_sent_at": _moment(last),
        }
    return {
        "sweep_date": day.isoformat(),
        "rows": sum(by_state.values()),
        "by_state": dict(sorted(by_state.items())),
        "emails_sent": sum(r["emails"] for r in recipients.values()),
        "sent_by_kind": dict(sorted(sent_by_kind.items())),
        "recipients": recipients,
    }


def prune(as_of: date, settings: Settings, actor: str = "scheduler") -> Pruned:
    """Summarise in the audit trail, then delete, every sweep day older than the retention.

    One transaction per day: the audit event and the deletion go together or not at all, so a
    day is never gone without its summary, nor summarised twice.
    """
    kept_from = cutoff(as_of, settings)
    result = Pruned(kept_from)
    for day in days_before(kept_from):
        with write_transaction():
            said = summary(day)
            audit.record(actor, ACTION, ENTITY, day.isoformat(), after=said)
            result.rows += Notification.delete().where(Notification.sweep_date == day).execute()
        result.days.append(day)
        result.emails += said["emails_sent"]
    return result
