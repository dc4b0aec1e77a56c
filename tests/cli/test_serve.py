"""``tracker serve`` as it runs in production: a real gunicorn on a free port, with slow clients.

The latency figures belong to ``scripts/slow_client_probe.py``; these tests only check that the
server answers at all (within a generous bound) while slow clients hold half-sent requests.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tracker import config
from tracker.serving import server as web_server

ANSWER_WITHIN = 10  # seconds: a bound on hanging, not a performance target
SLOW_CLIENTS = 50
TRACKER = [sys.executable, "-m", "tracker.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SETUP = """
from tracker.cli import main
for args in (
    ["db", "upgrade"],
    ["users", "create", "probe", "--role", "legal"],
    ["tokens", "create", "probe", "--name", "serve test"],
):
    main(args, standalone_mode=False)
"""


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> tuple[dict[str, str], str, Path]:
    """A migrated SQLite database with a legal user: the environment to serve it, and a token.

    HOME is the test's own folder, so that a control socket at gunicorn's default place would
    show up there rather than in the real home folder. One process sets it all up (each
    `tracker` command would take seconds to start).
    """
    folder = tmp_path_factory.mktemp("serve")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TRACKER_") and key != "XDG_RUNTIME_DIR"
    }
    env.update(
        HOME=str(folder / "home"),
        TRACKER_ENV="testing",
        TRACKER_DATA_DIR=str(folder / "data"),
        TRACKER_DATABASE_URL=f"sqlite:///{folder / 'data' / 'tracker.db'}",
        TRACKER_HEADER_TIMEOUT="4",
        TRACKER_BODY_TIMEOUT="4",
        TRACKER_API_RATE_LIMIT="off",
    )
    (folder / "home").mkdir()
    output = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True
    ).stdout
    return env, output.split()[-1], folder


@pytest.fixture(scope="module")
def servers(scratch) -> Iterator[tuple[str, str]]:
    """Two instances of `tracker serve` on the same data, started side by side."""
    env, _token, folder = scratch
    with ExitStack() as stack:
        starting = [stack.enter_context(serving(env, folder / f"server-{n}.log")) for n in (1, 2)]
        yield tuple(wait_until_up(*each) for each in starting)


@pytest.fixture
def server(servers) -> str:
    return servers[0]


@contextmanager
def serving(
    env: dict[str, str], log: Path, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """`tracker serve` (by default one worker: the fewest threads a slow client could take),
    stopped after."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*TRACKER, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}", process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base: str, process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        try:
            httpx.get(f"{base}/register", timeout=ANSWER_WITHIN)
            return base
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start\n" + log.read_text()
            time.sleep(0.1)


def half_requests(base: str, count: int, stack: ExitStack) -> list[socket.socket]:
    """``count`` connections that each sent half a request line and headers, and wait."""
    port = int(base.rsplit(":", 1)[1])
    sockets = []
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        sock.sendall(b"GET /register HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
        sockets.append(sock)
    time.sleep(0.5)  # the server has taken them in (a sync worker is now stuck on the first)
    return sockets


def test_half_open_connections_do_not_stop_the_register_or_the_api(scratch, server):
    _env, token, _folder = scratch
    base = server
    with ExitStack() as stack:
        half_requests(base, SLOW_CLIENTS, stack)
        for _ in range(3):
            assert httpx.get(f"{base}/register", timeout=ANSWER_WITHIN).status_code == 200
            systems = httpx.get(
                f"{base}/api/systems",
                headers={"Authorization": f"Bearer {token}"},
                timeout=ANSWER_WITHIN,
            )
            assert systems.status_code == 200 and systems.json() == []
        # Several requests on one kept-alive connection: each next head is gathered again.
        with httpx.Client(base_url=base, timeout=ANSWER_WITHIN) as client:
            assert [client.get("/register").status_code for _ in range(3)] == [200] * 3


def test_a_half_sent_request_is_closed_after_the_header_timeout(server):
    with ExitStack() as stack:  # TRACKER_HEADER_TIMEOUT=4
        (slow,) = half_requests(server, 1, stack)
        slow.settimeout(ANSWER_WITHIN)
        answer = slow.recv(1024)  # a sync worker waits for the rest for ever: this times out
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert slow.recv(1024) == b""  # and the connection is closed


def test_an_upload_streams_while_slow_clients_are_held(scratch, server):
    """The body is read as it arrives, after a head that came in the same packets as its start."""
    _env, token, _folder = scratch
    content = b"line of evidence text\n" * (8 * 1024 * 1024 // 22)  # 8 MiB
    base = server
    with ExitStack() as stack:
        half_requests(base, SLOW_CLIENTS, stack)
        response = httpx.post(
            f"{base}/api/evidence",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            data={"kind": "record", "title": "streamed", "agency_wide": "true"},
            files={"files": ("streamed.txt", content, "text/plain")},
        )
        assert response.status_code == 201, response.text
        (stored,) = response.json()["files"]
        assert stored["size"] == len(content)


def test_a_stalled_upload_body_fails_after_the_body_timeout_and_leaves_nothing(scratch, server):
    _env, token, folder = scratch  # TRACKER_BODY_TIMEOUT=4
    port = int(server.rsplit(":", 1)[1])
    part = (
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + b"x" * 5000
    )
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as stalled:
        stalled.sendall(
            b"POST /api/evidence HTTP/1.1\r\nHost: stalled\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Type: multipart/form-data; boundary=B\r\n"
            b"Content-Length: 1000000\r\n\r\n" + part
        )
        answer = stalled.recv(1024)  # a sync worker waits for the rest for ever: this times out
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert not list((folder / "data" / "evidence-store" / "tmp").iterdir())


def test_a_connection_closed_after_its_answer_never_holds_the_others_up(server):
    """Gunicorn's own graceful close waits in the event loop (up to 2 s) for the client to close
    too; the worker's lingers there without waiting, and still closes the connection."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as lingering:
        lingering.sendall(b"GET /register HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += lingering.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ") and b"connection: close" in answer.lower()
        # The client keeps its end open: the server's FIN is there, its own never comes.
        started = time.monotonic()
        assert httpx.get(f"{server}/register", timeout=ANSWER_WITHIN).status_code == 200
        assert time.monotonic() - started < 1.0  # not the 2 s of a blocked event loop
        while lingering.recv(65536):  # the rest of the answer, then the server's close
            pass


def test_each_server_keeps_its_own_control_socket_or_none(scratch, servers):
    """Two instances never share gunicorn's default ~/.gunicorn/gunicorn.ctl."""
    env, _token, _folder = scratch
    for base in servers:
        assert httpx.get(f"{base}/register", timeout=ANSWER_WITHIN).status_code == 200
    assert not list(Path(env["HOME"]).rglob("*.ctl")), "a control socket at the shared place"


def listening_sockets(port: int) -> int:
    """How many TCP sockets listen on ``port`` (IPv4), from /proc/net/tcp."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A: LISTEN
            count += 1
    return count


@contextmanager
def serving_workers(
    env: dict[str, str], log: Path, workers: int
) -> Iterator[tuple[str, subprocess.Popen, int]]:
    """`tracker serve` with ``workers`` processes, once each listens: its URL, process, port."""
    with serving(env, log, workers=workers) as (base, process, log):
        wait_until_up(base, process, log)
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + ANSWER_WITHIN
        while listening_sockets(port) < workers and time.monotonic() < deadline:
            time.sleep(0.1)  # the other workers are still starting
        yield base, process, port


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="Linux's /proc/net/tcp")
def test_each_worker_listens_on_a_socket_of_its_own(scratch, tmp_path):
    """SO_REUSEPORT: the kernel spreads new connections over the workers, instead of the first
    worker to wake taking each one (and keeping it, kept alive, for the whole of a load)."""
    env, _token, _folder = scratch
    with serving_workers(env, tmp_path / "server.log", 3) as (_base, _process, port):
        assert listening_sockets(port) == 3
        # Another program cannot join them: the port is refused as taken.
        with socket.socket() as intruder, pytest.raises(OSError):
            intruder.bind(("127.0.0.1", port))


def established_per_worker(master: int, port: int) -> list[int]:
    """How many connections to ``port`` each worker process of ``master`` holds (Linux /proc)."""
    workers = [
        int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent(int(pid)) == master
    ]
    inodes = {}
    for worker in workers:
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = worker
    counts = dict.fromkeys(workers, 0)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port and inode in inodes:
            counts[inodes[inode]] += 1  # 01: ESTABLISHED, on the server's side
    return sorted(counts.values())


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="Linux's /proc")
def test_kept_alive_connections_end_up_evenly_spread_over_the_workers(scratch, tmp_path):
    """The kernel spreads 64 connections at random (an even split is 1 chance in 10); a worker
    holding more than half closes connections after answering until it does not."""
    env, _token, _folder = scratch
    clients = 64
    with (
        serving_workers(env, tmp_path / "server.log", 2) as (base, process, port),
        ExitStack() as stack,
    ):
        kept = [
            stack.enter_context(httpx.Client(base_url=base, timeout=ANSWER_WITHIN))
            for _ in range(clients)
        ]
        shed = []
        for _round in range(100):  # until a whole round is answered with none closed
            answers = [client.get("/assets/web.css") for client in kept]
            assert {answer.status_code for answer in answers} == {200}
            shed.append(sum(a.headers["connection"] == "close" for a in answers))
            if shed[-1] == 0 and len(shed) > 1:
                break
        assert shed[-1] == 0, shed
        assert established_per_worker(process.pid, port) == [32, 32], shed


def test_server_settings_are_read_and_checked():
    settings = config.from_environ({"TRACKER_SERVER_THREADS": "4", "TRACKER_HEADER_TIMEOUT": "5"})
    assert (settings.server_threads, settings.header_timeout) == (4, 5)
    assert (settings.server_connections, settings.body_timeout) == (1000, 60)
    assert settings.server_running == 1  # one request computing at a time per process
    assert config.from_environ({"TRACKER_SERVER_RUNNING": "3"}).server_running == 3
    assert web_server.worker_class(5, 5, 3).running == 3
    for environ, message in (
        ({"TRACKER_SERVER_RUNNING": "0"}, "TRACKER_SERVER_RUNNING must be from 1 to 1024, not 0"),
        ({"TRACKER_HEADER_TIMEOUT": "0"}, "TRACKER_HEADER_TIMEOUT must be from 1 to 3600, not 0"),
        ({"TRACKER_BODY_TIMEOUT": "soon"}, "TRACKER_BODY_TIMEOUT must be a whole number"),
        (
            {"TRACKER_SERVER_THREADS": "64", "TRACKER_SERVER_CONNECTIONS": "64"},
            "TRACKER_SERVER_CONNECTIONS must be larger than TRACKER_SERVER_THREADS",
        ),
    ):
        with pytest.raises(config.ConfigError, match=message):
            config.from_environ(environ)


def test_the_server_settles_the_cycle_collector_before_forking(monkeypatch):
    """Frozen start-up objects and rare full collections: what a worker keeps between requests
    turns over, and the default thresholds rescanned it every few dozen pages. Checked where
    ``serve`` hands over to gunicorn (whose run forks the workers), not run here."""
    from gunicorn.app.base import BaseApplication

    seen = {}

    def run(self):
        seen["threshold"] = gc.get_threshold()
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(BaseApplication, "run", run)
    before = gc.get_threshold()
    try:
        web_server.serve(
            lambda environ, start_response: [],
            bind=f"127.0.0.1:{free_port()}",
            workers=1,
            threads=1,
            connections=10,
            header_timeout=5,
            body_timeout=5,
        )
        assert seen["threshold"] == web_server.SERVER_GC_THRESHOLDS
        assert seen["frozen"] > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
