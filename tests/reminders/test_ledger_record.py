"""ledger.record writes planned notifications as they were planned (any text: PostgreSQL's are
copied in COPY's text format), in their order, and counts only the rows that were new."""

from __future__ import annotations

from datetime import date

from tracker.models import Notification
from tracker.reminders import ledger
from tracker.reminders.kinds import Recipient
from tracker.reminders.planning import Planned

DAY = date(2026, 3, 14)
AWKWARD = [
    "plain",
    "tab\there",
    "new\nline and\r\nreturn",
    "back\\slash \\N \\t and \\\\",
    "accents é ü ß, 漢字, emoji 🙂",
    "quotes ' \" and a trailing backslash \\",
    "",
]


def planned(number: int, text: str, system_id: int | None = 7) -> Planned:
    return Planned(
        key=f"p{number}@police.example|missing|{number}:{text}|{DAY}",
        recipient=Recipient(f"P{number}@Police.example", f"Name {text}"),
        kind="missing",
        item_key=f"{number}:{text}",
        window=DAY.isoformat(),
        system_id=system_id,
        requirement_id=None if number % 2 else f"req.{text}",
        mandatory=bool(number % 2),
        payload={"status": "missing" if number % 3 else "", "title": text, "n": [number, None]},
    )


def test_rows_are_written_as_planned_in_order_and_counted_once(migrated):
    first = [planned(n, text, None if n == 3 else 7) for n, text in enumerate(AWKWARD)]
    assert ledger.record(first, DAY) == len(first)
    rows = list(Notification.select().order_by(Notification.id))
    assert [row.key for row in rows] == [p.key for p in first]
    for row, p in zip(rows, first, strict=True):
        assert (
            row.recipient,
            row.recipient_name,
            row.kind,
            row.item_key,
            row.window,
            row.system_id,
            row.requirement_id,
            row.mandatory,
            row.sweep_date,
            row.payload,
            row.status,
            row.state,
            row.attempts,
            row.last_error,
            row.message_id,
        ) == (
            p.recipient.email.casefold(),
            p.recipient.name,
            p.kind,
            p.item_key,
            p.window,
            p.system_id,
            p.requirement_id,
            p.mandatory,
            DAY,
            p.payload,
            p.payload["status"],
            "pending",
            0,
            "",
            "",
        )
    # Recorded again, with new ones among them (and more rows than a chunk): only those count.
    again = first + [planned(100 + n, f"more {n}") for n in range(ledger.CHUNK + 3)]
    assert ledger.record(again, DAY) == ledger.CHUNK + 3
    assert ledger.record(again, DAY) == 0
    keys = [
        key for (key,) in Notification.select(Notification.key).order_by(Notification.id).tuples()
    ]
    assert keys == [p.key for p in again]
