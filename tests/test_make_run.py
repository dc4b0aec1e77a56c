"""`make run` and `make serve` as a newcomer and an operator use them: real make, real server."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tracker.models import AISystem, ApiToken, User

ROOT = Path(__file__).parent.parent
# `make run` serves gunicorn until stopped; reading its output and reaching it may take a while.
STARTUP_SECONDS = 240


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any TRACKER_* setting or an outer make's flags, plus ``extra``."""
    dropped = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_") and k not in dropped}
    return {**env, **extra}


def make(*args: str, **env: str) -> str:
    return subprocess.run(
        ["make", "-s", *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, "http://127.0.0.1:5000"),
        (("PORT=5061",), {}, "http://127.0.0.1:5061"),
        (("HOST=0.0.0.0", "PORT=8080"), {}, "http://127.0.0.1:8080"),
        (("HOST=::1",), {}, "http://[::1]:5000"),
        (("PORT=5061",), {"TRACKER_BASE_URL": "https://tracker.police.example"}, None),
    ],
)
def test_links_follow_host_and_port_unless_the_base_url_is_set(args, env, expected):
    expected = expected or env["TRACKER_BASE_URL"]
    assert make("base-url", *args, **env) == expected


class Served:
    """`make TARGET` running in its own process group, its output read line by line."""

    def __init__(self, target: str, port: int, data_dir: Path) -> None:
        stamp = make("--eval", "stamp-name: ; @echo $(STAMP)", "stamp-name")
        # The test's own interpreter stands for the virtualenv; -o: never reinstall from here.
        self.process = subprocess.Popen(
            ["make", "-o", stamp, target, f"PORT={port}", f"BIN={Path(sys.executable).parent}"],
            cwd=ROOT,
            env=clean_env(TRACKER_DATA_DIR=str(data_dir)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []

    def read_until(self, text: str) -> str:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if text in line:
                return line.rstrip("\n")
        raise AssertionError(f"no {text!r} in the output:\n" + "\n".join(self.lines))

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/sign-in", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "\n".join(self.lines)
            time.sleep(0.5)
        raise AssertionError(f"nothing served on {self.base}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stdout.close()


@pytest.fixture
def serve(tmp_path) -> Iterator:
    started: list[Served] = []

    def start(target: str) -> Served:
        served = Served(target, free_port(), tmp_path / "instance")
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def test_make_run_on_another_port_seeds_once_and_links_to_that_port(serve):
    first = serve("run")
    sign_in_line = first.read_until("Sign in at ")
    assert sign_in_line.startswith(f"Sign in at {first.base}/sign-in ")
    token_rows = first.read_until("Demo API tokens")
    assert token_rows
    legal = first.read_until(" l.martin ").split()
    first.wait_until_serving()
    me = httpx.get(f"{first.base}/api/me", headers={"Authorization": f"Bearer {legal[-1]}"})
    assert me.status_code == 200 and me.json()["username"] == "l.martin"
    assert not any(":5000" in line for line in first.lines)
    first.stop()

    # A second `make run` on the same data keeps everything: the printed token still works.
    second = serve("run")
    line = second.read_until("already has data")
    assert line == (
        "The database already has data (7 AI systems, 5 users): "
        "the demo was not seeded and nothing was changed."
    )
    second.wait_until_serving()
    me = httpx.get(f"{second.base}/api/me", headers={"Authorization": f"Bearer {legal[-1]}"})
    assert me.status_code == 200
    assert not any("Sign in at" in line for line in second.lines)


def test_make_serve_serves_without_touching_the_data(serve, tmp_path):
    data_dir = tmp_path / "instance"
    subprocess.run(
        [Path(sys.executable).parent / "tracker", "db", "upgrade"],
        env=clean_env(TRACKER_DATA_DIR=str(data_dir)),
        check=True,
        capture_output=True,
    )
    served = serve("serve")
    served.wait_until_serving()
    with closing(sqlite3.connect(data_dir / "tracker.db")) as database:
        for model in (AISystem, User, ApiToken):
            count = database.execute(f"SELECT count(*) FROM {model._meta.table_name}").fetchone()
            assert count == (0,), model.__name__
