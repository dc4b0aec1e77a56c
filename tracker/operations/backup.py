"""Backups of a running tracker, and restores of one into a fresh installation.

A backup is a new folder (written under a temporary name beside it and renamed into place
when complete, so a folder with the final name is always a whole backup)::

    backup.json              what it is: format, tracker and schema versions, database kind,
                             time, counts, the evidence store, what it does not hold, and the
                             SHA-256 and size of each file below
    database.sqlite3         SQLite: a copy made with SQLite's online backup API
    database.pgdump          PostgreSQL: pg_dump's custom format (-Fc) of the tracker's schema
    evidence-manifest.tsv    every stored file the database records: "sha256<TAB>size" a line
    evidence/objects/...     a file store's files, laid out as the store lays them out (the
                             folder is itself a store); none for an object store (S3), which
                             keeps its own versions and replicas
    audit-checkpoints.jsonl  the signed audit checkpoints, when there are any

Consistency: the database is copied first, as one snapshot (SQLite's backup API reads in one
transaction, which WAL mode lets writers run beside; pg_dump reads in a snapshot exported by a
REPEATABLE READ transaction that also reads the manifest), and the manifest is read from that
same snapshot. Then the files it names are copied. Stored files are immutable and named by
their hash, so a file uploaded after the snapshot is simply not named, and every file named is
still there to copy. The audit checkpoint file is copied before the database: every checkpoint
in it covers events the snapshot holds (one made meanwhile is left out rather than naming
events the copy lacks). The folder is readable by its owner only: it holds personal data.

Not in a backup: the secrets (the audit keys, the pack signing key, TRACKER_SECRET_KEY and the
other settings), built evidence packs (made again from the database) and temporary uploads.

tracker.operations.restore rebuilds a fresh installation from a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence.store import hash_path
from tracker import __version__, config, db
from tracker.i18n.text import Phrase
from tracker.models import AISystem, AuditEvent, Blob, Evidence, User

FORMAT = "ai-evidence-tracker-backup"
FORMAT_VERSION = 1
METADATA = "backup.json"
MANIFEST = "evidence-manifest.tsv"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
CHECKPOINTS = "audit-checkpoints.jsonl"
SHA256 = re.compile(r"[0-9a-f]{64}")
EVIDENCE = "evidence"  # a content-addressed store of its own (evidence.store's layout)
CHUNK = 1024 * 1024
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
COUNTED = {
    "systems": AISystem,
    "evidence": Evidence,
    "stored_files": Blob,
    "audit_events": AuditEvent,
    "users": User,
}
NOT_INCLUDED = (
    "the audit keys (TRACKER_AUDIT_KEY or the audit key file)",
    "the pack signing key (TRACKER_PACK_SIGNING_KEY or its file)",
    "TRACKER_SECRET_KEY and the other settings",
    "built evidence packs (they are made again from the database)",
)


class BackupError(Exception):
    """A backup or a restore cannot be made; the message (a Phrase) says why, on one line."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    database: str  # "sqlite" or "postgresql"
    schema_version: int
    counts: dict[str, int]
    stored_files: int
    stored_bytes: int
    files_included: bool  # False for an object store: the manifest only
    linked: int = 0  # files hard-linked rather than copied


@dataclass(frozen=True)
class RestoreSummary:
    database: str
    schema_version: int
    counts: dict[str, int]
    stored_files: int  # files copied into the evidence store (0 for an object store)
    stored_bytes: int
    checkpoints: bool  # whether an audit checkpoint file was restored
    made_at: str


@dataclass
class Snapshot:
    """What the database copy holds, read from the copy itself (or its snapshot)."""

    schema_version: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, int] = field(default_factory=dict)
    postgres_schema: str = ""


# --- shared ---------------------------------------------------------------------------------


def database_kind(url: str) -> str:
    """The kind of database ``url`` names: sqlite or postgresql (the kinds backed up)."""
    scheme = url.partition(":")[0]
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme.startswith("postgres"):
        return "postgresql"
    raise BackupError(
        Phrase("%(database)s: backups are made of SQLite or PostgreSQL", database=db.describe(url))
    )


def file_store(settings: config.Settings) -> Path | None:
    """The folder of the evidence store the settings name, or None for an object store
    (TRACKER_EVIDENCE_URL s3://...), whose files a backup does not copy."""
    url = settings.evidence_url
    if url.startswith("s3://"):
        return None
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    return Path(url) if url else Path(settings.evidence_dir)


def quoted(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def read_snapshot(cursor: Any) -> Snapshot:
    """The schema version, the counts and the manifest, through a DB-API cursor."""
    snapshot = Snapshot()
    cursor.execute("SELECT name FROM schema_migration")
    names = [row[0] for row in cursor.fetchall()]
    snapshot.schema_version = max((int(n.split("_", 1)[0]) for n in names), default=0)
    for label, model in COUNTED.items():
        cursor.execute(f"SELECT count(*) FROM {quoted(model._meta.table_name)}")
        snapshot.counts[label] = cursor.fetchone()[0]
    cursor.execute(f"SELECT sha256, size FROM {quoted(Blob._meta.table_name)} ORDER BY sha256")
    snapshot.manifest = {sha256: int(size) for sha256, size in cursor.fetchall()}
    return snapshot


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    """Copy a file, hashing what is read; the copy is on disk (fsynced) when this returns."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as reader, open(target, "xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def object_path(root: Path, sha256: str) -> Path:
    """Where a store rooted at ``root`` keeps a file (evidence.store's layout)."""
    if not SHA256.fullmatch(sha256):
        raise BackupError(Phrase("%(name)s is not a SHA-256 digest", name=repr(sha256)))
    return root / "objects" / sha256[:2] / sha256[2:4] / sha256


# --- backup ---------------------------------------------------------------------------------


def backup(settings: config.Settings, dest: Path, *, link: bool = False) -> BackupSummary:
    """Write a backup of the running tracker to the new folder ``dest``.

    ``link``: hard-link the stored files into the backup where it is on the store's file
    system (they never change), instead of copying them; each is checked by hash either way.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(
            Phrase("%(path)s already exists: a backup goes into a new, empty folder", path=dest)
        )
    kind = database_kind(settings.database_url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        # The checkpoints before the database: each covers events that existed when it was
        # made, so all of them are in the later snapshot (a checkpoint made meanwhile is left
        # out, rather than one naming events the copy lacks).
        has_checkpoints = Path(settings.audit_checkpoint_file).is_file()
        if has_checkpoints:
            shutil.copyfile(settings.audit_checkpoint_file, work / CHECKPOINTS)
            fsync(work / CHECKPOINTS)
        if kind == "sqlite":
            snapshot = _sqlite_snapshot(settings.database_url, work / SQLITE_FILE)
        else:
            from tracker.operations import backup_postgres

            snapshot = backup_postgres.snapshot(settings.database_url, work / POSTGRES_FILE)
        _write_manifest(work / MANIFEST, snapshot.manifest)
        folder = file_store(settings)
        files_included = folder is not None
        linked = 0
        if folder is not None:
            linked = _copy_store(folder, work / EVIDENCE, snapshot.manifest, link)
        database_file = SQLITE_FILE if kind == "sqlite" else POSTGRES_FILE
        listed = [database_file, MANIFEST] + ([CHECKPOINTS] if has_checkpoints else [])
        metadata = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tracker_version": __version__,
            "schema_version": snapshot.schema_version,
            "database": kind,
            "postgresql_schema": snapshot.postgres_schema or None,
            "made_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "counts": snapshot.counts,
            "evidence_store": {
                "kind": "file" if files_included else "object store",
                "url": None if files_included else settings.evidence_url,
                "files_included": files_included,
                "files": len(snapshot.manifest),
                "bytes": sum(snapshot.manifest.values()),
                "note": None
                if files_included
                else "the object store keeps the files (use its versioning and replication); "
                "this backup holds their manifest only",
            },
            "files": {name: file_entry(work / name) for name in listed},
            "not_included": list(NOT_INCLUDED),
        }
        metadata_path = work / METADATA
        metadata_path.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
        fsync(metadata_path)
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.rename(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupSummary(
        path=dest,
        database=kind,
        schema_version=snapshot.schema_version,
        counts=snapshot.counts,
        stored_files=len(snapshot.manifest),
        stored_bytes=sum(snapshot.manifest.values()),
        files_included=files_included,
        linked=linked,
    )


def file_entry(path: Path) -> dict[str, Any]:
    sha256, size = hash_path(path)
    return {"sha256": sha256, "size": size}


def _sqlite_snapshot(url: str, target: Path) -> Snapshot:
    path = db.sqlite_path(url)
    if not path or path == ":memory:" or not Path(path).is_file():
        raise BackupError(Phrase("there is no SQLite database file at %(path)s", path=path))
    try:
        with (
            closing(sqlite3.connect(path, timeout=30)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            # One step (pages=-1): the whole copy is read in one read transaction, so it is one
            # moment of the database; in WAL mode writers go on meanwhile.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            snapshot = read_snapshot(copy.cursor())
    except sqlite3.Error as error:
        raise BackupError(
            Phrase(
                "cannot copy the %(database)s: %(error)s", database=db.describe(url), error=error
            )
        ) from None
    fsync(target)
    return snapshot


def _write_manifest(path: Path, manifest: dict[str, int]) -> None:
    with open(path, "x", encoding="ascii") as out:
        out.writelines(f"{sha256}\t{size}\n" for sha256, size in sorted(manifest.items()))
        out.flush()
        os.fsync(out.fileno())


def _copy_store(store_dir: Path, target: Path, manifest: dict[str, int], link: bool) -> int:
    """Copy (or link) every file of the manifest into ``target``, checked by hash; return the
    number linked."""
    if manifest and not Path(store_dir).is_dir():
        raise BackupError(
            Phrase(
                "the evidence store %(path)s does not exist, yet the database records "
                "%(num)s stored files",
                path=store_dir,
                num=len(manifest),
            )
        )
    linked = 0
    for sha256, size in sorted(manifest.items()):
        source = object_path(Path(store_dir), sha256)
        copy = object_path(target, sha256)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not source.is_file():
            raise BackupError(
                Phrase(
                    "stored file %(sha256)s is missing from the evidence store %(path)s "
                    "(`tracker evidence check` lists what is wrong)",
                    sha256=sha256,
                    path=store_dir,
                )
            )
        if link and _linked(source, copy):
            linked += 1
            actual, actual_size = hash_path(copy)
        else:
            actual, actual_size = _copy_hashing(source, copy)
        if (actual, actual_size) != (sha256, size):
            raise BackupError(
                Phrase(
                    "stored file %(sha256)s in the evidence store is damaged (its content "
                    "hashes to %(actual)s, %(size)s bytes): `tracker evidence check` lists "
                    "what is wrong",
                    sha256=sha256,
                    actual=actual,
                    size=actual_size,
                )
            )
    return linked


def _linked(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: copy instead
        return False
    return True


# --- restore --------------------------------------------------------------------------------
