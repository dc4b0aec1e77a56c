"""A content-addressed file store: every file lives at a path derived from its SHA-256.

Uploads stream into a temporary file in the store's own ``tmp`` folder while
their hash is computed (never held whole in memory); on commit the file is
fsynced and renamed into place, so a reader sees either nothing or the whole
file. Identical content is stored once. Reads verify the hash before a single
byte is handed out.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

CHUNK_SIZE = 1024 * 1024


class IntegrityError(Exception):
    """A stored file is missing, or its content no longer matches its hash."""

    def __init__(self, sha256: str, problem: str) -> None:
        super().__init__(f"{sha256}: {problem}")
        self.sha256 = sha256
        self.problem = problem


def check_sha256(sha256: str) -> None:
    """Refuse anything but a SHA-256 hex digest (it becomes a path or an object key)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")


def check_digest(sha256: str, actual: str) -> None:
    """Raise :class:`IntegrityError` when content read under ``sha256`` hashed to ``actual``."""
    if actual != sha256:
        raise IntegrityError(sha256, f"the stored content hashes to {actual}")


@dataclass
class TemporaryUpload:
    """An upload that was begun and not committed or discarded (yet)."""

    where: Path | str  # a temporary file, or an object store's key
    size: int
    age: float  # seconds since it was last touched
    live: bool  # some process still works on it (as far as the store can tell)
    detail: Any = field(default=None, repr=False)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def receive(pending: Any, stream: BinaryIO) -> Any:
    """Write a whole stream into a store's pending upload and finish it (not yet committed); a
    failure discards it. Both stores' ``put``."""
    try:
        while chunk := stream.read(CHUNK_SIZE):
            pending.write(chunk)
        pending.finish()
    except BaseException:
        pending.discard()
        raise
    return pending


def hash_path(path: Path) -> tuple[str, int]:
    """(SHA-256, size) of a file, read a chunk at a time."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class PendingFile:
    """A file being received: written to a temporary file and hashed as it arrives."""

    def __init__(self, directory: Path) -> None:
        fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
        self.path = Path(name)
        # Held until the upload is committed or discarded, and dropped by the kernel when the
        # process dies: a temporary file nobody holds is an interrupted upload.
        self._lock = os.dup(fd)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self.sha256 = ""
        # Set by ContentStore.commit when this copy replaced a damaged stored one: the problem.
        self.repaired: str | None = None

    # The file-like methods a multipart parser calls while streaming the upload.
    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        return self._file.write(data)

    def seek(self, *args: int) -> int:
        return self._file.seek(*args)

    def tell(self) -> int:
        return self._file.tell()

    def read(self, *args: int) -> bytes:  # pragma: no cover - required by the file protocol
        raise OSError("a pending upload is write-only")

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        """Called by the parser when the part ends; keeps the data for :meth:`finish`."""
        self._file.flush()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def finish(self) -> str:
        """Flush to disk and return the SHA-256 of everything written."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        self.sha256 = self._hash.hexdigest()
        return self.sha256

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        """Let go of the upload's lock (once it is committed or discarded)."""
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1


def in_progress(path: Path) -> bool:
    """Whether a live upload still holds this temporary file."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock taken just now
    return False


class ContentStore:
    """Files addressed by SHA-256 under ``root/objects/ab/cd/abcd…``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def __str__(self) -> str:
        return str(self.root)

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def begin(self) -> PendingFile:
        return PendingFile(self.tmp)

    def put(self, stream: BinaryIO) -> PendingFile:
        """Receive a whole stream into a pending file (finished, not yet committed)."""
        return receive(self.begin(), stream)

    def commit(self, pending: PendingFile) -> bool:
        """Move a finished upload into place; return True when this content was new.

        When a copy is already stored but no longer matches its hash, the fresh copy (checked
        on disk first) takes its place and ``pending.repaired`` says what was wrong with the
        old one: a good re-upload is the way to repair a damaged store, not something to drop.
        """
        sha256 = pending.sha256 or pending.finish()
        target = self.path_for(sha256)
        if target.exists():
            problem = self._problem(sha256)
            if problem is None:
                pending.discard()
                return False
            actual, _size = hash_path(pending.path)
            if actual != sha256:  # the fresh copy did not reach the disk intact either
                pending.discard()
                raise IntegrityError(sha256, f"the uploaded copy hashes to {actual} on disk")
            self._place(pending.path, target)
            pending.release()
            pending.repaired = problem
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        self._place(pending.path, target)
        pending.release()
        return True

    def _problem(self, sha256: str) -> str | None:
        """What is wrong with the stored copy, or None when it matches its hash."""
        try:
            actual, _size = self.hash_file(sha256)
        except FileNotFoundError:
            return "the stored file is missing"
        return None if actual == sha256 else f"the stored content hashed to {actual}"

    @staticmethod
    def _place(source: Path, target: Path) -> None:
        # The source was fsynced when it was finished; rename is atomic, and the directory's
        # fsync makes the rename itself durable.
        os.chmod(source, 0o440)
        os.replace(source, target)
        _fsync_directory(target.parent)

    def remove(self, sha256: str) -> None:
        """Take back a file committed by a transaction that then failed."""
        self.path_for(sha256).unlink(missing_ok=True)

    def hash_file(self, sha256: str) -> tuple[str, int]:
        """Hash the stored file as it is now: (actual SHA-256, size)."""
        return hash_path(self.path_for(sha256))

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored file for reading, unchecked: for callers that hash what they read
        (an evidence pack hashes each file as it streams it)."""
        try:
            return open(self.path_for(sha256), "rb")
        except FileNotFoundError:
            raise IntegrityError(sha256, "the stored file is missing") from None

    def open_verified(self, sha256: str) -> BinaryIO:
        """Open a stored file after checking its content still matches its hash.

        The check and the later reads use the same open file, so what was
        verified is what is served.
        """
        path = self.path_for(sha256)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
        except FileNotFoundError:
            raise IntegrityError(sha256, "the stored file is missing") from None
        digest = hashlib.sha256()
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
        try:
            check_digest(sha256, digest.hexdigest())
        except IntegrityError:
            handle.close()
            raise
        handle.seek(0)
        return handle

    def iter_objects(self) -> Iterator[tuple[str, Path]]:
        """Every file in the object area, as (name, path)."""
        for path in self.objects.glob("*/*/*"):
            if path.is_file():
                yield path.name, path

    def iter_temporary(self) -> Iterator[Path]:
        yield from (p for p in self.tmp.iterdir() if p.is_file())

    def temporary_uploads(self, now: float | None = None) -> list[TemporaryUpload]:
        """Every temporary file, with whether a live upload still holds it."""
        now = time.time() if now is None else now
        found = []
        for path in sorted(self.iter_temporary()):
            try:
                stat = path.stat()
            except FileNotFoundError:  # finished or discarded meanwhile
                continue
            age = max(0.0, now - stat.st_mtime)
            found.append(TemporaryUpload(path, stat.st_size, age, in_progress(path)))
        return found

    def stale_temporary(self, max_age_seconds: float, now: float | None = None) -> list[Path]:
        """Temporary files untouched for longer than ``max_age_seconds`` that no live upload
        holds: uploads that were interrupted (a killed worker never discards its file)."""
        cutoff = (time.time() if now is None else now) - max_age_seconds
        stale = []
        for path in self.iter_temporary():
            try:
                if path.stat().st_mtime < cutoff and not in_progress(path):
                    stale.append(path)
            except FileNotFoundError:  # finished or discarded meanwhile
                continue
        return sorted(stale)

    def remove_stale_temporary(
        self, max_age_seconds: float, now: float | None = None
    ) -> tuple[int, int]:
        """Delete the stale temporary files; return (files removed, bytes freed)."""
        removed = freed = 0
        for path in self.stale_temporary(max_age_seconds, now):
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            freed += size
        return removed, freed
