"""Probe: does `tracker serve` keep answering while slow clients hold half-sent requests?

Starts ``tracker serve`` on a free port with a scratch SQLite database (or targets a running
server with ``--url`` and ``--token``), opens 50 connections that each send half a request line
and headers and then trickle a byte now and then, and while they are held:

* times ``GET /register`` (the public register) and ``GET /api/systems`` (with a token) several
  times each and prints the medians (target: under 1 s);
* uploads a 200 MB file through ``POST /api/evidence`` at the loopback's full rate and prints
  whether it succeeded and how long it took.

    python scripts/slow_client_probe.py [--slow 50] [--runs 7] [--upload-mb 200]
    python scripts/slow_client_probe.py --url http://127.0.0.1:5000 --token SECRET
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import scratch_server
from scratch_server import MIB, make_text_file

TARGET_S = 1.0


class SlowClients:
    """``count`` connections that each send half a request, then one more byte every few seconds.

    A connection the server closes is opened again, so ``count`` are held for the whole probe.
    """

    def __init__(self, host: str, port: int, count: int) -> None:
        self.host, self.port, self.count = host, port, count
        self.sockets: list[socket.socket] = []
        self.reopened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.sendall(b"GET /register HTTP/1.1\r\nHost: probe\r\nX-Slow: ")
        sock.setblocking(False)
        return sock

    def __enter__(self) -> SlowClients:
        self.sockets = [self._open() for _ in range(self.count)]
        self._thread.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(3):
            for index, sock in enumerate(self.sockets):
                try:
                    if sock.recv(1024) == b"":  # closed by the server (its header timeout)
                        raise ConnectionResetError
                except BlockingIOError:
                    pass  # still open, nothing said: keep trickling
                except OSError:
                    sock.close()
                    self.sockets[index] = sock = self._open()
                    self.reopened += 1
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def timed_get(url: str, headers: dict[str, str] | None = None) -> tuple[float, int | str]:
    start = time.perf_counter()
    try:
        status: int | str = httpx.get(url, headers=headers, timeout=30).status_code
    except httpx.HTTPError as error:
        status = type(error).__name__
    return time.perf_counter() - start, status


def upload(base: str, token: str, path: Path) -> tuple[float, int | str]:
    start = time.perf_counter()
    try:
        with open(path, "rb") as handle:
            status: int | str = httpx.post(
                f"{base}/api/evidence",
                headers={"Authorization": f"Bearer {token}"},
                timeout=600,
                data={"kind": "record", "title": "slow-client probe", "agency_wide": "true"},
                files={"files": ("probe.txt", handle, "text/plain")},
            ).status_code
    except httpx.HTTPError as error:
        status = type(error).__name__
    return time.perf_counter() - start, status


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="probe this running server instead of starting one")
    parser.add_argument("--token", help="an API token for --url (any role)")
    parser.add_argument("--slow", type=int, default=50, help="slow connections to hold")
    parser.add_argument("--runs", type=int, default=7, help="timed requests per address")
    parser.add_argument("--upload-mb", type=int, default=200)
    args = parser.parse_args()
    if args.url and not args.token:
        parser.error("--url needs --token")

    work = Path(tempfile.mkdtemp(prefix="tracker-slow-client-"))
    server = None
    try:
        if args.url:
            base, token = args.url.rstrip("/"), args.token
        else:
            server = scratch_server.start(
                work,
                args.upload_mb,
                # Rate limits are another matter; this probe counts on its own requests.
                settings={
                    "TRACKER_API_RATE_LIMIT": "off",
                    "TRACKER_RATE_LIMIT_STORAGE_URL": "memory://",
                },
                stderr=open(work / "server.log", "wb"),  # noqa: SIM115 - closed with the process
                user="probe",
            )
            base, token = server.base, server.token
        scratch_server.wait_until_up(base)
        source = work / "upload.txt"
        make_text_file(source, args.upload_mb * MIB)
        address = urlsplit(base)
        host, port = address.hostname or "127.0.0.1", address.port or 80

        print(f"server                     {base}{'' if args.url else ' (started by the probe)'}")
        with SlowClients(host, port, args.slow) as slow:
            time.sleep(1)  # let the server take them all in
            print(f"slow connections held      {args.slow} (half a request each, a byte every 3 s)")
            failed = False
            for label, url, headers in (
                ("GET /register", f"{base}/register", None),
                ("GET /api/systems", f"{base}/api/systems", {"Authorization": f"Bearer {token}"}),
            ):
                results = [timed_get(url, headers) for _ in range(args.runs)]
                median = statistics.median(seconds for seconds, _ in results)
                statuses = sorted({str(status) for _, status in results})
                ok = median < TARGET_S and statuses == ["200"]
                failed |= not ok
                print(
                    f"{label:<26} median {median * 1000:8.1f} ms over {args.runs}, "
                    f"status {','.join(statuses)}  (target < {TARGET_S:.0f} s)  "
                    f"{'PASS' if ok else 'FAIL'}"
                )
            seconds, status = upload(base, token, source)
            ok = status == 201
            failed |= not ok
            rate = args.upload_mb / seconds
            print(
                f"upload {args.upload_mb} MB{'':<15}{seconds:7.2f} s  {rate:7.1f} MB/s  "
                f"status {status}  {'PASS' if ok else 'FAIL'}"
            )
            print(f"slow connections reopened  {slow.reopened} (closed by the server's timeout)")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
