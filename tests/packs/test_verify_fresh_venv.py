"""A pack checks in a fresh virtualenv holding only the package: no database, no settings.

What an auditor does: ``pip install`` the tracker somewhere new and run ``tracker pack verify``
on the zip they were handed, from their own folder, with no ``TRACKER_*`` environment. The
project is built as a wheel (from a copy of its sources, so nothing is written beside them) and
installed with its declared dependencies by pip as configured on this machine (this venv's pip,
pointed at the new one with ``--python``); the new venv does not see this one's site-packages,
and the command runs there with an environment of just ``PATH`` and ``HOME``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from tracker.models import AISystem
from tracker.packs import records
from tracker.runtime import runtime

ROOT = Path(__file__).parent.parent.parent
SOURCES = ("setup.cfg", "pyproject.toml", "README.md")
PACKAGES = ("tracker", "evidence", "plugins")


def _clean_environ() -> dict[str, str]:
    """This process's environment without the tracker's settings or a path into the sources."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TRACKER_") and name not in ("PYTHONPATH", "VIRTUAL_ENV")
    }


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    """A new virtualenv with the project's wheel and its dependencies, and nothing else."""
    work = tmp_path_factory.mktemp("fresh-venv")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    environ = _clean_environ()

    def run(*command: str | Path) -> None:
        result = subprocess.run(
            [str(part) for part in command],
            cwd=work,
            env=environ,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    dist = work / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", dist, source)  # fmt: skip
    venv = work / "venv"
    # Not even pip inside (this one installs into it, seconds quicker than ensurepip), and no
    # --system-site-packages: it sees only what is installed into it.
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
        "--no-compile", *dist.glob("*.whl"))  # fmt: skip
    return venv


def verify(venv: Path, pack: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``tracker pack verify PACK`` from the venv, in ``cwd``, with no settings at all."""
    return subprocess.run(
        [str(venv / "bin" / "tracker"), "pack", "verify", str(pack)],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def altered_copy(pack: Path, target: Path) -> str:
    """A copy of ``pack`` whose first evidence file has one byte changed; its path in the bag."""
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
        names = source.namelist()
        victim = next(n for n in names if "/data/evidence/" in n and not n.endswith("/"))
        for name in names:
            data = source.read(name)
            if name == victim:
                data = bytes([data[0] ^ 0x01]) + data[1:]
            out.writestr(name, data)
    return victim.split("/", 1)[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database is read
def test_a_pack_verifies_in_a_fresh_venv_with_only_the_package(
    fresh_venv, app, settings, demo_agency, tmp_path
):
    system = AISystem.get(AISystem.name == "Post-event face search")
    with app.app_context():
        catalogue = runtime().catalogue
    pack = tmp_path / "built" / "pack.zip"
    records.build(
        records.request(system, date.today() - timedelta(days=1), "cli:test"),
        catalogue,
        settings,
        pack,
    )
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()

    where = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c", "import tracker; print(tracker.__file__)"],
        cwd=elsewhere,
        env={"PATH": "/usr/bin:/bin", "HOME": str(elsewhere)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(fresh_venv), where.stdout  # not the sources

    checked = verify(fresh_venv, pack, elsewhere)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert any(line.startswith("OK: ") for line in checked.stdout.splitlines()), checked.stdout
    assert "PROBLEM" not in checked.stdout + checked.stderr

    tampered = elsewhere / "tampered.zip"
    victim = altered_copy(pack, tampered)
    caught = verify(fresh_venv, tampered, elsewhere)
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert f"PROBLEM: altered: {victim}" in caught.stderr.splitlines(), caught.stderr
    assert not any(line.startswith("OK") for line in caught.stdout.splitlines()), caught.stdout
