"""Whole-store integrity check: missing, corrupt and orphaned files.

The database says which files should exist (hash and size); the check
re-hashes every stored file and compares. Nothing is changed: it reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evidence.store import ContentStore


@dataclass
class StoreReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    orphaned: list[Path] = field(default_factory=list)
    leftover_uploads: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.orphaned)

    def lines(self) -> list[str]:
        out = [f"checked {self.checked} stored files"]
        out += [f"MISSING  {sha}" for sha in self.missing]
        out += [f"CORRUPT  {sha}: {problem}" for sha, problem in self.corrupt]
        out += [f"ORPHANED {path}" for path in self.orphaned]
        out += [f"LEFTOVER {path} (unfinished upload)" for path in self.leftover_uploads]
        out.append("OK" if self.ok else "PROBLEMS FOUND")
        return out


def check_store(store: ContentStore, expected: Mapping[str, int]) -> StoreReport:
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
        if actual != name:
            report.corrupt.append((name, f"content hashes to {actual}"))
        elif size != expected[name]:
            report.corrupt.append((name, f"size is {size}, expected {expected[name]}"))
    report.missing = sorted(set(expected) - on_disk)
    report.leftover_uploads = sorted(store.iter_temporary())
    return report
