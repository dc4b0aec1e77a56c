"""The wheel: built without setuptools warnings, carrying every template and static file."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("tracker", "evidence", "plugins")


def test_the_wheel_builds_quietly_and_carries_the_templates_and_static_files(tmp_path):
    # Build from a copy: building writes build/ and *.egg-info beside the sources.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))",
            str(tmp_path / "dist"),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "would be ignored" not in output, output

    wheel = tmp_path / "dist" / result.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        packed = set(archive.namelist())
    data_files = {
        path.relative_to(source).as_posix()
        for package in PACKAGES
        for path in (source / package).rglob("*")
        if path.is_file() and path.suffix != ".py"
    }
    assert {
        "tracker/templates/email/digest.txt.j2",
        "tracker/web/templates/base.html",
        "tracker/web/templates/public/index.html",
        "tracker/web/static/web.css",
    } <= data_files
    assert data_files <= packed, sorted(data_files - packed)
    assert not any("__pycache__" in name for name in packed)
