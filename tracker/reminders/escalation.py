"""Escalation: items reminded again and again with no change go to the DPOs.

Counts, in SQL over the reminder ledger, how many times each item was sent with the status it
has now in the look-back (``ESCALATION_LOOKBACK_DAYS``), and makes the escalation item of one
reminded ``escalate_after`` times to each of its recipients. Used by items.derive and by the
chunked sweep (tracker.reminders.sweeping).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING

from peewee import ModelSelect, fn

from tracker.config import ESCALATION_LOOKBACK_DAYS, Settings
from tracker.i18n.text import english
from tracker.models import Notification
from tracker.reminders.kinds import Recipient, ReminderItem
from tracker.reminders.streaming import stream

if TYPE_CHECKING:
    from tracker.reminders.items import People

SENT_TIMES = fn.COUNT(Notification.id)


def sent_per_item_and_status(as_of: date, days: int = ESCALATION_LOOKBACK_DAYS) -> ModelSelect:
    """(item key, status, times sent) in sweeps of the ``days`` before ``as_of``, escalations
    not counted, nor the rows a capped digest counted without naming them (``listed`` false:
    the item was not really reminded): one GROUP BY over the ledger's index on (state,
    sweep_date, item_key, status, kind, listed); filter the counts with
    ``.having(SENT_TIMES ...)``."""
    return (
        Notification.select(Notification.item_key, Notification.status, SENT_TIMES)
        .where(
            (Notification.state == "sent")
            & (Notification.sweep_date >= as_of - timedelta(days=days))
            & (Notification.sweep_date < as_of)
            & (Notification.kind != "escalation")
            & (Notification.listed == True)
        )
        .group_by(Notification.item_key, Notification.status)
    )


def sent_counts(
    statuses: Mapping[str, str], as_of: date, days: int = ESCALATION_LOOKBACK_DAYS
) -> dict[str, int]:
    """How many reminders of each item were sent with the status it has now (``statuses``: item
    key -> status), in sweeps of the ``days`` before ``as_of`` (escalations not counted, nor
    digests that counted the item without listing it).

    One GROUP BY over the index on (state, sweep_date, item_key, status, kind, listed): the database
    counts, and only one row per item and status comes back, a chunk at a time. (Before, every
    sent row of the look-back was loaded with its payload: 120 days of a million rows a day.)
    """
    sent: dict[str, int] = {}
    for item_key, status, times in stream(sent_per_item_and_status(as_of, days)):
        if statuses.get(item_key, None) == status:
            sent[item_key] = times
    return sent


def escalations(
    items: list[ReminderItem], as_of: date, settings: Settings, people: People
) -> list[ReminderItem]:
    """Items already reminded ``escalate_after`` times with the same status go to the DPOs.

    Only reminders of earlier sweeps count: what today's first sweep sent must not make a second
    sweep on the same day reach the next round and escalate again.
    """
    recurring = {item.item_key: item for item in items if is_recurring(item)}
    if not recurring:
        return []
    sent = sent_counts({key: item.status for key, item in recurring.items()}, as_of)
    dpos = people.dpos()
    out = []
    for item_key, item in recurring.items():  # in the items' order, whatever the database's
        escalation = escalation_for(item, sent.get(item_key, 0), settings, dpos)
        if escalation is not None:
            out.append(escalation)
    return out


def is_recurring(item: ReminderItem) -> bool:
    """Reminded every digest period until something changes: what escalation watches."""
    return item.window is None and item.kind != "escalation"


def escalation_for(
    item: ReminderItem, times: int, settings: Settings, dpos: list[Recipient]
) -> ReminderItem | None:
    """The escalation of an item reminded ``times`` times with its status, or None: a round is
    ``escalate_after`` reminders to each of its recipients."""
    rounds = times // (settings.escalate_after * max(1, len(item.recipients)))
    if rounds < 1:
        return None
    return ReminderItem(
        "escalation",
        f"escalation:{item.item_key}",
        dpos,
        title=f"{english(item.title)} (reminded {times} times with no change)",
        status=item.status,
        system_id=item.system_id,
        system_name=item.system_name,
        requirement_id=item.requirement_id,
        citation=item.citation,
        due=item.due,
        window=f"escalation-{rounds}",
        evidence_id=item.evidence_id,
        waiver_id=item.waiver_id,
        parts={"title": item.title, **item.parts, "reminded": times},
    )
