"""Restoring a backup (tracker.operations.backup) into a fresh installation.

A restore goes into an empty database (a new SQLite file, or a PostgreSQL schema with no
tables) and an empty evidence store of the same kinds as the backup's, verifies every file
against the manifest as it copies it, and takes back everything it wrote when any step fails.
A PostgreSQL backup restores into PostgreSQL and a SQLite one into SQLite, never across
(tracker.operations.backup_postgres does PostgreSQL's part).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from evidence import ContentStore
from tracker import config, db, schema
from tracker.i18n.text import Phrase
from tracker.operations.backup import (
    CHECKPOINTS,
    CHUNK,
    EVIDENCE,
    FORMAT,
    FORMAT_VERSION,
    KIND_NAMES,
    MANIFEST,
    METADATA,
    POSTGRES_FILE,
    SHA256,
    SQLITE_FILE,
    BackupError,
    RestoreSummary,
    Snapshot,
    database_kind,
    file_entry,
    file_store,
    fsync,
    object_path,
    read_snapshot,
)


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
        if file_entry(path) != expected:
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
            fsync(partial)
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
        path = object_path(backup_dir, sha256)
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
