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

A restore goes into an empty database (a new SQLite file, or a PostgreSQL schema with no
tables) and an empty evidence store of the same kinds as the backup's, verifies every file
against the manifest as it copies it, and takes back everything it wrote when any step fails.
A PostgreSQL backup restores into PostgreSQL and a SQLite one into SQLite, never across
(tracker.operations.backup_postgres does PostgreSQL's part).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence import ContentStore
from evidence.store import hash_path
from tracker import __version__, config, db, schema
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


def _fsync(path: Path) -> None:
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


def _object_path(root: Path, sha256: str) -> Path:
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
            _fsync(work / CHECKPOINTS)
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
            "files": {name: _file_entry(work / name) for name in listed},
            "not_included": list(NOT_INCLUDED),
        }
        metadata_path = work / METADATA
        metadata_path.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
        _fsync(metadata_path)
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


def _file_entry(path: Path) -> dict[str, Any]:
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
    _fsync(target)
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
        source = _object_path(Path(store_dir), sha256)
        copy = _object_path(target, sha256)
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


def read_backup(source: Path) -> dict[str, Any]:
    """The backup's metadata, after checking the files it lists against their hashes."""
    source = Path(source)
    if not source.exists():
        raise BackupError(Phrase("there is no backup at %(path)s", path=source))
    try:
        metadata = json.loads((source / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metadata = None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise BackupError(
            Phrase(
                "%(path)s is not a tracker backup (no readable %(file)s)",
                path=source,
                file=METADATA,
            )
        )
    if metadata.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            Phrase(
                "%(path)s is a backup of format %(found)s; this tracker restores format %(known)s",
                path=source,
                found=metadata.get("format_version"),
                known=FORMAT_VERSION,
            )
        )
    if not _well_formed(metadata):
        raise BackupError(Phrase("the backup's file %(file)s is damaged", file=METADATA))
    for name, expected in metadata["files"].items():
        path = source / name
        if Path(name).name != name or not path.is_file():
            raise BackupError(Phrase("the backup's file %(file)s is missing", file=name))
        if _file_entry(path) != expected:
            raise BackupError(
                Phrase("the backup's file %(file)s is damaged (its hash differs)", file=name)
            )
    return metadata


def _well_formed(metadata: dict[str, Any]) -> bool:
    """Whether the metadata has every part a restore reads, of the right types."""
    store = metadata.get("evidence_store")
    return (
        metadata.get("database") in KIND_NAMES
        and isinstance(metadata.get("schema_version"), int)
        and isinstance(metadata.get("made_at"), str)
        and isinstance(metadata.get("tracker_version"), str)
        and isinstance(metadata.get("counts"), dict)
        and isinstance(metadata.get("files"), dict)
        and all(isinstance(entry, dict) for entry in metadata["files"].values())
        and MANIFEST in metadata["files"]
        and (SQLITE_FILE if metadata["database"] == "sqlite" else POSTGRES_FILE)
        in metadata["files"]
        and isinstance(store, dict)
        and isinstance(store.get("files_included"), bool)
    )


def latest_schema_version() -> int:
    """The schema version this code migrates to (without a database to ask)."""
    return max(int(p.name.split("_", 1)[0]) for p in schema.MIGRATIONS_DIR.glob("[0-9]*.py"))


def _read_manifest(path: Path) -> dict[str, int]:
    manifest = {}
    for line in path.read_text(encoding="ascii").splitlines():
        sha256, _, size = line.partition("\t")
        if not (SHA256.fullmatch(sha256) and size.isdigit()):
            raise BackupError(Phrase("the backup's file %(file)s is damaged", file=MANIFEST))
        manifest[sha256] = int(size)
    return manifest


class Undo:
    """What a restore wrote, taken back in reverse order when a later step fails."""

    def __init__(self) -> None:
        self.steps: list[Callable[[], None]] = []

    def add(self, step: Callable[[], None]) -> None:
        self.steps.append(step)

    def run(self) -> None:
        for step in reversed(self.steps):
            try:
                step()
            except Exception:  # undo as much as can be undone
                continue


def restore(settings: config.Settings, source: Path) -> RestoreSummary:
    """Rebuild a fresh installation (``settings``' database, evidence store and checkpoint
    file, all empty) from the backup folder ``source``. Nothing is left behind on failure."""
    source = Path(source)
    metadata = read_backup(source)
    kind = database_kind(settings.database_url)
    if metadata["database"] != kind:
        raise BackupError(
            Phrase(
                "this is a backup of a %(backup)s database and TRACKER_DATABASE_URL names a "
                "%(target)s one: a restore goes into the same kind of database",
                backup=KIND_NAMES[metadata["database"]],
                target=KIND_NAMES[kind],
            )
        )
    latest = latest_schema_version()
    if metadata["schema_version"] > latest:
        raise BackupError(
            Phrase(
                "this backup is at schema version %(found)s, made by a newer tracker "
                "(%(version)s); this one knows version %(latest)s",
                found=metadata["schema_version"],
                version=metadata["tracker_version"],
                latest=latest,
            )
        )
    manifest = _read_manifest(source / MANIFEST)
    files = metadata["evidence_store"]
    folder = file_store(settings)
    if files["files_included"] and folder is None:
        raise BackupError(
            Phrase(
                "this backup holds its evidence files, and TRACKER_EVIDENCE_URL names an "
                "object store: restore into a file store (TRACKER_EVIDENCE_DIR), then "
                "`tracker evidence migrate --to %(url)s`",
                url=settings.evidence_url,
            )
        )
    if not files["files_included"] and folder is not None:
        raise BackupError(
            Phrase(
                "this backup holds no evidence files (they stay in the object store "
                "%(url)s): set TRACKER_EVIDENCE_URL to that store",
                url=files["url"],
            )
        )
    if kind == "sqlite":
        target_database: Any = _SqliteTarget(settings)
    else:
        from tracker.operations import backup_postgres

        target_database = backup_postgres.Target(settings)
    target_database.check_empty()
    if folder is not None:
        _check_store_empty(folder)
    checkpoint_target = Path(settings.audit_checkpoint_file)
    if checkpoint_target.exists() and checkpoint_target.stat().st_size:
        raise BackupError(
            Phrase(
                "the audit checkpoint file %(path)s already exists: a restore goes into a "
                "fresh installation",
                path=checkpoint_target,
            )
        )

    undo = Undo()
    try:
        copied = 0
        if folder is not None:
            copied = _restore_files(source / EVIDENCE, folder, manifest, undo)
        target_database.restore(source, metadata, undo)
        restored = target_database.read()
        if restored.manifest != manifest or restored.counts != metadata["counts"]:
            raise BackupError(
                Phrase(
                    "the restored database does not match the backup's manifest and counts: "
                    "the backup is damaged"
                )
            )
        has_checkpoints = CHECKPOINTS in metadata["files"]
        if has_checkpoints:
            checkpoint_target.parent.mkdir(parents=True, exist_ok=True)
            partial = checkpoint_target.with_name(f".{checkpoint_target.name}.restoring")
            undo.add(lambda: partial.unlink(missing_ok=True))
            shutil.copyfile(source / CHECKPOINTS, partial)
            _fsync(partial)
            os.replace(partial, checkpoint_target)
            undo.add(lambda: checkpoint_target.unlink(missing_ok=True))
    except BaseException:
        undo.run()
        raise
    return RestoreSummary(
        database=kind,
        schema_version=metadata["schema_version"],
        counts=restored.counts,
        stored_files=copied,
        stored_bytes=sum(manifest.values()) if copied else 0,
        checkpoints=has_checkpoints,
        made_at=metadata["made_at"],
    )


def _check_store_empty(store_dir: Path) -> None:
    store_dir = Path(store_dir)
    objects = store_dir / "objects"
    if objects.is_dir() and any(p.is_file() for p in objects.glob("*/*/*")):
        raise BackupError(
            Phrase(
                "the evidence store %(path)s already holds files: a restore goes into an "
                "empty store",
                path=store_dir,
            )
        )


def _restore_files(backup_dir: Path, store_dir: Path, manifest: dict[str, int], undo: Undo) -> int:
    """Copy the backup's files into the store, each checked against the manifest."""
    created = not Path(store_dir).exists()
    store = ContentStore(store_dir)
    if created:
        undo.add(lambda: shutil.rmtree(store_dir, ignore_errors=True))
    for sha256, size in sorted(manifest.items()):
        path = _object_path(backup_dir, sha256)
        if not path.is_file():
            raise BackupError(
                Phrase("stored file %(sha256)s is missing from the backup", sha256=sha256)
            )
        pending = store.begin()
        try:
            with open(path, "rb") as reader:
                while chunk := reader.read(CHUNK):
                    pending.write(chunk)
            pending.finish()
        except BaseException:
            pending.discard()
            raise
        if (pending.sha256, pending.size) != (sha256, size):
            actual = pending.sha256
            pending.discard()
            raise BackupError(
                Phrase(
                    "stored file %(sha256)s in the backup is damaged (its content hashes to "
                    "%(actual)s): nothing was restored",
                    sha256=sha256,
                    actual=actual,
                )
            )
        store.commit(pending)
        undo.add(lambda sha256=sha256: store.remove(sha256))
    return len(manifest)


class _SqliteTarget:
    """A SQLite file to restore into: missing, or without tables."""

    def __init__(self, settings: config.Settings) -> None:
        self.url = settings.database_url
        self.path = Path(db.sqlite_path(self.url))

    def check_empty(self) -> None:
        if not self.path.exists():
            return
        try:
            with closing(sqlite3.connect(self.path)) as existing:
                tables = existing.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError:
            tables = 1
        if tables:
            raise BackupError(
                Phrase(
                    "the %(database)s is not empty: a restore goes into a new, empty "
                    "database (not one made by `tracker db upgrade`)",
                    database=db.describe(self.url),
                )
            )

    def restore(self, source: Path, metadata: dict[str, Any], undo: Undo) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        undo.add(self._remove)
        try:
            with (
                closing(sqlite3.connect(source / SQLITE_FILE)) as copy,
                closing(sqlite3.connect(self.path)) as target,
            ):
                copy.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as error:
            raise _unreadable(error) from None

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def read(self) -> Snapshot:
        try:
            with closing(sqlite3.connect(self.path)) as target:
                return read_snapshot(target.cursor())
        except sqlite3.Error as error:
            raise _unreadable(error) from None


def _unreadable(error: Exception) -> BackupError:
    return BackupError(
        Phrase("the backup's database copy cannot be restored: %(error)s", error=db.one_line(error))
    )
