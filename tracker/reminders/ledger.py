"""The notification ledger: every reminder is written down before it is sent, and marked after.

Recording is idempotent (the key is unique, duplicates are ignored), so a
second sweep, a retry or a second scheduler adds nothing. Here too: the rows
waiting to be sent, grouped into e-mails, and the closing of those no longer
worth sending. Sending claims a message's rows first (pending or failed to
sending, all or nothing), so two workers never send the same message, and
marks them sent in one committed write right after the server's 250
(tracker.reminders.claiming, tracker.reminders.delivery). A claim left
behind by a process that died is taken over once older than STALE_CLAIM: the
message goes out late if the process died before the 250, and a second time,
with the same Message-ID, only if it died between the 250 and that write (or
the database server crashed a moment after it: tracker.reminders.claiming).

States: ``pending`` (not tried yet, or tried and to be retried by the job),
``sending`` (claimed), ``sent``, ``failed`` (the last try failed: the next run
or sweep tries again) and ``obsolete`` (closed unsent: the item is no longer
due, or a newer reminder of the same item replaced it). ``attempts`` counts
every try, so failures stay visible after a later success or closing, with
the last error.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import peewee as pw

from tracker.db import is_postgres, utcnow, write_transaction
from tracker.models import Notification
from tracker.pg_copy import copy_text, copy_value
from tracker.reminders.planning import Planned, Preference, still_due
from tracker.reminders.streaming import stream

if TYPE_CHECKING:
    from tracker.reminders.kinds import ReminderItem

# Longer than any live send takes (a claim is made just before its one message is handed over,
# with 30 s socket timeouts), so a live worker's claim is never taken over.
STALE_CLAIM = timedelta(minutes=15)


@dataclass
class Message:
    """One e-mail to send: a digest of several notifications, or one item for immediate mail."""

    recipient: str
    name: str
    ids: list[int]


COLUMNS = (
    "key",
    "recipient",
    "recipient_name",
    "kind",
    "item_key",
    "window",
    "system_id",
    "requirement_id",
    "mandatory",
    "sweep_date",
    "payload",
    "status",
    "created_at",
    "state",
    "attempts",
    "last_error",
    "message_id",
)


CHUNK = 5000  # rows per executemany: memory stays flat however many a sweep plans


def _rows(planned: Iterable[Planned], sweep_date: date) -> Iterator[tuple]:
    """Ledger rows of planned notifications, as the driver takes them (in COLUMNS' order).

    A million rows a day: the columns the same for every row are converted once, the texts
    made here (keys, kinds, windows) are plain ``str`` already, and a payload shared between
    recipients is encoded once. JSON goes in as text (both databases parse it).
    """
    fields = Notification._meta.fields
    same = [
        fields[name].db_value(value)
        for name, value in (
            ("sweep_date", sweep_date),
            ("created_at", utcnow()),
            ("state", "pending"),
            ("attempts", 0),
            ("last_error", ""),
            ("message_id", ""),
        )
    ]
    day, now, pending, attempts, no_error, no_message = same
    name_of, requirement_of = fields["recipient_name"].db_value, fields["requirement_id"].db_value
    flag = fields["mandatory"].db_value
    encoded: dict[int, str] = {}
    for p in planned:
        text = encoded.get(id(p.payload))
        if text is None:
            text = encoded[id(p.payload)] = json.dumps(p.payload)
        yield (
            p.key,
            p.recipient.email.casefold(),
            name_of(p.recipient.name),
            p.kind,
            p.item_key,
            p.window,
            p.system_id,
            requirement_of(p.requirement_id),
            flag(p.mandatory),
            day,
            text,
            p.payload.get("status") or "",
            now,
            pending,
            attempts,
            no_error,
            no_message,
        )


def record(planned: Iterable[Planned], sweep_date: date) -> int:
    """Write planned notifications that are not in the ledger yet; return how many were new.

    A sweep can plan a million rows: they go through the driver's batch API with one prepared
    statement (building that many rows as peewee expressions costs seconds), a chunk at a time
    (in one transaction on PostgreSQL, one each on SQLite), so that memory does not grow with
    the sweep. New rows are those the inserts report (a row whose key is there already is not
    inserted, and not counted): counting the sweep date's rows before and after cost a scan of
    every row of the day so far, for each of a sweep's hundred calls.

    On PostgreSQL each chunk is copied (COPY, the cheapest way in for the client and the server)
    into a temporary table and inserted from there in the same order: parsing a multi-row VALUES
    statement and formatting its literals cost more than writing the rows.
    """
    database = Notification._meta.database
    columns = ", ".join(f'"{name}"' for name in COLUMNS)
    table = f'"{Notification._meta.table_name}" ({columns})'
    rows = _rows(planned, sweep_date)
    if is_postgres():
        with write_transaction():
            return _copied(database.cursor(), table, columns, rows)
    new = 0
    placeholders = ", ".join("?" * len(COLUMNS))
    while chunk := list(itertools.islice(rows, CHUNK)):
        # A transaction a chunk: SQLite has one writer at a time, and the sweep's workers take
        # turns (each waits at most one chunk's insert). Recording is idempotent: rows of a
        # sweep stopped half-way are there, and the next sweep adds the others.
        with write_transaction():
            cursor = database.cursor()
            # sqlite3 sums the changes of every execution: ignored rows add none.
            cursor.executemany(
                f"INSERT INTO {table} VALUES ({placeholders}) ON CONFLICT DO NOTHING", chunk
            )
            new += cursor.rowcount
    return new


_staging = itertools.count()


def _copied(cursor: Any, table: str, columns: str, rows: Iterator[tuple]) -> int:
    """PostgreSQL: ``rows`` copied a chunk at a time into a temporary table of this session
    (numbered, so that they go on in their order: a system's rows keep their ids' order),
    then inserted unless their key is there already; how many were inserted."""
    staging = f"notification_incoming_{next(_staging)}"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} AS SELECT 0 AS n, {columns} "
        f'FROM "{Notification._meta.table_name}" WITH NO DATA'
    )
    new = 0
    start = 0
    while chunk := list(itertools.islice(rows, CHUNK)):
        copy_text(cursor, staging, ["n", columns], _copy_lines(chunk, start))
        start += len(chunk)
        cursor.execute(
            f"INSERT INTO {table} SELECT {columns} FROM {staging} ORDER BY n ON CONFLICT DO NOTHING"
        )
        new += cursor.rowcount
        cursor.execute(f"TRUNCATE {staging}")
    cursor.execute(f"DROP TABLE {staging}")
    return new


def _copy_lines(chunk: list[tuple], start: int) -> str:
    """Rows of :func:`_rows` in COPY's text format, each numbered from ``start``. The columns
    every row shares are written once, a payload shared between recipients escaped once."""
    payload, first_shared = COLUMNS.index("payload"), COLUMNS.index("created_at")
    shared = "\t".join(map(copy_value, chunk[0][first_shared:]))
    escaped: dict[str, str] = {}
    lines = []
    for number, row in enumerate(chunk, start):
        text = row[payload]
        found = escaped.get(text)
        if found is None:
            found = escaped[text] = copy_value(text)
        lines.append(
            "\t".join(
                (
                    str(number),
                    *map(copy_value, row[:payload]),
                    found,
                    *map(copy_value, row[payload + 1 : first_shared]),
                    shared,
                )
            )
        )
    lines.append("")
    return "\n".join(lines)


STATES = ("pending", "sending", "sent", "failed", "obsolete")
OPEN = ("pending", "failed")  # waiting to be sent (again)


def deliverable() -> pw.ModelSelect:
    """Rows to send: pending ones, failed ones (tried again until sent or closed), and claims
    abandoned by a killed worker."""
    stale = utcnow() - STALE_CLAIM
    return (
        Notification.select(Notification.id, Notification.recipient, Notification.recipient_name)
        .where(
            Notification.state.in_(OPEN)
            | ((Notification.state == "sending") & (Notification.claimed_at < stale))
        )
        .order_by(Notification.recipient, Notification.system_id, Notification.id)
    )


def close_obsolete(
    planned: Iterable[Planned],
    items: Iterable[ReminderItem],
    preferences: Mapping[str, Preference],
    as_of: date,
) -> int:
    """Close the unsent rows a sweep on ``as_of`` makes pointless; return how many.

    A row waiting to be sent (pending or failed) is closed as ``obsolete`` when its item is no
    longer due for that person (planning.still_due), or when this sweep planned a newer
    notification of the same item for the same person under another key (the next day's
    digest): that one carries the item, so the person never reads it twice. Rows of later
    sweeps (a sweep replayed for an earlier date) are left alone.

    The rows waiting are read first: after a day's delivery they are a handful, so what is due
    and planned is looked up for them alone, not built for the whole sweep.
    """
    waiting = waiting_rows(as_of)
    if not waiting:
        return 0
    among = {about for _, _, about in waiting}
    current = {}
    for p in planned:
        about = (p.recipient.email.casefold(), p.kind, p.item_key)
        if about in among:
            current[about] = p.key  # the last planned wins, as it always did
    return close(waiting, still_due(items, preferences, among), current)


Waiting = tuple[int, str, tuple[str, str, str]]  # id, key, (recipient, kind, item key)


def waiting_rows(as_of: date) -> list[Waiting]:
    """Rows waiting to be sent from sweeps up to ``as_of``: a handful after a day's delivery."""
    query = Notification.select(
        Notification.id,
        Notification.key,
        Notification.recipient,
        Notification.kind,
        Notification.item_key,
    ).where(Notification.state.in_(OPEN) & (Notification.sweep_date <= as_of))
    return [
        (row_id, key, (recipient, kind, item_key))
        for row_id, key, recipient, kind, item_key in stream(query)
    ]


def close(
    waiting: list[Waiting],
    due: set[tuple[str, str, str]],
    current: Mapping[tuple[str, str, str], str],
) -> int:
    """Close the ``waiting`` rows no longer ``due``, or planned anew under another key
    (``current``: the key planned today for each (recipient, kind, item key))."""
    closing = [
        row_id
        for row_id, key, about in waiting
        if about not in due or current.get(about, key) != key
    ]
    closed = 0
    for start in range(0, len(closing), 500):  # parameter lists stay well under SQLite's limit
        ids = closing[start : start + 500]
        with write_transaction():
            closed += (
                Notification.update(state="obsolete")
                .where(Notification.id.in_(ids) & Notification.state.in_(OPEN))
                .execute()
            )
    return closed


def iter_messages(preferences: Mapping[str, Preference]) -> Iterator[Message]:
    """The deliverable rows grouped into e-mails, one at a time: one digest per person, or one
    per item when immediate. Rows come ordered by recipient, so a digest is complete when the
    next recipient's first row arrives."""
    digest: Message | None = None
    for row_id, recipient, name in stream(deliverable()):
        if preferences.get(recipient, Preference()).frequency == "immediate":
            yield Message(recipient, name, [row_id])
            continue
        if digest is not None and digest.recipient != recipient:
            yield digest
            digest = None
        if digest is None:
            digest = Message(recipient, name, [])
        digest.ids.append(row_id)
    if digest is not None:
        yield digest


def messages(preferences: Mapping[str, Preference]) -> list[Message]:
    """Every e-mail to send now (iter_messages, as a list)."""
    return list(iter_messages(preferences))


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
