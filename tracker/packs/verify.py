"""Checking an evidence pack offline: no database, no server, no settings.

``tracker pack verify FILE`` reads the zip, recomputes every file's SHA-256 against the
manifests, names each file added, removed or altered, checks the signature over the tag
manifest with the public key in the pack (and, when given, that it is the key the agency
publishes), and checks that the audit excerpt chains (tracker.packs.excerpt).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tracker.packs import excerpt, signing
from tracker.packs.bag import MANIFEST, PUBLIC_KEY, SIGNATURE, TAG_MANIFEST

CHUNK = 1024 * 1024


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    key_id: str = ""
    bag: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _digest(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(text: str, where: str, report: Report) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        path = path.strip()
        if len(digest) != 64 or not path:
            report.problems.append(f"{where} line {number}: not '<sha256>  <path>'")
            continue
        entries[path] = digest.lower()
    return entries


def _compare(
    archive: zipfile.ZipFile, root: str, listed: dict[str, str], present: set[str], report: Report
) -> None:
    for path in sorted(listed.keys() - present):
        report.problems.append(f"removed: {path}")
    for path in sorted(present - listed.keys()):
        report.problems.append(f"added: {path}")
    for path in sorted(listed.keys() & present):
        if _digest(archive, f"{root}/{path}") != listed[path]:
            report.problems.append(f"altered: {path}")


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return archive.read(name)
    except KeyError:
        return None


def check(path: Path, public_key_pem: bytes | None = None) -> Report:
    """Everything wrong with the pack at ``path`` (an empty ``problems`` when nothing is)."""
    report = Report()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        report.problems.append(f"not a readable zip file: {error}")
        return report
    with archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        roots = {n.split("/", 1)[0] for n in names}
        if len(roots) != 1 or not all("/" in n for n in names):
            report.problems.append("a pack holds exactly one folder, the bag, and nothing else")
            return report
        root = report.bag = roots.pop()
        inside = {n.split("/", 1)[1] for n in names}
        payload = {n for n in inside if n.startswith("data/")}
        tags = inside - payload - {SIGNATURE}
        listed = _manifest((_read(archive, f"{root}/{MANIFEST}") or b"").decode(), MANIFEST, report)
        tag_manifest = _read(archive, f"{root}/{TAG_MANIFEST}")
        if tag_manifest is None:
            report.problems.append(f"removed: {TAG_MANIFEST}")
            tag_manifest = b""
        _compare(archive, root, listed, payload, report)
        tag_listed = _manifest(tag_manifest.decode(), TAG_MANIFEST, report)
        _compare(archive, root, tag_listed, tags - {TAG_MANIFEST}, report)
        report.files = len(payload)
        _check_signature(archive, root, tag_manifest, public_key_pem, report)
        found = excerpt.check(*(_text(archive, f"{root}/{name}") for name in _EXCERPT))
        report.problems += found.problems
        report.notes += found.notes
    return report


_EXCERPT = (f"data/{excerpt.EVENTS}", f"data/{excerpt.CHAIN}", excerpt.ANCHOR)


def _text(archive: zipfile.ZipFile, name: str) -> str | None:
    data = _read(archive, name)
    return None if data is None else data.decode()


def _check_signature(
    archive: zipfile.ZipFile,
    root: str,
    tag_manifest: bytes,
    expected_pem: bytes | None,
    report: Report,
) -> None:
    pem, signature = _read(archive, f"{root}/{PUBLIC_KEY}"), _read(archive, f"{root}/{SIGNATURE}")
    if pem is None or signature is None:
        report.problems.append(f"the pack is not signed ({PUBLIC_KEY} or {SIGNATURE} is missing)")
        return
    try:
        key = signing.load_public(pem)
    except ValueError:
        report.problems.append(f"{PUBLIC_KEY} is not an Ed25519 public key")
        return
    report.key_id = signing.key_id(key)
    if not signing.is_valid(key, signature, tag_manifest):
        report.problems.append(f"bad signature: {SIGNATURE} does not verify {TAG_MANIFEST}")
    if expected_pem is not None:
        try:
            expected = signing.key_id(signing.load_public(expected_pem))
        except ValueError:
            report.problems.append("the public key given is not an Ed25519 public key")
            return
        if expected != report.key_id:
            report.problems.append(
                f"signed with key {report.key_id}, not with the agency's key {expected}"
            )
