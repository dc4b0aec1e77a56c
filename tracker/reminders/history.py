"""The reminder ledger as people read it: one entry per e-mail, with the items it carried.

The ledger keeps one row per (person, item); an e-mail is a group of them. Rows sent together
share their Message-ID. Rows not sent (yet) have none, so they are grouped as they would go out:
per recipient, sweep date and state (a digest waiting, failed, or closed unsent).

A page of e-mails costs a fixed number of queries whatever its size: the groups of the page, the
first rows of those groups (``ITEMS_SHOWN`` an e-mail at most: a DPO's digest can carry hundreds
of thousands), the payloads of the rows shown, the count per state, and the names of the systems
they mention.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import peewee as pw

from tracker.completeness.driver import as_moment
from tracker.completeness.facts import as_day
from tracker.models import AISystem, Notification
from tracker.reminders import claiming

UNSENT = Notification.message_id == pw.SQL("''")
# Rows sent together share a Message-ID; the others are grouped by their sweep date too.
SWEEP_OF_UNSENT = pw.Case(None, [(UNSENT, Notification.sweep_date)], None)
GROUPING = (Notification.recipient, Notification.message_id, SWEEP_OF_UNSENT, Notification.state)
# Items an e-mail shows at most, in the order of its systems; the others are counted. More than
# a digest lists by default (TRACKER_DIGEST_MAX_ITEMS), so that an ordinary digest shows whole.
ITEMS_SHOWN = 200


@dataclass
class Item:
    """One reminder inside an e-mail."""

    kind: str
    system_id: int | None
    system_name: str  # the system's current name, else the one the e-mail gave; "" agency-wide
    requirement_id: str | None
    title: str  # what the e-mail said about the item
    mandatory: bool
    listed: bool = True  # False: the e-mail counted it without naming it (a capped digest)


@dataclass
class Email:
    """One e-mail: sent, failed, waiting (pending or being sent), or closed unsent (obsolete)."""

    recipient: str
    name: str
    state: str
    message_id: str
    sweep_date: date  # the earliest sweep among its items
    sent_at: datetime | None
    attempts: int
    last_error: str
    count: int  # every item, shown or not
    items: list[Item] = field(default_factory=list)  # the first ITEMS_SHOWN

    @property
    def more(self) -> int:
        """Items the e-mail carried that are not in ``items``."""
        return self.count - len(self.items)


def _filtered(query: pw.ModelSelect, filters: Mapping[str, Any]) -> pw.ModelSelect:
    if filters.get("state"):
        query = query.where(Notification.state == filters["state"])
    if filters.get("kind"):
        query = query.where(Notification.kind == filters["kind"])
    if filters.get("recipient"):
        query = query.where(Notification.recipient == filters["recipient"].strip().casefold())
    return query


def counts(filters: Mapping[str, Any]) -> dict[str, int]:
    """Number of e-mails per state, under the filters other than the state (one query)."""
    others = {name: value for name, value in filters.items() if name != "state"}
    grouped = (
        _filtered(Notification.select(Notification.state.alias("state")), others)
        .group_by(*GROUPING)
        .alias("emails")
    )
    query = (
        pw.Select([grouped], [grouped.c.state, pw.fn.COUNT(pw.SQL("*"))])
        .group_by(grouped.c.state)
        .bind(Notification._meta.database)
    )
    return dict(query.tuples())


def emails(filters: Mapping[str, Any], page: int, page_size: int) -> list[Email]:
    """One page of e-mails, newest first, each with its first ``ITEMS_SHOWN`` items (a query for
    the groups, one for their first rows, one for the payloads of those, one for names)."""
    groups = (
        _filtered(
            Notification.select(
                Notification.recipient,
                Notification.message_id,
                SWEEP_OF_UNSENT.alias("unsent_sweep"),
                Notification.state,
                pw.fn.MAX(Notification.recipient_name).alias("name"),
                pw.fn.MIN(Notification.sweep_date).alias("first_sweep"),
                pw.fn.MAX(Notification.sent_at).alias("sent_at"),
                pw.fn.MAX(Notification.attempts).alias("attempts"),
                pw.fn.COUNT(Notification.id).alias("count"),
                pw.fn.MAX(Notification.id).alias("newest"),
            ),
            filters,
        )
        .group_by(*GROUPING)
        .order_by(pw.SQL("newest").desc())
        .paginate(page, page_size)
        .dicts()
    )
    found: dict[tuple, Email] = {}
    conditions = []
    for g in groups:
        sweep = as_day(g["unsent_sweep"]) if g["unsent_sweep"] is not None else None
        key = (g["recipient"], g["message_id"], sweep, g["state"])
        found[key] = Email(
            recipient=g["recipient"],
            name=g["name"] or "",
            state=g["state"],
            message_id=g["message_id"],
            sweep_date=as_day(g["first_sweep"]),
            sent_at=as_moment(g["sent_at"]),
            attempts=g["attempts"] or 0,
            last_error="",
            count=g["count"],
        )
        if g["message_id"]:
            conditions.append(Notification.message_id == g["message_id"])
        else:
            conditions.append(
                UNSENT
                & (Notification.recipient == g["recipient"])
                & (Notification.sweep_date == sweep)
                & (Notification.state == g["state"])
            )
    if not found:
        return []
    rows = list(
        Notification.select(
            Notification.id,
            Notification.recipient,
            Notification.message_id,
            Notification.sweep_date,
            Notification.state,
            Notification.kind,
            Notification.system_id,
            Notification.requirement_id,
            Notification.mandatory,
            Notification.listed,
            Notification.last_error,
        )
        .where(
            Notification.id.in_(_first_rows(functools.reduce(operator.or_, conditions), filters))
        )
        .order_by(Notification.system_id, Notification.id)
    )
    shown: list[tuple[Email, Notification]] = []
    taken: dict[tuple, int] = {}
    for row in rows:
        sweep = None if row.message_id else as_day(row.sweep_date)
        key = (row.recipient, row.message_id, sweep, row.state)
        email = found.get(key)
        if email is None:  # a row of another group that shares the Message-ID: none exist
            continue
        if taken.get(key, 0) < ITEMS_SHOWN:
            taken[key] = taken.get(key, 0) + 1
            shown.append((email, row))
        if row.last_error and not email.last_error:
            email.last_error = row.last_error
    payloads = claiming.payloads_by_id([row.id for _, row in shown])
    names = dict(
        AISystem.select(AISystem.id, AISystem.name)
        .where(AISystem.id.in_(sorted({row.system_id for _, row in shown if row.system_id})))
        .tuples()
    )
    for email, row in shown:
        payload = payloads.get(row.id) or {}
        email.items.append(
            Item(
                kind=row.kind,
                system_id=row.system_id,
                system_name=names.get(row.system_id, payload.get("system_name") or ""),
                requirement_id=row.requirement_id,
                title=payload.get("title") or "",
                mandatory=row.mandatory,
                listed=row.listed,
            )
        )
    return list(found.values())


def _first_rows(groups: pw.Expression, filters: Mapping[str, Any]) -> pw.ModelSelect:
    """The ids of the rows a page reads of its ``groups``: each e-mail's first ``ITEMS_SHOWN``
    (by system, then row, as they are shown), and its first row with an error, for the error
    the page shows whichever row carries it."""
    order = [Notification.system_id, Notification.id]
    erred = Notification.last_error != ""
    ranked = _filtered(
        Notification.select(
            Notification.id,
            pw.fn.ROW_NUMBER().over(partition_by=list(GROUPING), order_by=order).alias("place"),
            erred.alias("erred"),
            pw.fn.ROW_NUMBER()
            .over(partition_by=[*GROUPING, erred], order_by=order)
            .alias("among_erred"),
        ).where(groups),
        filters,
    ).alias("ranked")
    return (
        pw.Select([ranked], [ranked.c.id])
        .where((ranked.c.place <= ITEMS_SHOWN) | (ranked.c.erred & (ranked.c.among_erred == 1)))
        .bind(Notification._meta.database)
    )
