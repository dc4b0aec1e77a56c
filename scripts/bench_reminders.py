"""Benchmark: the daily reminder sweep and e-mail delivery at national scale.

Runs on a private copy of the realistic benchmark agency of N systems (scripts/bench_data.py,
default 2,000), where each system gets a contact (one owner per 20 systems); records a sweep and marks it sent, then copies it to the
days before, so the ledger holds ``--history-days`` days of sent reminders (the escalation
look-back reads them) as a running installation's would.

Then, each in a fresh process (as the worker runs it), with its peak RSS (VmHWM):

- the floor: ``completeness.for_portfolio(detail=True, explain=False)`` alone, which the sweep
  starts from (every requirement's status, without the reasons it applies: no reminder shows them);
- the sweep of today (derive, plan, close, record in the ledger); with ``--before DIR`` also the
  sweep of the code in DIR (``git archive <commit> tracker | tar -x -C DIR``) on the same data
  (code from before schema 12 must write its ``status`` column: add it to that copy's
  Notification model and to ledger.COLUMNS with the value "").

And delivery: today's e-mails (``--emails``, default all) queued as the sweep job queues them,
sent by 1 and then 2 ``tracker worker --burst`` processes (RQ, a private redis-server) to a local
SMTP server (aiosmtpd, its own process), e-mails per second from the ledger's first to last
``sent_at``; beside the floor of one smtplib connection sending pre-rendered messages of the
same size to the same server. With each run, the CPU seconds the workers (with the job
processes they fork) and the SMTP server used: the server shares the machine's cores with the
workers, so e-mails per second of the workers' own CPU tell whether a second worker does as
much work as the first when the rate alone cannot (two workers and the server on two cores).

Targets (issue 13): the sweep of 20,000 systems under 60 s with peak RSS under 512 MiB; at least
200 e-mails/s per worker, near-linear with 2 workers. Figures are noisy when other work shares
the machine.

    python scripts/bench_reminders.py [--systems 2000] [--history-days 14] [--database-url URL]
        [--before DIR] [--emails N] [--workers 1,2] [--sweep-only] [--repeat N]
        [--keep-data] [--reuse URL]
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

from tracker import config, db
from tracker.db import utcnow
from tracker.models import AISystem, Notification, User
from tracker.plugin_host import load_catalogue
from tracker.territory import Deployment

# The benchmark agency works in Belgium: the EU frameworks reach its systems by territory.
AGENCY = Deployment(("BE",))
HERE = Path(__file__).resolve().parent
SWEEP_TARGET_S = 60
RSS_TARGET_MIB = 512
RATE_TARGET = 200
SEED = 2026
GIANT = 1000  # items: digests larger than this are reported (each lists at most TRACKER_DIGEST_MAX_ITEMS)


def bench_data():
    """scripts/bench_data.py: the realistic agency every benchmark runs on."""
    path = HERE / "bench_data.py"
    sys.path.insert(0, str(HERE))  # it imports bench_agency beside it
    spec = importlib.util.spec_from_file_location("bench_data", path)
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
    raise RuntimeError(f"nothing started on port {port}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def give_addresses() -> None:
    """People to remind: seeded users get addresses; each system a contact of its own unit (one
    owner per 20 systems), so e-mails are digests of realistic size, not one giant digest."""
    for user in User.select().where(User.email == ""):
        user.email = f"{user.username}@police.example"
        user.save()
    table = AISystem._meta.table_name
    ids = [row[0] for row in db.database.execute_sql(f"SELECT id FROM {table} ORDER BY id")]
    with db.write_transaction():
        for system_id in ids:
            owner = f"owner-{system_id // 20}@police.example"
            AISystem.update(
                contacts=[{"name": "System owner", "email": owner, "role": "system owner"}]
            ).where(AISystem.id == system_id).execute()


def settings_for(
    url: str, folder: Path, smtp_port: int = 25, redis_url: str = ""
) -> config.Settings:
    extra = {"redis_url": redis_url} if redis_url else {}
    return config.Settings(
        data_dir=folder,
        database_url=url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        agency_countries=("BE",),
        **extra,
    ).validated()


def columns() -> list[str]:
    return [c.name for c in db.database.get_columns(Notification._meta.table_name)]


def make_history(db_url: str, today: date, days: int) -> int:
    """``days`` days of sent reminders before ``today``: the sweep of the first recorded and
    marked sent, copied to each later day (as a ledger that ran every day would hold)."""
    from tracker.reminders.delivery import sweep

    first = today - timedelta(days=days)
    catalogue = load_catalogue(deployment=AGENCY)
    settings = settings_for(db_url, Path(tempfile.gettempdir()))
    sweep(first, catalogue, settings, record=True, keep=False)
    param = db.database.obj.param
    sent_at = utcnow()
    with db.write_transaction():
        db.database.execute_sql(
            f"UPDATE notification SET state = 'sent', sent_at = {param}, "
            "message_id = 'bench-' || CAST(id AS VARCHAR(20)) WHERE sweep_date = " + param,
            (sent_at, first),
        )
    names = [c for c in columns() if c != "id"]
    copied = [
        f"key || {param}" if c == "key" else param if c == "sweep_date" else f'"{c}"' for c in names
    ]
    for back in range(days - 1, 0, -1):
        day = today - timedelta(days=back)
        with db.write_transaction():
            db.database.execute_sql(
                f"INSERT INTO notification ({', '.join(chr(34) + c + chr(34) for c in names)}) "
                f"SELECT {', '.join(copied)} FROM notification WHERE sweep_date = {param}",
                (f"#{day.isoformat()}", day, first),
            )
    if db.is_postgres():
        db.database.execute_sql("VACUUM ANALYZE notification")
    else:
        db.database.execute_sql("ANALYZE")
    return Notification.select().count()


def child(argv: list[str]) -> None:
    """In a fresh process: the sweep (or the floor) of one day; prints one JSON line."""
    mode, url, day = argv[0], argv[1], date.fromisoformat(argv[2])
    from tracker import completeness

    database = db.bind(url)
    database.connect()
    catalogue = load_catalogue(deployment=AGENCY)
    settings = settings_for(url, Path(tempfile.gettempdir()))
    tree = TreeMemory()
    start = time.perf_counter()
    if mode == "floor":
        results = completeness.for_portfolio(
            day, catalogue, settings.expiring_soon_days, detail=True, explain=False
        )
        figures = {"systems": len(results)}
    else:
        from tracker.reminders.delivery import sweep

        if "keep" in inspect.signature(sweep).parameters:  # as the sweep job runs it
            result = sweep(day, catalogue, settings, record=True, keep=False)
            figures = {"items": result.item_count, "planned": result.planned_count}
        else:  # a version from before the sweep ran in chunks
            result = sweep(day, catalogue, settings, record=True)
            figures = {"items": len(result.items), "planned": len(result.planned)}
        figures["new"] = result.new
    figures["seconds"] = time.perf_counter() - start
    figures["peak_rss_mib"] = peak_rss_mib()
    figures.update(tree.stop())
    print(json.dumps(figures), flush=True)


class TreeMemory:
    """The memory of this process and its workers together, sampled while it runs: the largest
    sum of their RSS (pages shared since a fork counted once per process: an upper bound) and
    of their PSS (shared pages divided among their sharers)."""

    def __init__(self, every: float = 0.25) -> None:
        self.rss = self.pss = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, args=(every,), daemon=True)
        self.thread.start()

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        return {"tree_rss_mib": round(self.rss), "tree_pss_mib": round(self.pss)}

    def _watch(self, every: float) -> None:
        while not self.done.wait(every):
            rss = pss = 0.0
            for pid in _tree(os.getpid()):
                rss += _kib(f"/proc/{pid}/status", "VmRSS:") / 1024
                pss += _kib(f"/proc/{pid}/smaps_rollup", "Pss:") / 1024
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child_pid in children:
            found += _tree(int(child_pid))
    return found


def _kib(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mib() -> float:
    """This process image's peak RSS: VmHWM, which starts afresh at exec. (getrusage's ru_maxrss
    does not: a child keeps the high-water mark of the parent it was forked from.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(mode: str, url: str, day: date, code: str | None = None) -> dict:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, day.isoformat()],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        # A sweep that loads the ledger must not take the machine down with it.
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (12 << 30, 12 << 30)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(found: list[dict]) -> dict:
    """The run of median time (its other figures with it), and the largest peak RSS of all."""
    ordered = sorted(found, key=lambda f: f["seconds"])
    figures = dict(ordered[len(ordered) // 2])
    figures["peak_rss_mib"] = max(f["peak_rss_mib"] for f in found)
    if len(found) > 1:
        figures["all_seconds"] = [round(f["seconds"], 1) for f in found]
    return figures


def forget_sweep(day: date) -> None:
    """Undo a measured sweep: its rows go (history rows are all sent: nothing was closed)."""
    with db.write_transaction():
        Notification.delete().where(Notification.sweep_date == day).execute()
    if db.is_postgres():  # the next sweep meets no dead rows
        db.database.execute_sql("VACUUM ANALYZE notification")


@contextmanager
def smtp_server(port: int):
    """The SMTP server (its process), run as its own process, as a local relay would."""
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l",
         f"127.0.0.1:{port}"]
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def redis_server():
    """A private redis-server (nothing saved), so no other worker takes the benchmark's jobs."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def smtp_floor(port: int, size: int, count: int) -> float:
    """E-mails/s of one smtplib connection sending ready-made messages of ``size`` bytes."""
    message = EmailMessage()
    message["From"] = "tracker@localhost"
    message["To"] = "someone@police.example"
    message["Subject"] = "floor"
    message.set_content("x" * size)
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        start = time.perf_counter()
        for _ in range(count):
            smtp.send_message(message)
        return count / (time.perf_counter() - start)


def children_cpu() -> float:
    """CPU seconds of this process's ended and waited-for descendants (job processes too)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def delivery(
    url: str, folder: Path, day: date, emails: int | None, workers: int, port: int, sink: int
) -> dict:
    """Queue today's e-mails as the sweep job does and time ``workers`` burst workers; with
    their CPU seconds and those of the SMTP server (process ``sink``) meanwhile."""
    from tracker.reminders import jobs, ledger
    from tracker.reminders.planning import load_preferences

    with db.write_transaction():  # every row of today waiting again
        Notification.update(state="pending", message_id="", sent_at=None, attempts=0).where(
            Notification.sweep_date == day
        ).execute()
    db.refresh_statistics(Notification)  # as the sweep leaves the ledger (reminders.sweeping)
    with redis_server() as redis_url:
        settings = settings_for(url, folder, port, redis_url)
        every = list(ledger.iter_messages(load_preferences()))
        # Every e-mail timed, the largest digests too: one lists at most TRACKER_DIGEST_MAX_ITEMS
        # items and counts the rest (tracker.reminders.mail).
        giants = [m for m in every if len(m.ids) > GIANT]
        ordinary = [m for m in every if len(m.ids) <= GIANT]
        messages = giants + ordinary[: None if emails is None else max(emails - len(giants), 0)]
        target = jobs.queue(settings)
        for start in range(0, len(messages), settings.delivery_batch):
            batch = [vars(m) for m in messages[start : start + settings.delivery_batch]]
            target.enqueue(jobs.deliver_job, batch, job_timeout=3600)
        env = dict(os.environ)
        env.update(
            TRACKER_DATABASE_URL=url,
            TRACKER_REDIS_URL=redis_url,
            TRACKER_SMTP_HOST="127.0.0.1",
            TRACKER_SMTP_PORT=str(port),
            TRACKER_DATA_DIR=str(folder),
            TRACKER_AGENCY_COUNTRIES="BE",
        )
        tracker = shutil.which("tracker", path=str(Path(sys.executable).parent))
        process_cpu = bench_data().process_cpu
        wall, workers_cpu, sink_cpu = time.perf_counter(), children_cpu(), process_cpu(sink)
        running = [
            subprocess.Popen(
                [tracker, "worker", "--burst"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for process in running:
            process.wait()
        wall = time.perf_counter() - wall
        workers_cpu, sink_cpu = children_cpu() - workers_cpu, process_cpu(sink) - sink_cpu
    sent = Notification.select().where(
        (Notification.sweep_date == day) & (Notification.state == "sent")
    )
    moments = sorted(
        {
            (row.sent_at, row.message_id)
            for row in sent.select(Notification.sent_at, Notification.message_id)
        }
    )
    span = (moments[-1][0] - moments[0][0]).total_seconds() if len(moments) > 1 else 0
    count = len(moments)
    return {
        "giants": sorted(len(m.ids) for m in giants),
        "items": sum(len(m.ids) for m in messages),
        "emails": count,
        "queued": len(messages),
        "seconds": span,
        "wall": wall,
        "rate": (count - 1) / span if span else 0.0,
        "workers_cpu": workers_cpu,
        "sink_cpu": sink_cpu,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--history-days", type=int, default=14)
    parser.add_argument(
        "--database-url", help="default: a fresh SQLite file; PostgreSQL: a fresh schema"
    )
    parser.add_argument("--before", help="also measure the sweep of the code in this folder")
    parser.add_argument("--emails", type=int, help="deliver only this many e-mails (default: all)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure ('' for none)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument(
        "--sweep-only", action="store_true", help="measure the floor and the sweep, no delivery"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="floors and sweeps measured this many times (medians)"
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the generated database and its history (its URL is printed) for --reuse",
    )
    parser.add_argument(
        "--reuse", metavar="URL", help="a database kept by --keep-data: nothing is generated"
    )
    args = parser.parse_args()
    if args.sweep_only:
        args.workers = ""
    if args.reuse:
        run(args, args.reuse, Path(tempfile.mkdtemp(prefix="tracker-bench-reminders-")), None)
        return
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-reminders-"))
    data = bench_data()
    # A private copy of the benchmark agency: the sweep writes the ledger. On PostgreSQL built
    # into a schema of this run's own (prepare's scratch schema replaces every cached schema of
    # the same size, which other benchmarks may be reading).
    schema_name = None
    if args.database_url and args.database_url.startswith("postgres"):
        schema_name = f"bench_reminders_{os.getpid()}"
        admin = data.bind(args.database_url)
        admin.execute_sql(f'CREATE SCHEMA "{schema_name}"')
        admin.close()
        url = data._with_schema(args.database_url, schema_name)
        data._build(data.bind(url), args.systems, SEED, date.today(), print)
    else:
        url = data.prepare(args.database_url, args.systems, SEED, scratch=True)
    try:
        run(args, url, folder, data)
    finally:
        if not db.database.is_closed():
            db.database.close()
        if args.keep_data:
            print(f"data kept: --reuse '{url}'")
        elif url.startswith("sqlite"):
            shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        else:
            admin = data.bind(args.database_url)
            admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
            admin.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, url: str, folder: Path, data) -> None:
    database = db.database
    if args.reuse:
        database = db.bind(url)
    database.connect(reuse_if_open=True)
    today = date.today()
    backend = "PostgreSQL" if db.is_postgres() else "SQLite"
    if args.reuse:
        forget_sweep(today)  # a sweep measured by an earlier run
        rows = Notification.select().count()
    else:
        give_addresses()
        print(f"ledger history of {args.history_days} days ...", flush=True)
        started = time.perf_counter()
        rows = make_history(url, today, args.history_days) if args.history_days else 0
        print(f"{rows} ledger rows in {time.perf_counter() - started:.0f} s", flush=True)
    database.close()

    floors = []
    runs: dict[str, list[dict]] = {}
    for _ in range(max(1, args.repeat)):
        floors.append(in_child("floor", url, today))
        print(f"  floor {floors[-1]}", flush=True)
        names = ["before", "after"] if args.before else ["after"]
        for name in names:
            runs.setdefault(name, []).append(
                in_child("sweep", url, today, args.before if name == "before" else None)
            )
            print(f"  sweep ({name}) {runs[name][-1]}", flush=True)
            if name != names[-1] or len(floors) < max(1, args.repeat):
                database.connect()
                forget_sweep(today)
                database.close()
    floor = median_of(floors)
    figures = {name: median_of(found) for name, found in runs.items()}
    database.connect()

    print(
        f"\n{backend}, {args.systems} systems, ledger {rows} rows"
        + ("" if args.reuse else f" ({args.history_days} days sent)")
    )
    print(
        f"floor: completeness of every system  {floor['seconds']:6.1f} s  "
        f"peak RSS {floor['peak_rss_mib']:6.0f} MiB"
    )
    for name, sweep in figures.items():
        verdict = (
            "PASS"
            if sweep["seconds"] < SWEEP_TARGET_S and sweep["peak_rss_mib"] < RSS_TARGET_MIB
            else "FAIL"
        )
        print(
            f"sweep ({name:6})                      {sweep['seconds']:6.1f} s  "
            f"peak RSS {sweep['peak_rss_mib']:6.0f} MiB (with its workers: RSS "
            f"{sweep['tree_rss_mib']} MiB, PSS {sweep['tree_pss_mib']} MiB)   "
            f"{sweep['planned']} notifications, "
            f"{sweep['new']} new   target < {SWEEP_TARGET_S} s, < {RSS_TARGET_MIB} MiB  {verdict}"
        )
        if "all_seconds" in sweep:
            print(f"  sweeps ({name}): {sweep['all_seconds']} s")
    if "all_seconds" in floor:
        print(f"  floors: {floor['all_seconds']} s")
    rates = {}
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if counts:
        port = free_port()
        with smtp_server(port) as sink:
            size = 4000
            floor_rate = smtp_floor(port, size, 2000)
            print(f"floor: smtplib, one connection, {size} B messages  {floor_rate:6.0f} e-mails/s")
            for workers in counts:
                found = delivery(url, folder, today, args.emails, workers, port, sink.pid)
                rates[workers] = found["rate"]
                target = RATE_TARGET * workers
                print(
                    f"delivery, {workers} worker{'s' if workers > 1 else ' '}             "
                    f"{found['rate']:6.0f} e-mails/s ({found['emails']} of {found['queued']} in "
                    f"{found['seconds']:.1f} s, {found['wall']:.1f} s with start-up)   "
                    f"target >= {target}/s  {'PASS' if found['rate'] >= target else 'FAIL'}"
                )
                print(
                    f"  CPU: workers {found['workers_cpu']:.1f} s "
                    f"({found['emails'] / found['workers_cpu']:.0f} e-mails per CPU second), "
                    f"SMTP server {found['sink_cpu']:.1f} s, in {found['wall']:.1f} s on "
                    f"{os.cpu_count()} cores"
                )
            print(
                f"  ({found['items']} reminders in those e-mails, among them {len(found['giants'])} "
                f"digests of more than {GIANT} items, the largest {found['giants'][-1:]})"
            )
    database.close()
    print(f"load average: {os.getloadavg()}")
    if data is not None and hasattr(data, "report"):
        after = figures["after"]
        data.report(
            "reminders",
            backend=backend,
            systems=args.systems,
            ledger_rows=rows,
            sweep_s=round(after["seconds"], 2),
            sweep_peak_rss_mib=round(after["peak_rss_mib"]),
            floor_s=round(floor["seconds"], 2),
            **{f"emails_per_s_{n}_workers": round(rate) for n, rate in rates.items()},
        )


if __name__ == "__main__":
    main()
