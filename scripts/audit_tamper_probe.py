"""Audit tamper probe: rewrite the audit trail as someone with write access to the database (but
not the audit key) would, and show that ``tracker audit verify`` catches each attack.

It makes a scratch SQLite database in a temporary folder with an audit key and some events,
writes a signed checkpoint, then, each on its own copy of the database:

  a. cuts the newest events and moves the head row to the new last event;
  b. edits a row and recomputes every later hash (plain SHA-256: the attacker has no key);
  c. deletes every event and resets the head;

and runs the real ``tracker audit verify`` against the copy, printing a short table (exit status
and the first line of what it says). A last row shows the known limit: events newer than the
newest checkpoint can be cut without it showing, so checkpoint often. Exits 1 if any of a-c
is not caught.

    .venv/bin/python scripts/audit_tamper_probe.py      (or: make audit-probe)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import peewee

from tracker import accounts, audit, config, db, schema
from tracker.audit import keys
from tracker.db import write_transaction
from tracker.models import AuditEvent

USERS = 6
CHANGES = 40
AFTER_CHECKPOINT = 3


def _settings(folder: Path, name: str) -> config.Settings:
    return config.Settings(
        data_dir=folder,
        database_url=f"sqlite:///{folder / name}",
        audit_key_file=folder / "audit-keys",
        audit_checkpoint_file=folder / "audit-checkpoints.jsonl",
    ).validated()


def _environment(settings: config.Settings) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return {
        **keep,
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_AUDIT_KEY_FILE": str(settings.audit_key_file),
        "TRACKER_AUDIT_CHECKPOINT_FILE": str(settings.audit_checkpoint_file),
        "TRACKER_LANGUAGE": "en",
    }


def build(folder: Path) -> config.Settings:
    """The scratch database: users and changes, keyed, with a checkpoint, then a few more."""
    settings = _settings(folder, "original.db")
    keys.write_key_file(settings.audit_key_file, [keys.generate()])
    keys.configure(settings)
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database)
        for number in range(USERS):
            accounts.create_user(f"officer-{number}", "legal", "probe")
        for number in range(CHANGES):
            with write_transaction():
                audit.record(
                    "officer-1",
                    "evidence.reviewed",
                    "evidence",
                    number,
                    before={"state": "submitted"},
                    after={"state": "accepted"},
                )
        audit.checkpoint("probe")
        for number in range(AFTER_CHECKPOINT):
            with write_transaction():
                audit.record("officer-2", "evidence.reviewed", "evidence", 100 + number)
    database.close()
    return settings


def _move_head(event_id: int) -> None:
    last = AuditEvent.get_by_id(event_id) if event_id else None
    db.database.execute_sql(
        "UPDATE audit_head SET last_id = ?, last_hash = ?, key_id = ?",
        (event_id, last.hash if last else audit.GENESIS_HASH, last.key_id if last else ""),
    )


def _newest() -> int:
    return AuditEvent.select(peewee.fn.MAX(AuditEvent.id)).scalar() or 0


def cut_checkpointed(checkpointed: int) -> None:
    keep = checkpointed - 10
    AuditEvent.delete().where(AuditEvent.id > keep).execute()
    _move_head(keep)


def rewrite_one(_: int) -> None:
    target = 20
    AuditEvent.update(after={"state": "rejected"}).where(AuditEvent.id == target).execute()
    prev = AuditEvent.get_by_id(target - 1).hash
    for event in AuditEvent.select().where(AuditEvent.id >= target).order_by(AuditEvent.id):
        event.prev_hash = prev
        event.hash = prev = audit._event_hash(prev, audit._hashed_fields(event))
        event.save()
    _move_head(_newest())


def delete_everything(_: int) -> None:
    AuditEvent.delete().execute()
    _move_head(0)


def cut_after_checkpoint(checkpointed: int) -> None:
    AuditEvent.delete().where(AuditEvent.id > checkpointed).execute()
    _move_head(checkpointed)


# (label, what is done, how, whether verify must fail: None for the known limit, shown as is)
ATTACKS: list[tuple[str, str, Callable[[int], None] | None, bool | None]] = [
    ("-", "untouched copy", None, False),
    ("a", "cut the newest 10 events, move the head", cut_checkpointed, True),
    ("b", "edit event 20, recompute every later hash", rewrite_one, True),
    ("c", "delete every event, reset the head", delete_everything, True),
    ("limit", "cut only events newer than the checkpoint", cut_after_checkpoint, None),
]


def attack(original: config.Settings, number: int, change: Callable[[int], None] | None):
    copy = _settings(original.data_dir, f"attack-{number}.db")
    shutil.copy(db.sqlite_path(original.database_url), db.sqlite_path(copy.database_url))
    database = db.bind(copy.database_url)
    with database.connection_context():
        checkpointed = _newest() - AFTER_CHECKPOINT
        if change is not None:
            with database.atomic():
                change(checkpointed)
    database.close()
    tracker = Path(sys.executable).with_name("tracker")
    command = [str(tracker)] if tracker.exists() else [sys.executable, "-m", "tracker.cli"]
    result = subprocess.run(
        [*command, "audit", "verify"],
        env=_environment(copy),
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, (result.stdout or result.stderr).splitlines()[0]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="audit-probe-") as folder:
        original = build(Path(folder))
        keys.configure(None)
        print(
            f"scratch database: {USERS} users and {CHANGES} changes (+1 protection_started), "
            f"a signed checkpoint, then {AFTER_CHECKPOINT} more events\n"
        )
        print(f"{'':6}{'attack':44}{'exit':6}tracker audit verify says")
        missed = []
        for number, (label, what, change, must_fail) in enumerate(ATTACKS):
            status, said = attack(original, number, change)
            print(f"{label:6}{what:44}{status:<6}{said}")
            if must_fail is not None and (status != 0) != must_fail:
                missed.append(label)
        print(
            "\nlimit: events newer than the newest checkpoint can be removed unnoticed; "
            "checkpoint often (the daily sweep, or `tracker audit checkpoint` from cron)"
        )
    if missed:
        print(f"NOT AS EXPECTED: {', '.join(missed)}")
        return 1
    print("every attack a-c was caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
