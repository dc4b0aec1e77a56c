"""Checking the audit chain: every link, the head, emptiness and the signed checkpoints.

:func:`verify` walks the chain in order and names the first broken link; it also checks that
the head matches the chain's end, that no event lies beyond the head, that an empty chain goes
with an empty database, and every checkpoint in the checkpoint file. Its :class:`ChainReport`
says what was found and, in ``notes``, what the result does not prove. Writing events and
checkpoints is :mod:`tracker.audit`'s job; how an event is hashed is :mod:`tracker.audit.chain`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from tracker.audit import checkpoints as checkpoint_file
from tracker.audit import keys
from tracker.audit.chain import (
    GENESIS_HASH,
    KEY_ROTATED,
    PROTECTION_STARTED,
    _hashed_fields,
    _keyed_hash,
)
from tracker.audit.checkpoints import Checkpoint
from tracker.audit.keys import Keyring
from tracker.i18n.text import Phrase
from tracker.models import AISystem, AuditEvent, AuditHead, Evidence, User

ID_BATCH = 500


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


class ChainBroken(Exception):
    """A checkpoint was refused: the chain does not verify (``report`` says where)."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(str(report.problem))
        self.report = report
