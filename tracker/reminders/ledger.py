"""The notification ledger: every reminder is written down before it is sent, and marked after.

Recording is idempotent (the key is unique, duplicates are ignored), so a
second sweep, a retry or a second scheduler adds nothing. Sending claims a
message's rows first (pending to sending, all or nothing), so two workers
never send the same message; a claim left behind by a killed worker is
taken over after a while, and the message goes out again with the same
Message-ID.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import peewee as pw

from tracker.db import utcnow, write_transaction
from tracker.models import Notification
from tracker.reminders.planning import Planned, Preference

STALE_CLAIM = timedelta(minutes=15)
BATCH = 500


@dataclass
class Message:
    """One e-mail to send: a digest of several notifications, or one item for immediate mail."""

    recipient: str
    name: str
    ids: list[int]


def record(planned: Iterable[Planned], sweep_date: date) -> int:
    """Write planned notifications that are not in the ledger yet; return how many were new."""
    rows = [
        {
            "key": p.key,
            "recipient": p.recipient.email.casefold(),
            "recipient_name": p.recipient.name,
            "kind": p.kind,
            "item_key": p.item_key,
            "window": p.window,
            "system_id": p.system_id,
            "requirement_id": p.requirement_id,
            "mandatory": p.mandatory,
            "sweep_date": sweep_date,
            "payload": p.payload,
            "created_at": utcnow(),
        }
        for p in planned
    ]
    before = Notification.select().count()
    with write_transaction():
        for start in range(0, len(rows), BATCH):
            Notification.insert_many(rows[start : start + BATCH]).on_conflict_ignore().execute()
    return Notification.select().count() - before


def deliverable() -> pw.ModelSelect:
    """Rows to send: pending ones, and claims abandoned by a killed worker."""
    stale = utcnow() - STALE_CLAIM
    return (
        Notification.select(Notification.id, Notification.recipient, Notification.recipient_name)
        .where(
            (Notification.state == "pending")
            | ((Notification.state == "sending") & (Notification.claimed_at < stale))
        )
        .order_by(Notification.recipient, Notification.system_id, Notification.id)
    )


def messages(preferences: Mapping[str, Preference]) -> list[Message]:
    """Group what is deliverable into e-mails: one digest per person, or one per item when immediate."""
    grouped: dict[str, Message] = {}
    out: list[Message] = []
    for row_id, recipient, name in deliverable().tuples():
        if preferences.get(recipient, Preference()).frequency == "immediate":
            out.append(Message(recipient, name, [row_id]))
            continue
        message = grouped.get(recipient)
        if message is None:
            message = grouped[recipient] = Message(recipient, name, [])
            out.append(message)
        message.ids.append(row_id)
    return out


def claim(ids: list[int]) -> list[Notification] | None:
    """Take every row of a message for sending, or none of them (someone else has them)."""
    stale = utcnow() - STALE_CLAIM
    with write_transaction():
        taken = (
            Notification.update(
                state="sending", attempts=Notification.attempts + 1, claimed_at=utcnow()
            )
            .where(
                Notification.id.in_(ids)
                & (
                    (Notification.state == "pending")
                    | (Notification.state == "failed")
                    | ((Notification.state == "sending") & (Notification.claimed_at < stale))
                )
            )
            .execute()
        )
        if taken != len(ids):
            raise _LostClaim()
    return list(
        Notification.select()
        .where(Notification.id.in_(ids))
        .order_by(Notification.system_id, Notification.id)
    )


class _LostClaim(Exception):
    pass


def try_claim(ids: list[int]) -> list[Notification] | None:
    try:
        return claim(ids)
    except _LostClaim:
        return None


def mark_sent(ids: list[int], message_id: str) -> None:
    Notification.update(state="sent", sent_at=utcnow(), message_id=message_id, last_error="").where(
        Notification.id.in_(ids)
    ).execute()


def release(ids: list[int], error: str, failed: bool) -> None:
    """Give rows back after a failed send: pending for a retry, or failed for good (visible)."""
    Notification.update(state="failed" if failed else "pending", last_error=error[:2000]).where(
        Notification.id.in_(ids) & (Notification.state == "sending")
    ).execute()


def find(filters: Mapping[str, Any]) -> pw.ModelSelect:
    query = Notification.select().order_by(Notification.id.desc())
    for name in ("state", "kind", "system_id", "sweep_date"):
        if filters.get(name) is not None:
            query = query.where(getattr(Notification, name) == filters[name])
    if filters.get("recipient"):
        query = query.where(Notification.recipient == filters["recipient"].casefold())
    return query


def counts() -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for state, number in (
        Notification.select(Notification.state, pw.fn.COUNT(Notification.id))
        .group_by(Notification.state)
        .tuples()
    ):
        totals[state] = number
    return dict(totals)
