"""The audit trail: an append-only, hash-chained log of every change.

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
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import peewee as pw

from tracker import db
from tracker.audit import checkpoints as checkpoint_file
from tracker.audit import keys
from tracker.audit.checkpoints import Checkpoint
from tracker.audit.keys import AuditKey, AuditKeyError, Keyring
from tracker.db import is_postgres, utcnow, write_transaction
from tracker.i18n.text import Phrase
from tracker.models import AISystem, AuditEvent, AuditHead, Evidence, User
from tracker.operations import request_id as request_ids

GENESIS_HASH = "0" * 64
PROTECTION_STARTED = "audit.protection_started"
KEY_ROTATED = "audit.key_rotated"
KEY_EVENTS = (PROTECTION_STARTED, KEY_ROTATED)
KEY_ENTITY = "audit_key"
KEY_ACTOR = "system"
ID_BATCH = 500

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


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify` found. ``problem`` is the first problem, ``problems`` all of them
    (the walk stops at the first broken link; the head, emptiness and checkpoint checks are
    independent of it); ``notes`` say what the result does not prove."""

    ok: bool
    events_checked: int
    first_broken_id: int | None = None
    problem: str = ""
    problems: tuple[str, ...] = ()
    keyed: bool = False  # an audit key is configured
    protected_from: int | None = None  # the first keyed event
    key_ids: tuple[str, ...] = ()  # the keys the chain uses, oldest first
    checkpoints: int = 0  # checkpoints whose signature and content verified
    newest_checkpoint: Checkpoint | None = None
    notes: tuple[str, ...] = ()

    @property
    def protected(self) -> bool:
        """Keyed: no database writer can rewrite the events from ``protected_from`` on."""
        return self.keyed and self.protected_from is not None


class _Findings:
    def __init__(self) -> None:
        self.problems: list[tuple[int | None, str]] = []

    def add(self, event_id: int | None, problem: str) -> None:
        self.problems.append((event_id, problem))


def _walk(
    rows: Iterable[AuditEvent], keyring: Keyring, found: _Findings
) -> tuple[int, str, int | None, list[str]]:
    """(events verified, the last verified hash, the first keyed event, keys used)."""
    expected_prev, expected_id, checked = GENESIS_HASH, 1, 0
    first_keyed: int | None = None
    used: list[str] = []
    for event in rows:
        if event.id != expected_id:
            found.add(
                expected_id,
                Phrase(
                    "event %(id)s is missing: the chain jumps from %(before)s to %(after)s",
                    id=expected_id,
                    before=expected_id - 1,
                    after=event.id,
                ),
            )
            break
        if event.prev_hash != expected_prev:
            found.add(
                event.id,
                Phrase(
                    "event %(id)s does not follow event %(before)s: "
                    "the earlier event was altered or replaced",
                    id=event.id,
                    before=event.id - 1,
                ),
            )
            break
        key = None
        if event.key_id:
            key = keyring.get(event.key_id)
            if key is None:
                found.add(
                    event.id,
                    Phrase(
                        "event %(id)s is keyed with audit key %(key)s, which is not configured: "
                        "add it to the keyring to verify the events made with it",
                        id=event.id,
                        key=event.key_id,
                    ),
                )
                break
            if not used or used[-1] != event.key_id:
                problem = _key_change_problem(event, keyring, used)
                if problem:
                    found.add(event.id, problem)
                    break
                used.append(event.key_id)
                first_keyed = first_keyed or event.id
        elif first_keyed is not None:
            found.add(
                event.id,
                Phrase(
                    "event %(id)s is not keyed though the chain is keyed from event %(first)s: "
                    "it was written or rewritten without the audit key",
                    id=event.id,
                    first=first_keyed,
                ),
            )
            break
        if _keyed_hash(event.prev_hash, _hashed_fields(event), key) != event.hash:
            found.add(
                event.id,
                Phrase(
                    "hash mismatch at event %(id)s (the row was changed or the chain "
                    "recomputed without the key)",
                    id=event.id,
                )
                if key
                else Phrase(
                    "event %(id)s was altered: its content no longer matches its hash",
                    id=event.id,
                ),
            )
            break
        expected_prev, expected_id, checked = event.hash, expected_id + 1, checked + 1
    return checked, expected_prev, first_keyed, used


def _key_change_problem(event: AuditEvent, keyring: Keyring, used: list[str]) -> str:
    """Why ``event`` may not be where the chain starts using its key ('' if it may)."""
    expected = KEY_ROTATED if used else PROTECTION_STARTED
    after = event.after if isinstance(event.after, dict) else {}
    if event.action != expected or after.get("key_id") != event.key_id:
        return Phrase(
            "event %(id)s starts using audit key %(key)s without recording the change "
            "(an %(action)s event)",
            id=event.id,
            key=event.key_id,
            action=expected,
        )
    if used and (keyring.age(event.key_id) or 0) >= (keyring.age(used[-1]) or 0):
        return Phrase(
            "event %(id)s goes back to audit key %(key)s, older than the key before it",
            id=event.id,
            key=event.key_id,
        )
    return ""


def _check_head(head: tuple[int, str], checked: int, last_hash: str, found: _Findings) -> None:
    if head != (checked, last_hash):
        found.add(
            checked + 1,
            Phrase(
                "the chain ends at event %(end)s but the head records event %(head)s: "
                "the newest events were removed",
                end=checked,
                head=head[0],
            ),
        )


def _check_not_emptied(found: _Findings) -> None:
    """An empty chain is only right for an empty database: every change makes an event."""
    counts = {
        "systems": AISystem.select().count(),
        "evidence": Evidence.select().count(),
        "users": User.select().count(),
    }
    if any(counts.values()):
        found.add(
            1,
            Phrase(
                "the chain is empty but the database holds %(systems)s systems, %(evidence)s "
                "evidence items and %(users)s users: its events were deleted",
                **counts,
            ),
        )


def _stored_hashes(ids: set[int]) -> dict[int, str]:
    wanted = sorted(ids)
    stored: dict[int, str] = {}
    for start in range(0, len(wanted), ID_BATCH):
        query = AuditEvent.select(AuditEvent.id, AuditEvent.hash)
        stored.update(query.where(AuditEvent.id.in_(wanted[start : start + ID_BATCH])).tuples())
    return stored


def _check_checkpoints(
    path: Path, keyring: Keyring, events: int, found: _Findings
) -> tuple[int, Checkpoint | None]:
    """(checkpoints that verified, the newest of them)."""
    good: list[Checkpoint] = []
    for entry in checkpoint_file.read(path):
        checkpoint = entry.checkpoint
        if checkpoint is None:
            found.add(
                None,
                Phrase(
                    "line %(line)s of the checkpoint file %(file)s is not a checkpoint",
                    line=entry.number,
                    file=str(path),
                ),
            )
            continue
        trouble = checkpoint_file.signature_problem(checkpoint, keyring)
        if trouble == "unknown-key":
            found.add(
                None,
                Phrase(
                    "checkpoint %(n)s is signed with audit key %(key)s, which is not configured: "
                    "it cannot be checked",
                    n=checkpoint.checkpoint,
                    key=checkpoint.key_id,
                ),
            )
        elif trouble or checkpoint.events != checkpoint.last_id:
            found.add(
                None,
                Phrase(
                    "checkpoint %(n)s has a bad signature: it was altered or not signed with "
                    "the audit key",
                    n=checkpoint.checkpoint,
                ),
            )
        else:
            good.append(checkpoint)
    stored = _stored_hashes({c.last_id for c in good})
    verified = [c for c in good if stored.get(c.last_id, GENESIS_HASH) == c.head_hash]
    longest = max(good, key=lambda c: c.last_id, default=None)
    if longest is not None and (
        longest.last_id > events or (longest.last_id and longest.last_id not in stored)
    ):
        found.add(
            events + 1,
            Phrase(
                "events missing after checkpoint %(n)s: the log had %(logged)s events, "
                "the database has %(found)s",
                n=longest.checkpoint,
                logged=longest.events,
                found=events,
            ),
        )
    for checkpoint in good:
        if checkpoint.last_id in stored and stored[checkpoint.last_id] != checkpoint.head_hash:
            found.add(
                checkpoint.last_id,
                Phrase(
                    "hash mismatch at event %(id)s against checkpoint %(n)s: the chain was "
                    "rewritten after the checkpoint was made",
                    id=checkpoint.last_id,
                    n=checkpoint.checkpoint,
                ),
            )
            break
    newest = max(verified, key=lambda c: (c.last_id, c.checkpoint), default=None)
    return len(verified), newest


def _head() -> tuple[int, str]:
    head = AuditHead.select(AuditHead.last_id, AuditHead.last_hash).tuples().first()
    return head or (0, GENESIS_HASH)


def verify(
    events: Iterable[AuditEvent] | None = None,
    *,
    keyring: Keyring | None = None,
    checkpoints: Path | None = None,
) -> ChainReport:
    """Walk the whole chain in order and name the first broken link, if any; check the head,
    that an empty chain goes with an empty database, and every checkpoint.

    ``keyring`` and ``checkpoints`` (a checkpoint file) default to the settings that apply
    (:func:`tracker.audit.keys.current_settings`).
    """
    settings = keys.current_settings() if keyring is None or checkpoints is None else None
    ring = keyring if keyring is not None else keys.current()
    path = (
        checkpoints if checkpoints is not None else getattr(settings, "audit_checkpoint_file", None)
    )
    found = _Findings()
    # The head first, then the events up to it: an event appended meanwhile is beyond it and
    # left for the next check, instead of looking like a head that fell behind.
    head = _head()
    if events is None:
        query = AuditEvent.select().where(AuditEvent.id <= head[0]).order_by(AuditEvent.id)
        events = query.iterator()
    checked, last_hash, first_keyed, used = _walk(events, ring, found)
    if not found.problems:
        _check_head(head, checked, last_hash, found)
    newest_id = AuditEvent.select(pw.fn.MAX(AuditEvent.id)).scalar() or 0
    head_now = _head()[0]
    if newest_id > head_now:
        found.add(
            head_now + 1,
            Phrase(
                "event %(id)s lies beyond the head (event %(head)s): it was added without "
                "going through the chain",
                id=newest_id,
                head=head_now,
            ),
        )
    if newest_id == 0:
        _check_not_emptied(found)
    count = AuditEvent.select().count()
    done, newest = (0, None)
    if path is not None:
        done, newest = _check_checkpoints(Path(path), ring, count, found)
    notes = _notes(ring, checked, first_keyed, done, path, found)
    first = found.problems[0] if found.problems else (None, "")
    return ChainReport(
        ok=not found.problems,
        events_checked=checked,
        first_broken_id=first[0],
        problem=first[1],
        problems=tuple(problem for _, problem in found.problems),
        keyed=ring.newest is not None,
        protected_from=first_keyed,
        key_ids=tuple(used),
        checkpoints=done,
        newest_checkpoint=newest,
        notes=notes,
    )


def _notes(
    ring: Keyring,
    checked: int,
    first_keyed: int | None,
    done: int,
    path: Path | None,
    found: _Findings,
) -> tuple[str, ...]:
    notes: list[str] = list(ring.warnings)
    if ring.newest is None:
        notes.append(
            Phrase(
                "NOT protected against database writers: no audit key is configured "
                "(TRACKER_AUDIT_KEY or TRACKER_AUDIT_KEY_FILE), so whoever can write to the "
                "database can rewrite this chain without it showing"
            )
        )
        return tuple(notes)
    if first_keyed is None and checked and not found.problems:
        notes.append(
            Phrase(
                "an audit key is configured but no event uses it yet: the chain is keyed from "
                "the next event on (or run `tracker audit checkpoint`)"
            )
        )
    elif first_keyed and first_keyed > 1:
        notes.append(
            Phrase(
                "events 1 to %(last)s were recorded before the audit key was configured: they "
                "are chained with plain SHA-256, which a database writer can recompute",
                last=first_keyed - 1,
            )
        )
    if not done and path is not None and not found.problems:
        notes.append(
            Phrase(
                "no checkpoint yet in %(file)s: removing the newest events is only detected up "
                "to the newest checkpoint (run `tracker audit checkpoint`)",
                file=str(path),
            )
        )
    return tuple(notes)


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


class ChainBroken(Exception):
    """A checkpoint was refused: the chain does not verify (``report`` says where)."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(str(report.problem))
        self.report = report


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
