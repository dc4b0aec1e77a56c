"""The system packages `make test` and `make run` need (scripts/install_system_packages.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "scripts" / "install_system_packages.sh"
# A real Debian package that neither the tracker nor its tests install.
ABSENT = "hello"

debian = pytest.mark.skipif(
    shutil.which("dpkg-query") is None, reason="checks Debian packages with dpkg"
)


def dry_run(target: str) -> list[str]:
    """The commands `make TARGET` would run, in order."""
    # Under `make test` the outer make's flags are in the environment; this make gets none.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(
        ["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def install_as_unprivileged(*packages: str) -> subprocess.CompletedProcess:
    """Run the script as a user who may not install anything (nobody, when we are root)."""
    command = ["bash", "-s", "--", *packages]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    # The script comes on standard input: nobody may not be able to read the checkout.
    return subprocess.run(
        command, input=SCRIPT.read_text(), cwd="/", capture_output=True, text=True, timeout=60
    )


def test_make_test_installs_chromium_and_libmagic_before_the_tests():
    commands = dry_run("test")
    install = next(i for i, c in enumerate(commands) if "install_system_packages.sh" in c)
    assert commands[install].split()[-2:] == ["chromium", "libmagic1"]
    pytest_run = next(i for i, c in enumerate(commands) if "-m pytest" in c)
    assert install < pytest_run


@pytest.mark.parametrize("target", ["run", "serve"])
def test_make_run_and_serve_need_libmagic_but_no_browser(target):
    installs = [c for c in dry_run(target) if "install_system_packages.sh" in c]
    assert len(installs) == 1 and installs[0].split()[-1] == "libmagic1"
    assert "chromium" not in installs[0]


@debian
def test_installed_packages_are_left_alone_quietly():
    # libmagic1 is installed wherever the tracker runs (python-magic needs it).
    result = install_as_unprivileged("libmagic1")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@debian
def test_without_root_it_stops_with_the_exact_command_to_run():
    result = install_as_unprivileged("libmagic1", ABSENT)
    assert result.returncode == 1
    assert f"Missing system packages: {ABSENT}." in result.stderr
    assert (
        f"    apt-get update && apt-get install -y --no-install-recommends {ABSENT}\n"
        in result.stderr
    )
    assert "libmagic1" not in result.stderr  # only what is missing is named
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status}", ABSENT], capture_output=True, text=True
    )
    assert status.stdout != "installed"


def test_a_call_without_packages_is_a_usage_error():
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 2 and "usage:" in result.stderr
