"""Benchmark: the daily reminder sweep and e-mail delivery at national scale.

Seeds N AI systems (default 2,000) with the same realistic gaps as the
completeness benchmark, gives people e-mail addresses, then reports the sweep
(derive from completeness, plan per person, record in the ledger): its median
time and SQL query count, also at N/4 to show the count does not grow with N;
and the delivery rate of one worker's delivery job to a local SMTP server
(aiosmtpd), e-mails per second, rendering and ledger updates included.

Targets: the sweep under 5 s with a query count that does not grow with N; at least 200 e-mails
per second per worker.

    python scripts/bench_reminders.py [--systems 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from tracker import config, db, schema
from tracker.models import AISystem, Notification, User
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences
from tracker.territory import Deployment

# The benchmark agency works in Belgium: the EU frameworks reach its systems by territory.
AGENCY = Deployment(("BE",))
HERE = Path(__file__).resolve().parent


def completeness_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_completeness", HERE / "bench_completeness.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the SMTP server did not start on port {port}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def give_addresses() -> None:
    """People to remind: seeded users get addresses, each system a contact."""
    for user in User.select().where(User.email == ""):
        user.email = f"{user.username}@police.example"
        user.save()
    AISystem.update(
        contacts=[{"name": "System owner", "email": "owner@police.example", "role": "system owner"}]
    ).execute()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    bench = completeness_bench()
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-reminders-"))
    database = db.bind(args.database_url or f"sqlite:///{folder / 'bench.db'}")
    database.connect()
    schema.upgrade(database)
    catalogue = load_catalogue(deployment=AGENCY)
    rng = random.Random(2026)
    port = free_port()
    settings = config.Settings(data_dir=folder, smtp_host="127.0.0.1", smtp_port=port).validated()
    today = date.today()

    def measured_sweep(day: date, record: bool):
        with bench.counting_queries() as queries:
            start = time.perf_counter()
            result = sweep(day, catalogue, settings, record=record)
            elapsed = time.perf_counter() - start
        return elapsed, queries[0], result

    small = max(1, args.systems // 4)
    print(f"seeding {small} systems ...", flush=True)
    bench.seed(small, catalogue, rng)
    give_addresses()
    _, small_queries, _ = measured_sweep(today, record=False)
    print(f"seeding {args.systems - small} more, {args.systems} in all ...", flush=True)
    bench.seed(args.systems - small, catalogue, rng)
    give_addresses()

    timings = [measured_sweep(today, record=False) for _ in range(args.runs)]
    plan_s = statistics.median(t for t, _, _ in timings)
    plan_queries, result = timings[0][1], timings[0][2]
    record_s, record_queries, recorded = measured_sweep(today, record=True)

    # The SMTP server runs as its own process, as a local relay would, not inside the measured one.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ]
    )
    try:
        wait_for_port(port)
        messages = ledger.messages(load_preferences())
        start = time.perf_counter()
        delivered = deliver(messages, settings, final_attempt=True)
        deliver_s = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    sent = Notification.select().where(Notification.state == "sent").count()
    rate = delivered.sent / deliver_s if deliver_s else 0.0

    print(f"database                 {type(database).__name__}; {args.systems} systems")
    print(
        f"reminder items           {len(result.items)}; notifications planned {len(result.planned)}; "
        f"e-mails {len(messages)}"
    )
    print(
        f"sweep without recording  {plan_s:6.2f} s (median of {args.runs})   queries {plan_queries} "
        f"(at {small} systems: {small_queries})  {'PASS (constant)' if plan_queries == small_queries else 'FAIL'}"
    )
    print(
        f"sweep with recording     {record_s:6.2f} s   queries {record_queries} "
        f"(the ledger insert is batched: {recorded.new} rows)   target < 5 s  {'PASS' if record_s < 5 else 'FAIL'}"
    )
    print(
        f"delivery, one worker     {delivered.sent} e-mails ({sent} notifications) in {deliver_s:.2f} s = "
        f"{rate:.0f} e-mails/s   target >= 200/s  {'PASS' if rate >= 200 else 'FAIL'}"
    )
    database.close()


if __name__ == "__main__":
    main()
