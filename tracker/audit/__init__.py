"""The audit trail: an append-only, hash-chained log of every change. This module writes it.

Each event's hash covers its own content and the previous event's hash, and a one-row head table
holds the newest id and hash. Editing, removing or re-ordering any past event, or cutting off the
newest ones, breaks the chain at a point that :func:`verify` names.

A plain hash chain stops nobody who can write to the database: they recompute it. So with an
audit key configured (:mod:`tracker.audit.keys`, kept outside the database) each hash is an
HMAC-SHA256 under that key, which a database writer cannot recompute; and signed checkpoints
written outside the database (:mod:`tracker.audit.checkpoints`) record how long the chain was,
so cutting its newest events or emptying it is detected too. Events from before a key was
configured stay plain SHA-256 ("unkeyed"); the first keyed event is an
``audit.protection_started`` event, and a new key takes over at an ``audit.key_rotated`` one.

Here: appending events (:func:`record`), keying the chain (:func:`use_newest_key`) and writing
checkpoints (:func:`checkpoint`). How an event is hashed is in :mod:`tracker.audit.chain`, the
checks in :mod:`tracker.audit.verification` and the event search in :mod:`tracker.audit.search`;
their names are re-exported here (the ``import X as X`` lines), so the callers' imports and
``audit.X`` uses stay as they were.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker import db
from tracker.audit import checkpoints as checkpoint_file
from tracker.audit import keys
from tracker.audit.chain import GENESIS_HASH as GENESIS_HASH
from tracker.audit.chain import HASHED as HASHED
from tracker.audit.chain import KEY_EVENTS as KEY_EVENTS
from tracker.audit.chain import (
    KEY_ROTATED,
    PROTECTION_STARTED,
    _hashed_fields,
    _keyed_hash,
    jsonable,
)
from tracker.audit.chain import _event_hash as _event_hash
from tracker.audit.chain import _message as _message
from tracker.audit.chain import event_hash as event_hash
from tracker.audit.chain import hashed_fields as hashed_fields
from tracker.audit.checkpoints import Checkpoint
from tracker.audit.keys import AuditKey, AuditKeyError, Keyring
from tracker.audit.search import find_events
from tracker.audit.verification import ChainBroken, ChainReport, _head, verify
from tracker.db import is_postgres, utcnow, write_transaction
from tracker.models import AuditEvent, AuditHead
from tracker.operations import request_id as request_ids

KEY_ENTITY = "audit_key"
KEY_ACTOR = "system"

__all__ = [
    "AuditKeyError",
    "ChainBroken",
    "ChainReport",
    "Checkpoint",
    "changes",
    "checkpoint",
    "find_events",
    "record",
    "use_newest_key",
    "verify",
]


# Databases whose schema has the key columns (version 9), and the request id (version 18):
# ``record`` also runs during an upgrade from before them (schema 6 records its changes), and
# must write the old rows there.
_columns_seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _has_column(table: str, column: str) -> bool:
    database = db.database.obj
    seen = _columns_seen.setdefault(database, set())
    if (table, column) in seen:
        return True
    if is_postgres(database):
        found = database.execute_sql(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND column_name = %s",
            (table, column),
        ).fetchone()
    else:
        found = any(c.name == column for c in database.get_columns(table))
    if found:
        seen.add((table, column))
    return bool(found)


def _has_key_columns() -> bool:
    return _has_column("audit_head", "key_id")


def _locked_head(keyed: bool) -> AuditHead:
    columns = [AuditHead.id, AuditHead.last_id, AuditHead.last_hash]
    query = AuditHead.select(*columns, *([AuditHead.key_id] if keyed else []))
    if is_postgres():
        query = query.for_update()
    return query.get()


def _key_to_use(head: AuditHead, keyring: Keyring) -> AuditKey | None:
    """The newest key; None without keys on an unkeyed chain; AuditKeyError where the chain is
    keyed with a key this process does not have (writing on would break it)."""
    if keyring.newest is None:
        if head.key_id:
            raise AuditKeyError(
                f"the audit trail is keyed (its newest event uses audit key {head.key_id}) but "
                "no audit key is configured: set TRACKER_AUDIT_KEY or TRACKER_AUDIT_KEY_FILE"
            )
        return None
    if head.key_id and keyring.get(head.key_id) is None:
        raise AuditKeyError(
            f"the audit trail's newest event uses audit key {head.key_id}, which is not among "
            f"the configured keys ({keyring.source}): the keyring is out of date or wrong"
        )
    return keyring.newest


def _append(
    head: AuditHead,
    key: AuditKey | None,
    keyed_schema: bool,
    values: dict[str, Any],
) -> AuditEvent:
    # Before version 18 there is no request id column (nor, before 9, a key column).
    with_request_id = keyed_schema and _has_column("audit_event", "request_id")
    event = AuditEvent(
        id=head.last_id + 1,
        occurred_at=utcnow().isoformat(timespec="microseconds"),
        prev_hash=head.last_hash,
        key_id=key.key_id if key else "",
        request_id=request_ids.current() if with_request_id else "",
        **values,
    )
    event.hash = _keyed_hash(head.last_hash, _hashed_fields(event), key)
    if with_request_id:
        event.save(force_insert=True)
    else:  # the table as it was before: a model insert would add the newer columns
        absent = {"request_id"} if keyed_schema else {"request_id", "key_id"}
        columns = {
            field.column_name: field.db_value(event.__data__[name])
            for name, field in AuditEvent._meta.fields.items()
            if name not in absent
        }
        AuditEvent._meta.table.insert(columns).execute(db.database)
    moved = {AuditHead.last_id: event.id, AuditHead.last_hash: event.hash}
    if keyed_schema:
        moved[AuditHead.key_id] = event.key_id
    AuditHead.update(moved).where(AuditHead.id == head.id).execute()
    head.last_id, head.last_hash, head.key_id = event.id, event.hash, event.key_id
    return event


def _begin_key(head: AuditHead, key: AuditKey, actor: str) -> AuditEvent:
    """The event from which ``key`` keys the chain."""
    rotated = bool(head.key_id)
    return _append(
        head,
        key,
        True,
        {
            "actor": actor,
            "action": KEY_ROTATED if rotated else PROTECTION_STARTED,
            "entity_type": KEY_ENTITY,
            "entity_id": key.key_id,
            "before": {"key_id": head.key_id} if rotated else None,
            "after": {"key_id": key.key_id},
        },
    )


def record(
    actor: str,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call inside the write transaction that makes the change.

    With an audit key configured, the event is keyed with the newest key; if the chain was not
    keyed yet, or keyed with an older key, an event marking the change comes first.
    """
    keyed_schema = _has_key_columns()
    head = _locked_head(keyed_schema)
    key = _key_to_use(head, keys.current()) if keyed_schema else None
    if key is not None and head.key_id != key.key_id:
        _begin_key(head, key, KEY_ACTOR)
    return _append(
        head,
        key,
        keyed_schema,
        {
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "before": jsonable(before) if before is not None else None,
            "after": jsonable(after) if after is not None else None,
        },
    )


def use_newest_key(actor: str, keyring: Keyring | None = None) -> AuditEvent | None:
    """Key the chain with the newest key from now on: the marking event, or None if it already is.

    ``tracker audit rotate-key`` and ``checkpoint`` call it, so a new key applies at once rather
    than at the next change.
    """
    ring = keyring if keyring is not None else keys.current()
    with write_transaction():
        head = _locked_head(True)
        key = _key_to_use(head, ring)
        if key is None or head.key_id == key.key_id:
            return None
        return _begin_key(head, key, actor)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ, as (before, after) snapshots."""
    keys_ = [k for k in after if jsonable(before.get(k)) != jsonable(after.get(k))]
    return {k: before.get(k) for k in keys_}, {k: after[k] for k in keys_}


def checkpoint(actor: str, keyring: Keyring | None = None, path: Path | None = None) -> Checkpoint:
    """Verify the chain, then append a signed checkpoint of it to the checkpoint file.

    Keys the chain with the newest key first if it is not yet. Raises AuditKeyError without a
    key, and ChainBroken (naming the problem) rather than sign a chain that does not verify.
    """
    settings = keys.current_settings()
    ring = keyring if keyring is not None else keys.current()
    target = path if path is not None else getattr(settings, "audit_checkpoint_file", None)
    if ring.newest is None:
        raise AuditKeyError(
            "checkpoints are signed with the audit key, and none is configured: set "
            "TRACKER_AUDIT_KEY or TRACKER_AUDIT_KEY_FILE (`tracker audit rotate-key` makes one)"
        )
    if target is None:
        raise AuditKeyError("no checkpoint file: set TRACKER_AUDIT_CHECKPOINT_FILE")
    use_newest_key(actor, ring)
    head = _head()
    report = verify(keyring=ring, checkpoints=Path(target))
    if not report.ok:
        raise ChainBroken(report)
    made_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    content = {"events": head[0], "last_id": head[0], "head_hash": head[1], "made_at": made_at}
    return checkpoint_file.append(Path(target), content, ring.newest)
