"""When a register entry last changed, since when it is published, and since when in use.

"Last updated" in the public register means the last moment anything the entry shows changed:
a public field's value, which fields are public, the system entering the register, or its
published audits and impact assessments (one accepted, rejected after acceptance, or
superseded). Changes to internal or authority-only fields do not count, so a reader is never
told "updated yesterday" about a change they cannot see, and the date never hints at one.

The history comes from the audit trail: each system's creation holds its whole profile, each
update the fields it changed, so replaying them gives what the register showed after every
change. Schema upgrades (``system.migrated``) restate facts in new terms; they are replayed
but never count as an update. Plain Python, no web framework.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.models import AISystem, AuditEvent

# Up to this many systems, queries name them (IN ...); beyond, they read all rows and pick.
RESTRICT_AT_MOST = 500
ACTIONS = ("system.created", "system.updated", "system.migrated")
IN_USE_STAGES = ("deployment", "monitoring")
STILL_SAYS_IN_USE = ("deployment", "monitoring", "decommissioned")


# What the register showed of a system in a given profile state (None: not published), in a
# form that compares equal exactly when the register showed the same thing.
View = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class History:
    last_updated: datetime
    published_since: datetime | None
    first_in_use: datetime | None


def _events(system_ids: list[int]) -> dict[int, list[tuple[str, str, dict]]]:
    query = (
        AuditEvent.select(
            AuditEvent.entity_id, AuditEvent.action, AuditEvent.occurred_at, AuditEvent.after
        )
        .where((AuditEvent.entity_type == "ai_system") & AuditEvent.action.in_(ACTIONS))
        .order_by(AuditEvent.id)
    )
    if len(system_ids) <= RESTRICT_AT_MOST:
        query = query.where(AuditEvent.entity_id.in_([str(i) for i in system_ids]))
    wanted = set(system_ids)
    found: dict[int, list[tuple[str, str, dict]]] = {i: [] for i in system_ids}
    for entity_id, action, occurred_at, after in query.tuples():
        if entity_id.isdigit() and int(entity_id) in wanted:
            if isinstance(after, str):  # SQLite may hand JSON back as text
                after = json.loads(after)
            found[int(entity_id)].append((action, occurred_at, after or {}))
    return found


def history(
    system: AISystem,
    events: Iterable[tuple[str, str, dict]],
    evidence_changes: Iterable[datetime],
    view: View,
) -> History:
    """One system's history from its audit events (oldest first) and the moments its published
    evidence changed."""
    state: dict[str, Any] = {}
    changed: list[datetime] = []
    published_since = first_in_use = None
    for action, occurred_at, after in events:
        moment = datetime.fromisoformat(occurred_at)
        before_view = view(state)
        if action == "system.created":
            state = dict(after)
        else:
            state.update(after)
        after_view = view(state)
        if action != "system.migrated" and after_view != before_view:
            changed.append(moment)
        if after_view is None:
            published_since = None
        elif before_view is None:
            published_since = moment
        if first_in_use is None and state.get("lifecycle_stage") in IN_USE_STAGES:
            first_in_use = moment
    if not state:  # no trail (a row written outside the register): what the row says
        changed.append(system.updated_at)
        published_since = published_since or (system.updated_at if system.published else None)
        if system.lifecycle_stage in IN_USE_STAGES:
            first_in_use = system.updated_at
    shown_evidence = [m for m in evidence_changes if published_since and m > published_since]
    last = max([*changed, *shown_evidence], default=system.updated_at)
    if system.lifecycle_stage not in STILL_SAYS_IN_USE:
        first_in_use = None  # back before deployment: "in use since" would mislead
    return History(last, published_since, first_in_use)


def histories(
    systems: list[AISystem], evidence_changes: Mapping[int, list[datetime]], view: View
) -> dict[int, History]:
    """The history of each system, with one query whatever their number."""
    events = _events([s.id for s in systems]) if systems else {}
    return {
        s.id: history(s, events.get(s.id, []), evidence_changes.get(s.id, []), view)
        for s in systems
    }
