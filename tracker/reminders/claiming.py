"""Taking a message's rows for sending, and marking them after: sent, given back, or a try counted.

A message's rows are claimed all or nothing (pending or failed to sending), so two workers never
send the same message, and marked sent in one committed write right after the server's 250
(tracker.reminders.delivery). A claimed row carries what a digest's counts and its choice of
listed items need; its payload comes with it only when the e-mail lists every row (a digest of
at most ``TRACKER_DIGEST_MAX_ITEMS``), else payloads are read for the rows the e-mail shows
alone (:func:`load_payloads`). Which rows are waiting, and when a claim is stale, is the
ledger's (tracker.reminders.ledger).

Every statement here is plain SQL over a chunk of ids (``IDS_PER_STATEMENT``): a DPO's digest
can hold hundreds of thousands of rows, and a message's chunks run in one transaction.

A claim and a "sent" are committed without waiting for the database's disk (``wait_for_disk``
of :func:`tracker.db.write_transaction`): on PostgreSQL, two workers each waiting for it twice
an e-mail delivered 226-229 e-mails/s, 271 without (2,000 systems, bench_reminders). What a
crash of the database server can lose of them is what a worker dying at that moment loses: a
claim (the message is sent by whoever claims it next) or a "sent" (the message goes out a
second time, with the same Message-ID).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from datetime import date
from typing import Any

from tracker.completeness.facts import as_day
from tracker.db import is_postgres, utcnow, write_transaction
from tracker.models import Notification
from tracker.reminders.ledger import OPEN, STALE_CLAIM


class Claimed:
    """What composing an e-mail needs of one claimed notification.

    A row claimed from the ledger carries what a digest's counts and its choice of listed items
    need of every row (its item's status, due date, kind and system), not its payload: that is
    read when asked for, by :func:`load_payloads` for the rows an e-mail lists (a DPO's digest
    of hundreds of thousands of rows lists at most ``TRACKER_DIGEST_MAX_ITEMS``). A row made
    with its payload (the tests, a preview) takes those from the payload.
    """

    __slots__ = (
        "_payload",
        "due",
        "id",
        "key",
        "kind",
        "mandatory",
        "status",
        "sweep_date",
        "system_id",
    )

    def __init__(
        self,
        key: str,
        mandatory: bool,
        sweep_date: date,
        payload: dict[str, Any] | None = None,
        *,
        id: int | None = None,
        status: str | None = None,
        due: str | None = None,
        kind: str | None = None,
        system_id: int | None = None,
    ) -> None:
        self.key, self.mandatory, self.sweep_date, self.id = key, mandatory, sweep_date, id
        self._payload = payload
        if payload is not None:
            status, due = payload.get("status"), payload.get("due")
            kind, system_id = payload.get("kind"), payload.get("system_id")
        self.status, self.due, self.kind, self.system_id = status, due, kind, system_id

    @property
    def payload(self) -> dict[str, Any]:
        """What the e-mail says about the item: read from the ledger the first time (one query
        for this row alone; :func:`load_payloads` reads many rows' at once)."""
        if self._payload is None:
            load_payloads([self])
        assert self._payload is not None
        return self._payload

    @property
    def loaded(self) -> bool:
        """Whether the payload is here already (made with it, or read since): asking for it
        then runs no query."""
        return self._payload is not None

    def __repr__(self) -> str:
        return f"Claimed({self.key!r}, id={self.id!r}, status={self.status!r}, due={self.due!r})"


def _sql(statement: str, ids: list[int]) -> str:
    """``statement`` with ``{ids}`` as a parameter list and ``?`` in the database's parameter style.

    Claiming and marking run for every e-mail; plain SQL here costs microseconds where building
    the same statements as peewee expressions cost milliseconds.
    """
    param = Notification._meta.database.obj.param
    return statement.replace("{ids}", ", ".join([param] * len(ids))).replace("?", param)


# Ids one statement lists at most: a DPO's digest can hold hundreds of thousands of rows, more
# than PostgreSQL (65,535) or a stock SQLite (32,766) binds in one statement. A message's
# statements run in one transaction, so it is still claimed and marked whole or not at all.
IDS_PER_STATEMENT = 10_000


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for first in range(0, len(ids), IDS_PER_STATEMENT):
        yield ids[first : first + IDS_PER_STATEMENT]


def claim(ids: list[int], payloads: bool = False) -> list[Claimed]:
    """Take every row of a message for sending, or none of them (someone else has them).

    Every row is read with what a digest's counts and its choice of items need (status, kind,
    system, and the due date out of the payload, by the database); payloads are read later, for
    the rows the e-mail lists (:func:`load_payloads`): a DPO's digest at national scale is
    hundreds of thousands of rows, each payload a parsed dict of a kilobyte or so. With
    ``payloads``, for a message that lists every row (at most ``TRACKER_DIGEST_MAX_ITEMS``),
    each row's payload comes with it: one statement fewer an e-mail.

    The rows are read back from the statement that takes them (``UPDATE ... RETURNING``): a
    chunk of ids is one statement, not a write and then a read of the same rows.
    """
    database = Notification._meta.database
    now = utcnow()
    due = "payload->>'due'" if is_postgres() else "json_extract(payload, '$.due')"
    returned = f"id, key, mandatory, sweep_date, status, kind, {due}, system_id"
    if payloads:
        returned += ", payload"
    # A digest's rows share a few sweep dates, statuses, kinds, due dates and systems: each
    # value is kept once, not once a row; each chunk's rows are made claimed rows as they come.
    same: dict[Any, Any] = {}
    days: dict[Any, date] = {}
    claimed: list[Claimed] = []
    with write_transaction(wait_for_disk=False):
        for chunk in _chunks(ids):
            taken = database.execute_sql(
                _sql(
                    "UPDATE notification SET state = 'sending', attempts = attempts + 1, claimed_at = ? "
                    "WHERE id IN ({ids}) AND (state IN ('pending', 'failed') OR (state = 'sending' AND claimed_at < ?)) "
                    f"RETURNING {returned}",
                    chunk,
                ),
                [now, *chunk, now - STALE_CLAIM],
            ).fetchall()
            if len(taken) != len(chunk):
                raise _LostClaim()  # the transaction gives back what earlier chunks took
            for row_id, key, mandatory, sweep_date, status, kind, due_on, system_id, *rest in taken:
                day = days.get(sweep_date)
                if day is None:
                    day = days[sweep_date] = as_day(sweep_date)
                row = Claimed(
                    key,
                    bool(mandatory),
                    day,
                    id=row_id,
                    status=same.setdefault(status, status),
                    due=same.setdefault(due_on, due_on),
                    kind=same.setdefault(kind, kind),
                    system_id=same.setdefault(system_id, system_id),
                )
                if rest:
                    row._payload = _parsed(rest[0])
                claimed.append(row)
    # In the message's order (by system, then row), whichever chunk a row came from; a row
    # without a system first, as the database sorts NULL.
    nulls_first = not is_postgres()
    claimed.sort(
        key=lambda row: (
            row.system_id is not None if nulls_first else row.system_id is None,
            row.system_id or 0,
            row.id,
        )
    )
    return claimed


def load_payloads(rows: Iterable[Claimed]) -> None:
    """Read the payloads of those ``rows`` that have none yet (one query a chunk of ids)."""
    waiting = {row.id: row for row in rows if not row.loaded and row.id is not None}
    if not waiting:
        return
    for row_id, payload in payloads_by_id(list(waiting)).items():
        waiting[row_id]._payload = payload


def payloads_by_id(ids: list[int]) -> dict[int, dict[str, Any]]:
    """The payloads of these rows, by id, a chunk of ids a statement: the one place a row's
    payload is read (a claimed row's, and the Reminders page's, tracker.reminders.history)."""
    database = Notification._meta.database
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row_id, payload in database.execute_sql(
            _sql("SELECT id, payload FROM notification WHERE id IN ({ids})", chunk), chunk
        ).fetchall():
            found[row_id] = _parsed(payload)
    return found


def _parsed(payload: Any) -> dict[str, Any]:
    """A payload as the driver gives it: parsed already (PostgreSQL) or JSON text (SQLite)."""
    return json.loads(payload) if isinstance(payload, str) else payload


class _LostClaim(Exception):
    pass


def try_claim(ids: list[int], payloads: bool = False) -> list[Claimed] | None:
    """:func:`claim`, or None when another worker holds some of the rows (then none is taken:
    the message is theirs to send)."""
    try:
        return claim(ids, payloads)
    except _LostClaim:
        return None


def mark_sent(ids: list[int], message_id: str, listed: Collection[int] | None = None) -> None:
    """Sent. The last error of earlier tries stays, next to the number of attempts.

    ``listed``: the rows the e-mail named, when it did not name them all (a digest over
    ``TRACKER_DIGEST_MAX_ITEMS`` counts the others): the others are marked ``listed = false``,
    sent by this e-mail all the same, and escalation does not count them as reminders
    (tracker.reminders.escalation.sent_per_item_and_status). None: every row was listed.
    """
    now = utcnow()
    every = listed is None
    with write_transaction(wait_for_disk=False):
        for chunk in _chunks(ids):
            Notification._meta.database.execute_sql(
                _sql(
                    "UPDATE notification SET state = 'sent', sent_at = ?, message_id = ?, listed = ? "
                    "WHERE id IN ({ids})",
                    chunk,
                ),
                [now, message_id, every, *chunk],
            )
        if not every:
            for chunk in _chunks(list(listed or ())):
                Notification._meta.database.execute_sql(
                    _sql("UPDATE notification SET listed = ? WHERE id IN ({ids})", chunk),
                    [True, *chunk],
                )


def release(ids: list[int], error: str, failed: bool) -> None:
    """Give claimed rows back after a failed send: pending while the job still retries, failed
    after its last try (visible, and tried again by the next run or sweep)."""
    with write_transaction():
        for chunk in _chunks(ids):
            Notification.update(
                state="failed" if failed else "pending", last_error=error[:2000]
            ).where(Notification.id.in_(chunk) & (Notification.state == "sending")).execute()


def note_failure(ids: list[int], error: str, failed: bool) -> None:
    """Count a try that never reached these rows (the server was down before their turn).

    Only rows still waiting are touched: one that another worker has claimed meanwhile is theirs.
    """
    changes: dict[str, Any] = {"attempts": Notification.attempts + 1, "last_error": error[:2000]}
    if failed:
        changes["state"] = "failed"
    with write_transaction():
        for chunk in _chunks(ids):
            Notification.update(**changes).where(
                Notification.id.in_(chunk) & Notification.state.in_(OPEN)
            ).execute()
