"""A throw-away tracker served by `tracker serve`, for the scripts that measure it over HTTP.

A scratch SQLite database in its own folder, one legal user with an API token, and the real
production server on a free local port: what ``bench_upload.py`` and ``slow_client_probe.py``
measure. Also the large text file they upload, written without holding it in memory.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

MIB = 1024 * 1024
TRACKER = [sys.executable, "-m", "tracker.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_text_file(path: Path, size: int) -> None:
    """Printable text (accepted as text/plain), written without holding it in memory."""
    block = b"\n".join(base64.b64encode(os.urandom(57)) for _ in range(MIB // 77 + 1))[:MIB]
    with open(path, "wb") as handle:
        for _ in range(size // MIB):
            handle.write(block)
        handle.write(block[: size % MIB])


@dataclass
class ScratchServer:
    process: subprocess.Popen
    base: str
    token: str

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start(
    work: Path,
    upload_mb: int,
    *,
    settings: dict[str, str] | None = None,
    serve_options: tuple[str, ...] = (),
    stderr: IO[bytes] | int = subprocess.DEVNULL,
    user: str = "bench",
) -> ScratchServer:
    """Create the database in ``work``, a legal user and a token, start the server, and wait
    until it answers. ``settings`` add to (or override) the scratch environment."""
    env = {
        **os.environ,
        "TRACKER_DATA_DIR": str(work / "data"),
        "TRACKER_DATABASE_URL": f"sqlite:///{work / 'data' / 'tracker.db'}",
        "TRACKER_MAX_UPLOAD_MB": str(upload_mb + 64),
        "TRACKER_ENV": "development",
        **(settings or {}),
    }
    subprocess.run([*TRACKER, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*TRACKER, "users", "create", user, "--role", "legal"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    token = subprocess.run(
        [*TRACKER, "tokens", "create", user, "--name", user],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    port = free_port()
    process = subprocess.Popen(
        [*TRACKER, "serve", "--port", str(port), *serve_options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    server = ScratchServer(process, f"http://127.0.0.1:{port}", token)
    wait_until_up(server.base, process)
    return server


def wait_until_up(base: str, process: subprocess.Popen | None = None) -> None:
    """Until ``base`` answers (60 s at most); stop at once if the server exits."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            httpx.get(f"{base}/register", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {base} within 60 s")
