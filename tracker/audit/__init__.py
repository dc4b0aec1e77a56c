"""The audit trail: an append-only, hash-chained log of every change.

Each event's hash covers its own content and the previous event's hash, and a
one-row head table holds the newest id and hash. Editing, removing or
re-ordering any past event, or cutting off the newest ones, breaks the chain
at a point that :func:`verify` names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import peewee as pw

from tracker.db import is_postgres, utcnow
from tracker.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


def jsonable(value: Any) -> Any:
    """``value`` with dates and datetimes as ISO text, so it hashes the same after a round trip."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def _event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": str(event.entity_id),
        "before": event.before,
        "after": event.after,
    }


def record(
    actor: str,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call inside the write transaction that makes the change."""
    head_query = AuditHead.select()
    if is_postgres():
        head_query = head_query.for_update()
    head = head_query.get()
    event = AuditEvent(
        id=head.last_id + 1,
        occurred_at=utcnow().isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(head.last_hash, _hashed_fields(event))
    event.save(force_insert=True)
    AuditHead.update(last_id=event.id, last_hash=event.hash).where(
        AuditHead.id == head.id
    ).execute()
    return event


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ, as (before, after) snapshots."""
    keys = [k for k in after if jsonable(before.get(k)) != jsonable(after.get(k))]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_id: int | None = None
    problem: str = ""


def verify(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Walk the whole chain in order and name the first broken link, if any."""
    rows = events if events is not None else AuditEvent.select().order_by(AuditEvent.id).iterator()
    expected_prev, expected_id, checked = GENESIS_HASH, 1, 0
    for event in rows:
        if event.id != expected_id:
            return ChainReport(
                False,
                checked,
                expected_id,
                f"event {expected_id} is missing: the chain jumps from {expected_id - 1} to {event.id}",
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.id,
                f"event {event.id} does not follow event {event.id - 1}: "
                "the earlier event was altered or replaced",
            )
        if _event_hash(event.prev_hash, _hashed_fields(event)) != event.hash:
            return ChainReport(
                False,
                checked,
                event.id,
                f"event {event.id} was altered: its content no longer matches its hash",
            )
        expected_prev, expected_id, checked = event.hash, expected_id + 1, checked + 1
    head = AuditHead.select().get()
    if head.last_id != checked or head.last_hash != expected_prev:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the chain ends at event {checked} but the head records event {head.last_id}: "
            "the newest events were removed",
        )
    return ChainReport(True, checked)


def find_events(filters: Mapping[str, Any]) -> pw.ModelSelect:
    """Audit events, oldest first: entity_type, entity_id, actor, action, since/until (UTC)."""
    query = AuditEvent.select().order_by(AuditEvent.id)
    for name in ("entity_type", "entity_id", "actor", "action"):
        if filters.get(name):
            query = query.where(getattr(AuditEvent, name) == filters[name])
    if filters.get("since"):
        query = query.where(
            AuditEvent.occurred_at >= filters["since"].isoformat(timespec="microseconds")
        )
    if filters.get("until"):
        query = query.where(
            AuditEvent.occurred_at < filters["until"].isoformat(timespec="microseconds")
        )
    return query
