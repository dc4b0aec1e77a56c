"""Real services for the test run: use the running ones, else start throw-away ones.

PostgreSQL and Redis are expected on 127.0.0.1 (as on the CI machine). When one
is not answering and its server binary exists, a private instance is started
in a temporary folder for the session; when the binary is missing the run
stops with a message saying what to install. Nothing is ever skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_url_for_this_worker(base_url: str) -> str:
    """A Redis database of its own for each xdist worker (15, 14, ...), so parallel tests never meet."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = 15 - int(worker.removeprefix("gw") or 0) % 8
    return f"{base_url.rsplit('/', 1)[0]}/{number}"


class ServiceUnavailable(RuntimeError):
    pass


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(host: str, port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(host, port):
            return
        time.sleep(0.1)
    raise ServiceUnavailable(f"{what} did not start listening on {host}:{port}")


def _find(binary: str, *extra_dirs: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for directory in extra_dirs:
        for candidate in sorted(Path("/").glob(directory.lstrip("/")), reverse=True):
            if (candidate / binary).exists():
                return str(candidate / binary)
    return None


@dataclass
class Services:
    postgres_url: str = POSTGRES_URL
    redis_url: str = REDIS_URL
    _cleanups: list = field(default_factory=list)

    def start(self) -> Services:
        self.postgres_url = self._postgres()
        self.redis_url = self._redis()
        return self

    def stop(self) -> None:
        for cleanup in reversed(self._cleanups):
            cleanup()

    def _postgres(self) -> str:
        if _answers("127.0.0.1", 5432) or "TRACKER_TEST_POSTGRES_URL" in os.environ:
            return self.postgres_url
        initdb = _find("initdb", "/usr/lib/postgresql/*/bin")
        pg_ctl = _find("pg_ctl", "/usr/lib/postgresql/*/bin")
        if not (initdb and pg_ctl):
            raise ServiceUnavailable(
                "PostgreSQL is not running on 127.0.0.1:5432 and no server to start was found: "
                "install it (Debian: apt-get install postgresql) or set TRACKER_TEST_POSTGRES_URL"
            )
        folder = tempfile.mkdtemp(prefix="tracker-pg-")
        port = free_port()
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_user:
            shutil.chown(folder, "postgres")
        subprocess.run(
            [*as_user, initdb, "-D", folder, "-U", "postgres", "--auth=trust"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *as_user,
                pg_ctl,
                "-D",
                folder,
                "-l",
                f"{folder}/log",
                "-w",
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        self._cleanups.append(
            lambda: (
                subprocess.run(
                    [*as_user, pg_ctl, "-D", folder, "-m", "immediate", "stop"], capture_output=True
                ),
                shutil.rmtree(folder, ignore_errors=True),
            )
        )
        _wait_for("127.0.0.1", port, "PostgreSQL")
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _redis(self) -> str:
        if _answers("127.0.0.1", 6379) or "TRACKER_TEST_REDIS_URL" in os.environ:
            return self.redis_url
        server = _find("redis-server")
        if not server:
            raise ServiceUnavailable(
                "Redis is not running on 127.0.0.1:6379 and redis-server was not found: "
                "install it (Debian: apt-get install redis-server) or set TRACKER_TEST_REDIS_URL"
            )
        port = free_port()
        process = subprocess.Popen(
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        self._cleanups.append(process.terminate)
        _wait_for("127.0.0.1", port, "Redis")
        return f"redis://127.0.0.1:{port}/15"
