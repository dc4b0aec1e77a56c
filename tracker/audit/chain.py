"""What the audit chain is made of: how an event is hashed and linked to the one before it.

Shared by the writing side (:mod:`tracker.audit`), the verification
(:mod:`tracker.audit.verification`) and the evidence packs' excerpts (:mod:`tracker.packs.excerpt`),
so all of them hash an event the same way. An unkeyed hash is plain SHA-256 over the previous
hash and the event's canonical JSON; a keyed one is an HMAC of the same message under an audit key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tracker.audit.keys import AuditKey
from tracker.models import AuditEvent

GENESIS_HASH = "0" * 64
# The events at which a key starts keying the chain: verification checks each key change has one.
PROTECTION_STARTED = "audit.protection_started"
KEY_ROTATED = "audit.key_rotated"
KEY_EVENTS = (PROTECTION_STARTED, KEY_ROTATED)


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


def _message(prev_hash: str, fields: Mapping[str, Any]) -> bytes:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{prev_hash}\n{canonical}".encode()


def _event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The unkeyed hash: plain SHA-256, which anyone can recompute."""
    return hashlib.sha256(_message(prev_hash, fields)).hexdigest()


def _keyed_hash(prev_hash: str, fields: Mapping[str, Any], key: AuditKey | None) -> str:
    return key.mac(_message(prev_hash, fields)) if key else _event_hash(prev_hash, fields)


HASHED = ("id", "occurred_at", "actor", "action", "entity_type", "entity_id", "before", "after")


def hashed_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers, from its values (a row's, or an excerpt line's)."""
    fields = {name: values.get(name) for name in HASHED}
    fields["entity_id"] = str(fields["entity_id"])
    if values.get("key_id"):  # only keyed events hash it, so unkeyed hashes stay as they were
        fields["key_id"] = values["key_id"]
    if values.get("request_id"):  # likewise: events from before schema 18 hash as they did
        fields["request_id"] = values["request_id"]
    return fields


def event_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    """An unkeyed event's hash (plain SHA-256), which anyone can recompute from its values."""
    return _event_hash(prev_hash, hashed_fields(values))


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return hashed_fields({**event.__data__, "entity_id": event.entity_id})
