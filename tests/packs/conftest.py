"""Building packs of the demo agency, and rewriting them as someone tampering would."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tracker.models import AISystem
from tracker.packs import bag, records, signing
from tracker.runtime import runtime

Build = Callable[..., Path]


@pytest.fixture
def catalogue(app):
    with app.app_context():
        return runtime().catalogue


@pytest.fixture
def face_search(demo_agency) -> AISystem:
    return AISystem.get(AISystem.name == "Post-event face search")


@pytest.fixture
def build_pack(catalogue, settings, tmp_path) -> Build:
    """``build_pack(system_or_None, as_of)`` -> the pack's path (recorded like any other)."""
    numbers = iter(range(1, 1000))

    def build(system: AISystem | None, as_of: date) -> Path:
        pack = records.request(system, as_of, "cli:test")
        target = tmp_path / f"pack-{next(numbers)}.zip"
        records.build(pack, catalogue, settings, target)
        return target

    return build


def read_members(path: Path) -> tuple[str, dict[str, bytes]]:
    """The bag's folder and every file in it, by its path inside the bag."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        root = names[0].split("/", 1)[0]
        return root, {n.split("/", 1)[1]: archive.read(n) for n in names}


def write_members(path: Path, root: str, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(f"{root}/{name}", data)


def re_sign(members: dict[str, bytes], key: signing.PackKey) -> dict[str, bytes]:
    """What an insider holding the pack key could do: rewrite both manifests and re-sign."""
    payload = {n: d for n, d in members.items() if n.startswith("data/")}
    members[bag.MANIFEST] = bag.manifest_lines(
        (n, hashlib.sha256(d).hexdigest()) for n, d in payload.items()
    )
    tags = {
        n: d
        for n, d in members.items()
        if not n.startswith("data/") and n not in (bag.TAG_MANIFEST, bag.SIGNATURE)
    }
    members[bag.TAG_MANIFEST] = bag.manifest_lines(
        (n, hashlib.sha256(d).hexdigest()) for n, d in tags.items()
    )
    members[bag.SIGNATURE] = key.sign(members[bag.TAG_MANIFEST])
    return members
