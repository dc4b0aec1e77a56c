"""Finding audit events by entity, actor, action and time, for the Activity page and the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee as pw

from tracker.models import AuditEvent


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
