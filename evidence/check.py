"""Whole-store integrity check: missing, corrupt and orphaned files, and interrupted uploads.

The database says which files should exist (hash and size); the check re-hashes
every stored file, in a folder or in an S3 bucket alike, and compares. A
temporary file that no live upload holds (or, in S3, a multipart upload older
than the uploads' time limit) is an interrupted upload: it takes space and
nothing will ever finish it. Nothing is changed: it reports, and only a clean store is "OK".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evidence.stores import EvidenceStore


@dataclass
class StoreReport:
    checked: int = 0
    checked_bytes: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    orphaned: list[Path | str] = field(default_factory=list)
    # (path or key, size, age in seconds) of uploads nothing will finish any more
    leftover_uploads: list[tuple[Path | str, int, float]] = field(default_factory=list)
    uploads_in_progress: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.problems().values())

    def problems(self) -> dict[str, int]:
        """The number of problems of each kind."""
        return {
            "corrupt": len(self.corrupt),
            "missing": len(self.missing),
            "orphaned": len(self.orphaned),
            "interrupted uploads": len(self.leftover_uploads),
        }

    def lines(self) -> list[str]:
        out = [f"MISSING  {sha}" for sha in self.missing]
        out += [f"CORRUPT  {sha}: {problem}" for sha, problem in self.corrupt]
        out += [f"ORPHANED {path}" for path in self.orphaned]
        out += [
            f"LEFTOVER {path} ({size} bytes, {age / 3600:.1f} h old; interrupted upload)"
            for path, size, age in self.leftover_uploads
        ]
        leftover_bytes = sum(size for _path, size, _age in self.leftover_uploads)
        out.append(f"checked {self.checked} stored files, {self.checked_bytes} bytes")
        out.append(
            "problems: "
            + ", ".join(f"{kind} {count}" for kind, count in self.problems().items())
            + f" ({leftover_bytes} bytes in interrupted uploads)"
        )
        if self.uploads_in_progress:
            out.append(f"uploads in progress: {self.uploads_in_progress}")
        out.append("OK" if self.ok else "PROBLEMS FOUND")
        return out


def check_store(
    store: EvidenceStore, expected: Mapping[str, int], now: float | None = None
) -> StoreReport:
    """Compare the store against ``expected`` ({sha256: size}) and re-hash every file."""
    report = StoreReport()
    on_disk: set[str] = set()
    for name, path in store.iter_objects():
        on_disk.add(name)
        if name not in expected:
            report.orphaned.append(path)
            continue
        report.checked += 1
        actual, size = store.hash_file(name)
        report.checked_bytes += size
        if actual != name:
            report.corrupt.append((name, f"content hashes to {actual}"))
        elif size != expected[name]:
            report.corrupt.append((name, f"size is {size}, expected {expected[name]}"))
    report.missing = sorted(set(expected) - on_disk)
    for upload in store.temporary_uploads(time.time() if now is None else now):
        if upload.live:
            report.uploads_in_progress += 1
        else:
            report.leftover_uploads.append((upload.where, upload.size, upload.age))
    return report
