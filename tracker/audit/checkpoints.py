"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint says "the chain had N events and event N's hash was H at this time", signed with
the Ed25519 key derived from the newest audit key. Checkpoints are appended as one JSON line each
to a file (TRACKER_AUDIT_CHECKPOINT_FILE) that operators can ship elsewhere (syslog, a WORM
bucket, an e-mail to the DPO): someone who can write to the database can cut the newest events
and move the head consistently, or delete the whole chain, but cannot take back what a
checkpoint already recorded.

A line anyone can check with the public key (``tracker audit public-key``)::

    {"checkpoint": 3, "events": 120, "last_id": 120, "head_hash": "...", "key_id": "...",
     "made_at": "2026-11-27T07:00:02Z", "signature": "<base64 Ed25519 signature>"}

The signature covers ``tracker-audit-checkpoint-v1`` and a newline, then the other fields as
JSON with sorted keys and no spaces.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from tracker.audit.keys import AuditKey, Keyring

PREFIX = b"tracker-audit-checkpoint-v1\n"
FIELDS = ("checkpoint", "events", "last_id", "head_hash", "key_id", "made_at")


@dataclass(frozen=True)
class Checkpoint:
    checkpoint: int
    events: int
    last_id: int
    head_hash: str
    key_id: str
    made_at: str
    signature: str = ""

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def message(self) -> bytes:
        return PREFIX + json.dumps(self.content(), sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        return json.dumps({**self.content(), "signature": self.signature}, sort_keys=True)


@dataclass(frozen=True)
class Entry:
    """One line of the file: its checkpoint, or why it is not one."""

    number: int  # the line's number, 1 first
    checkpoint: Checkpoint | None
    problem: str = ""


def sign(content: dict[str, Any], key: AuditKey) -> Checkpoint:
    unsigned = Checkpoint(**content, key_id=key.key_id)
    signature = key.signing_key.sign(unsigned.message())
    return Checkpoint(**unsigned.content(), signature=base64.b64encode(signature).decode())


def signature_problem(checkpoint: Checkpoint, keyring: Keyring) -> str:
    """'' when the signature is good; else 'unknown-key' or 'bad-signature'."""
    key = keyring.get(checkpoint.key_id)
    if key is None:
        return "unknown-key"
    try:
        key.public_key.verify(base64.b64decode(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return "bad-signature"
    return ""


def _parse(number: int, line: str) -> Entry:
    try:
        data = json.loads(line)
        checkpoint = Checkpoint(
            checkpoint=int(data["checkpoint"]),
            events=int(data["events"]),
            last_id=int(data["last_id"]),
            head_hash=str(data["head_hash"]),
            key_id=str(data["key_id"]),
            made_at=str(data["made_at"]),
            signature=str(data["signature"]),
        )
    except (ValueError, KeyError, TypeError):
        return Entry(number, None, "unreadable")
    return Entry(number, checkpoint)


def read(path: Path) -> Iterator[Entry]:
    """Every non-empty line of the checkpoint file (nothing when there is no file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield _parse(number, line)
    except FileNotFoundError:
        return


def append(path: Path, content: dict[str, Any], key: AuditKey) -> Checkpoint:
    """Number, sign and append one checkpoint, under a lock so that writers do not interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as out:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX)
        out.seek(0)
        number = sum(1 for line in out if line.strip()) + 1
        checkpoint = sign({**content, "checkpoint": number}, key)
        out.seek(0, os.SEEK_END)
        out.write(checkpoint.line() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return checkpoint
