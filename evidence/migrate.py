"""Copying every stored file from one evidence store to another, each one verified by its hash.

Folder to S3, S3 to folder, S3 to S3 alike. A file already at the target and hashing right
there is skipped, so an interrupted run started again continues where it stopped; a file
whose copy does not hash right at the target is reported, never counted as copied. The
configuration is not changed: the caller says what to set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from evidence.store import IntegrityError, check_sha256
from evidence.stores import EvidenceStore

# Called after each file: (what happened: "copied" | "present" | "failed", sha256, size, number
# of files done, number of files in all).
Progress = Callable[[str, str, int, int, int], None]


@dataclass
class MigrationReport:
    copied: int = 0
    copied_bytes: int = 0
    present: int = 0  # already at the target, verified
    failed: list[tuple[str, str]] = field(default_factory=list)  # (sha256, problem)
    skipped: list[str] = field(default_factory=list)  # object names that are not a SHA-256

    @property
    def ok(self) -> bool:
        return not self.failed


def _verified_at(target: EvidenceStore, sha256: str) -> tuple[bool, int]:
    """Whether the target holds this file with the right content, and its size there."""
    try:
        actual, size = target.hash_file(sha256)
    except FileNotFoundError:
        return False, 0
    return actual == sha256, size


def migrate(
    source: EvidenceStore, target: EvidenceStore, progress: Progress | None = None
) -> MigrationReport:
    """Copy every file of ``source`` missing (or damaged) at ``target``; verify each copy."""
    report = MigrationReport()
    names = []
    for name, _where in source.iter_objects():
        try:
            check_sha256(name)
        except ValueError:
            report.skipped.append(name)
            continue
        names.append(name)
    names.sort()
    for done, sha256 in enumerate(names, start=1):
        outcome, size = _copy_one(source, target, sha256, report)
        if progress:
            progress(outcome, sha256, size, done, len(names))
    return report


def _copy_one(
    source: EvidenceStore, target: EvidenceStore, sha256: str, report: MigrationReport
) -> tuple[str, int]:
    if target.exists(sha256):
        good, size = _verified_at(target, sha256)
        if good:
            report.present += 1
            return "present", size
    try:
        with source.open(sha256) as handle:
            pending = target.put(handle)
    except (IntegrityError, FileNotFoundError) as error:
        report.failed.append((sha256, f"cannot read it from the source: {error}"))
        return "failed", 0
    if pending.sha256 != sha256:
        pending.discard()
        report.failed.append((sha256, f"the source content hashes to {pending.sha256}"))
        return "failed", pending.size
    target.commit(pending)  # replaces a damaged copy at the target, if there was one
    good, size = _verified_at(target, sha256)
    if not good:
        report.failed.append((sha256, "the copy at the target does not hash right"))
        return "failed", size
    report.copied += 1
    report.copied_bytes += size
    return "copied", size
