"""Load test over HTTP: the production server on the benchmark agency, each main endpoint at a few
levels of concurrency for a fixed time.

Prepares the realistic benchmark data (scripts/bench_data.py; cached), recomputes the portfolio's
index and the API's kept answers (``tracker portfolio refresh --all``, as after an upgrade or
a bulk import) and the chart's kept points (as the nightly job does), starts
``tracker serve`` in its own process with production settings (TRACKER_ENV=production, rate
limits off), signs in through the form for the pages and issues an API token for the API, then:

1. reads the server workers' RSS (VmRSS of each gunicorn worker) at start, after a warm-up, and
   after a run of mixed requests (default 1,000, all four endpoints in turn, 8 clients; cut at
   ``--mixed-seconds`` while the portfolio is slow);
2. runs each endpoint at each concurrency (default 8 and 32 clients) for ``--duration`` seconds
   with wrk (a load tool in C, one thread, kept-alive connections: its own CPU is a small share
   of the machine's, unlike a Python client's): every connection sends one request at a time,
   each to a random active system; a status other than 200, a refused or broken connection or
   a timeout counts as an error;
3. prints one table: endpoint, clients, requests, p50/p95/p99 ms, requests/s, errors, and the
   RSS figures; each row also goes to ``$BENCH_RESULTS`` (``make bench``'s summary).

The client shares the machine with the server (2 cores here): the client CPU column says how much
of it the load tool took, so the figures are an upper bound on the server's latency. wrk is a
Debian package (``apt-get install wrk``; ``make bench-http`` installs it).

    python scripts/bench_http.py [--systems 20000] [--database-url postgresql://127.0.0.1/test]
        [--duration 20] [--clients 8,32] [--timeout 60] [--workers 2] [--mixed 1000] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from bench_data import prepare, process_cpu, report

from tracker import accounts, db, sign_in
from tracker.models import AISystem, User

BIN = Path(sys.executable).parent
USERNAME = "bench-http"
# One user agent for every client: the session is bound to it (flask-login's "strong" session
# protection), so wrk must send the one the form sign-in was made with.
USER_AGENT = "tracker-bench-http"
ENDPOINTS = {  # name -> path, with {id} a random active system's id
    # The floor: a static file through the same server, client and connections, no database.
    "floor: static file": "/assets/web.css",
    "api portfolio (page of 10)": "/api/completeness?page=1&page_size=10",
    "api one system": "/api/systems/{id}/completeness",
    "web system page": "/systems/{id}",
    "web portfolio": "/portfolio",
}


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)  # seconds, of successful requests
    errors: dict[str, int] = field(default_factory=dict)  # what went wrong, how often
    elapsed: float = 0.0
    client_cpu: float = 0.0  # seconds of this process's CPU: the client's own share of the machine

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def credentials(url: str) -> tuple[str, str, list[int]]:
    """A password for the benchmark user (created as an admin if missing), a new API token, and
    the ids of the active systems. Writes only the user, token and their audit events."""
    db.connect(url)
    user = User.get_or_none(User.username == USERNAME) or accounts.create_user(
        USERNAME, "admin", "bench", full_name="HTTP benchmark"
    )
    password = secrets.token_urlsafe(18)
    sign_in.set_password(user, password, "bench")
    _, token = accounts.issue_token(user, f"bench {time.strftime('%Y-%m-%d %H:%M')}", "bench")
    ids = [i for (i,) in AISystem.select(AISystem.id).where(AISystem.retired_at.is_null()).tuples()]
    db.database.obj.close()
    return password, token, ids


def server_env(url: str, folder: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_ENV": "production",
        "TRACKER_SECRET_KEY": secrets.token_hex(32),
        "TRACKER_DATA_DIR": str(folder),
        "TRACKER_BASE_URL": f"http://127.0.0.1:{port}",
        "TRACKER_API_RATE_LIMIT": "off",
        "TRACKER_SIGN_IN_RATE_LIMIT": "off",
        "TRACKER_AGENCY_COUNTRIES": "BE",  # where the benchmark agency works (bench_data.AGENCY)
    }


def refresh_index(env: dict[str, str], everything: bool) -> str:
    """``tracker portfolio refresh``, as the nightly job runs it: today's rows (every one with
    ``everything``), then the chart's kept points that are missing or stale (all of them the
    first time a benchmark agency is used: a dozen full recomputes, cached with the data since).
    Its output lines."""
    commands = [["--all", "--as-of", date.today().isoformat()], []] if everything else [[]]
    said = []
    for arguments in commands:
        started = time.perf_counter()
        done = subprocess.run(
            [str(BIN / "tracker"), "portfolio", "refresh", *arguments],
            env=env,
            capture_output=True,
            text=True,
        )
        lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
        if done.returncode:
            return f"failed ({lines[-1] if lines else ''})"
        said.append(f"{'; '.join(lines)} ({time.perf_counter() - started:.1f} s)")
    return "; ".join(said)


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    """``tracker serve`` in its own process, its output in ``log`` (a pipe nobody reads would
    fill and stop the server)."""
    server = subprocess.Popen(
        [str(BIN / "tracker"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its workers at the end
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            answered = httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=5).status_code
            if answered == 200 and len(workers_of(server.pid)) >= workers:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(server)
    raise SystemExit("the server did not answer within 120 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # the group started above: the server's own
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def workers_of(master: int) -> list[int]:
    """The gunicorn worker processes: the server process's children."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{master}$", status, re.M):
                found.append(int(entry.name))
    return sorted(found)


def rss_mib(master: int) -> list[float]:
    sizes = []
    for pid in workers_of(master):
        try:
            match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
        except OSError:
            continue
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return sizes


def cpu_seconds(master: int) -> dict[int, float]:
    """Each server worker's CPU time so far (user and system), by pid."""
    found = {}
    for pid in workers_of(master):
        try:
            found[pid] = process_cpu(pid)
        except OSError:
            continue
    return found


def cpu_split(before: dict[int, float], after: dict[int, float]) -> str:
    """How a row's server CPU time fell on each worker, e.g. "1.9+1.8 s": a worker that took
    most of it served most of the kept-alive connections."""
    used = [after[pid] - before.get(pid, 0.0) for pid in sorted(after)]
    return "+".join(f"{seconds:.1f}" for seconds in used) + " s"


def web_session(base: str, password: str) -> str:
    """Sign in through the form; the session cookie's value. The cookie is Secure in production,
    which an http:// client keeps but never sends: it is sent by hand (the Cookie header)."""
    with httpx.Client(base_url=base, timeout=60, headers={"User-Agent": USER_AGENT}) as client:
        page = client.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        cookie = page.cookies.get("tracker_session")
        signed_in = client.post(
            "/sign-in",
            data={"csrf_token": token, "username": USERNAME, "password": password},
            headers={"Cookie": f"tracker_session={cookie}"},
        )
        if signed_in.status_code != 302:
            raise SystemExit(f"sign-in failed: {signed_in.status_code}")
        return signed_in.cookies.get("tracker_session")


async def load(
    base: str,
    paths: list[str],
    headers: dict[str, dict[str, str]],
    ids: list[int],
    clients: int,
    duration: float,
    timeout: float,
    total: int | None = None,
    seed: int = 1,
) -> Sample:
    """``clients`` concurrent loops, each one request at a time, over ``paths`` in turn, for
    ``duration`` seconds (or until ``total`` requests were sent)."""
    sample, rng = Sample(), random.Random(seed)
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=timeout, headers={"User-Agent": USER_AGENT}
    ) as client:
        start, cpu = time.perf_counter(), time.process_time()
        end = start + duration

        async def one_client() -> None:
            nonlocal sent
            while time.perf_counter() < end and (total is None or sent < total):
                path = paths[sent % len(paths)]
                sent += 1
                url = path.format(id=rng.choice(ids))
                began = time.perf_counter()
                try:
                    response = await client.get(url, headers=headers[path])
                    await response.aread()
                except httpx.TimeoutException:
                    sample.error("timeout")
                    continue
                except httpx.HTTPError as error:
                    sample.error(type(error).__name__)
                    continue
                if response.status_code == 200:
                    sample.latencies.append(time.perf_counter() - began)
                else:
                    sample.error(f"HTTP {response.status_code}")

        await asyncio.gather(*(one_client() for _ in range(clients)))
        sample.elapsed = time.perf_counter() - start
        sample.client_cpu = time.process_time() - cpu
    return sample


# wrk's script: each request to a random system (ids one per line in $BENCH_IDS), answers
# other than 200 counted per thread, and one JSON line of figures at the end (microseconds).
WRK_SCRIPT = r"""
local threads, ids, template = {}, {}, os.getenv("BENCH_PATH")
function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end
function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
  math.randomseed(1000 + seed)
  not_ok = 0
end
function request()
  local path = template:gsub("{id}", ids[math.random(#ids)])
  return wrk.format("GET", path)
end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local answered_not_ok = 0
  for _, thread in ipairs(threads) do answered_not_ok = answered_not_ok + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"not 200": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), answered_not_ok, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class Measured:
    """One row of the table, from wrk."""

    requests: int
    elapsed: float  # seconds
    p50: float  # milliseconds
    p95: float
    p99: float
    errors: dict[str, int]
    client_cpu: float  # seconds of wrk's CPU
    server_cpu: str = ""  # each server worker's CPU time over the row (cpu_split)


def wrk_load(
    base: str,
    path: str,
    headers: dict[str, str],
    ids_file: Path,
    clients: int,
    duration: float,
    timeout: float,
    folder: Path,
) -> Measured:
    """``clients`` kept-alive connections sending ``path`` (``{id}`` a random system) for
    ``duration`` seconds with wrk; its figures, errors and CPU."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install wrk (make bench-http installs it)")
    script = folder / "bench.lua"
    script.write_text(WRK_SCRIPT)
    command = [wrk, "-t1", f"-c{clients}", f"-d{duration:g}s", f"--timeout={timeout:g}s"]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(script), base]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command,
        env={**os.environ, "BENCH_PATH": path, "BENCH_IDS": str(ids_file)},
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures = json.loads(line.removeprefix("BENCH "))
    errors = {
        kind: figures[kind]
        for kind in ("not 200", "connect", "read", "write", "timeout")
        if figures[kind]
    }
    return Measured(
        requests=figures["requests"],
        elapsed=figures["duration_us"] / 1e6,
        p50=figures["p50"] / 1000,
        p95=figures["p95"] / 1000,
        p99=figures["p99"] / 1000,
        errors=errors,
        client_cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per endpoint and level")
    parser.add_argument("--clients", default="8,32", help="concurrency levels, e.g. 8,32")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per request")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--mixed", type=int, default=1000, help="mixed requests for the RSS")
    parser.add_argument(
        "--only", help="only the endpoints whose name contains this (e.g. 'system page')"
    )
    parser.add_argument("--mixed-seconds", type=float, default=180, help="cut the mixed run at")
    parser.add_argument(
        "--refresh",
        choices=("all", "stale", "none"),
        default="all",
        help="the portfolio index before the server starts: every system's row recomputed "
        "(default: rows an older version of the code wrote into the cached database would "
        "otherwise be read as they are), only the stale ones (as cron does), or nothing",
    )
    parser.add_argument(
        "--if-reachable",
        action="store_true",
        help="with --database-url: say so and stop (status 0) when it cannot be reached",
    )
    args = parser.parse_args()
    if args.if_reachable and args.database_url:
        try:
            db.connect(args.database_url).close()
        except db.DatabaseUnavailable as error:
            print(f"skipped: {error}")
            return
    levels = [int(n) for n in args.clients.split(",")]

    url = prepare(args.database_url, args.systems, args.seed)
    db.database.obj.close()
    password, token, ids = credentials(url)
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-http-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(url, folder, port)
    refreshed = "skipped" if args.refresh == "none" else refresh_index(env, args.refresh == "all")
    print(f"portfolio refresh: {refreshed}", flush=True)
    log = folder / "server.log"
    server = start_server(env, port, args.workers, log)
    try:
        cookie = web_session(base, password)
        api = {"Authorization": f"Bearer {token}"}
        page = {"Cookie": f"tracker_session={cookie}"}
        headers = {  # the API by token, pages by session, the static floor as anyone
            path: api if path.startswith("/api/") else {} if path.startswith("/assets/") else page
            for path in ENDPOINTS.values()
        }
        paths = [p for p in ENDPOINTS.values() if not p.startswith("/assets/")]
        rss = {"start": rss_mib(server.pid)}

        def run(paths, clients, duration, total=None) -> Sample:
            return asyncio.run(
                load(base, paths, headers, ids, clients, duration, args.timeout, total)
            )

        print("warming up (each endpoint a few times) ...", flush=True)
        warm = run(paths, 2, args.timeout * 2, total=4 * len(paths))
        rss["after warm-up"] = rss_mib(server.pid)
        print(f"{args.mixed} mixed requests at 8 clients ...", flush=True)
        mixed = run(paths, 8, args.mixed_seconds, total=args.mixed)
        rss[f"after {mixed.requests} mixed"] = rss_mib(server.pid)
        ids_file = folder / "ids.txt"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        rows = []
        for name, path in ENDPOINTS.items():
            if args.only and args.only not in name:
                continue
            for clients in levels:
                print(f"{name}, {clients} clients, {args.duration:g} s ...", flush=True)
                cpu_before = cpu_seconds(server.pid)
                measured = wrk_load(
                    base,
                    path,
                    headers[path],
                    ids_file,
                    clients,
                    args.duration,
                    args.timeout,
                    folder,
                )
                measured.server_cpu = cpu_split(cpu_before, cpu_seconds(server.pid))
                rows.append((name, clients, measured))
        rss["after the load"] = rss_mib(server.pid)
    finally:
        stop(server)

    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"\n{backend}, {args.systems} systems, {args.workers} workers; "
        f"{args.duration:g} s per row, request timeout {args.timeout:g} s"
    )
    print(
        f"{'endpoint':28} {'clients':>7} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'req/s':>7} {'client CPU':>10} {'server CPU':>12} {'errors':>6}"
    )
    for name, clients, row in rows:
        # wrk counts an answer other than 200 among its requests: the rate is of good ones.
        errors = sum(row.errors.values())
        rate = (row.requests - row.errors.get("not 200", 0)) / row.elapsed if row.elapsed else 0.0
        detail = f" ({', '.join(f'{k} {v}' for k, v in row.errors.items())})" if errors else ""
        print(
            f"{name:28} {clients:>7} {row.requests:>8} {row.p50:>8.1f} {row.p95:>8.1f} "
            f"{row.p99:>8.1f} {rate:>7.1f} {row.client_cpu / row.elapsed:>10.0%} "
            f"{row.server_cpu:>12} {errors:>6}{detail}"
        )
        report(
            "http",
            backend=backend,
            systems=args.systems,
            endpoint=name,
            clients=clients,
            requests=row.requests,
            p50_ms=round(row.p50, 1),
            p95_ms=round(row.p95, 1),
            p99_ms=round(row.p99, 1),
            rps=round(rate, 1),
            errors=errors,
        )
    print(
        "client CPU: wrk's own CPU time over the row's duration (100 % = one of "
        f"the machine's {os.cpu_count()} cores); server CPU: each worker's CPU seconds in the row"
    )
    print(f"warm-up: {warm.requests} requests, {sum(warm.errors.values())} errors")
    print(
        f"mixed: {mixed.requests} requests in {mixed.elapsed:.1f} s, "
        f"{sum(mixed.errors.values())} errors"
    )
    if any(row.errors for _, _, row in rows) or warm.errors or mixed.errors:
        print(f"server log (kept for the errors): {log}")
    else:
        shutil.rmtree(folder)  # the log and the data folder: nothing to look into
    print("server workers' RSS (MiB, each worker):")
    for when, sizes in rss.items():
        print(f"  {when:24} {', '.join(f'{s:.0f}' for s in sizes)}")
    report(
        "http-rss",
        backend=backend,
        systems=args.systems,
        start_mib=round(max(rss["start"], default=0)),
        warm_mib=round(max(rss["after warm-up"], default=0)),
        mixed_mib=round(max(list(rss.values())[2], default=0)),
        end_mib=round(max(rss["after the load"], default=0)),
    )


if __name__ == "__main__":
    main()
