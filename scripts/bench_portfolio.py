"""Benchmark: the portfolio's index at national scale (tracker.portfolio).

On the realistic benchmark agency (scripts/bench_data.py; a private copy, since this writes),
reports medians of:

- filling the system page chart's kept points once (every system on each of the twelve month
  starts, ``tracker portfolio refresh --all``'s second part; ``--no-chart`` skips it);
- the full recompute of every system's row (``tracker portfolio refresh --all``: as many
  worker processes as cores), each run in a fresh process with its peak RSS (the largest of
  the process and its workers), beside the same recompute in one process and two floors
  measured in the same run: reading the same tables with one raw SQL query each, and the
  completeness engine alone computing every summary (what every portfolio request cost before
  the index);
- what the cores gave meanwhile: how much faster as many processes as the recompute's workers
  run a pure-Python loop each than one process runs one (2.0 on two idle cores; less while
  others use them: this machine is shared);
- reading a page as the API does (10 systems, by name and by overdue count) and as the web
  page does (50 systems), with the index current: SQL queries and milliseconds;
- the same read right after one system was written to (its row recomputed) and the check
  that finds nothing stale.

Targets (issue 13): full recompute of 20,000 systems under 10 s; a page far under the 150 ms
p95 that scripts/bench_http.py measures through the production server.

    python scripts/bench_portfolio.py [--systems 20000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_completeness import counting_queries, fetch_floor
from bench_data import AGENCY, prepare, report

from tracker import completeness, db, portfolio
from tracker.completeness import export
from tracker.plugin_host import load_catalogue
from tracker.portfolio import chart_points, index, listing, parallel


def child(task: str, url: str) -> None:
    """One timed task in this fresh process; prints seconds and peak RSS as JSON."""
    db.connect(url)
    catalogue = load_catalogue(deployment=AGENCY)
    today = date.today()
    tasks = {
        "refresh": lambda: portfolio.refresh(today, catalogue, 30),
        "refresh-alone": lambda: portfolio.refresh(today, catalogue, 30, workers=1),
        "engine": lambda: completeness.for_portfolio(today, catalogue),
        "floor": fetch_floor,
        "chart-points": lambda: chart_points.refresh(today, catalogue, 30, everything=True),
    }
    start = time.perf_counter()
    done = tasks[task]()
    seconds = time.perf_counter() - start
    # the largest of this process and its workers (Linux gives the largest child's peak)
    peak = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    count = done if isinstance(done, int) else None
    print(json.dumps({"seconds": seconds, "peak_mib": peak // 1024, "count": count}))


def spin(loops: int) -> int:
    total = 0
    for number in range(loops):
        total += number * number % 7
    return total


def cores_speedup(workers: int, loops: int = 4_000_000) -> float:
    """How much faster ``workers`` processes run one loop each than one process runs one,
    measured now."""
    start = time.perf_counter()
    spin(loops)
    one = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(spin, [1])  # started before the clock
        start = time.perf_counter()
        pool.map(spin, [loops] * workers, chunksize=1)
        many = time.perf_counter() - start
    return workers * one / many


def in_child(task: str, url: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, url],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_ms(function, runs: int) -> tuple[float, int]:
    """Median milliseconds of ``function`` over ``runs``, and its SQL queries on the last."""
    times = []
    for _ in range(runs):
        with counting_queries() as count:
            start = time.perf_counter()
            function()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), count[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument(
        "--no-chart",
        action="store_true",
        help="skip filling the system page chart's kept points (12 full recomputes)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    url = prepare(args.database_url, args.systems, args.seed, scratch=True)
    backend = "postgresql" if db.is_postgres() else "sqlite"
    db.database.obj.close()

    # Alternating, so that each sees the machine in the same state.
    refreshes, alone, engines, floors, speedups = [], [], [], [], []
    processes = max(2, parallel.cores())
    for _ in range(args.runs):
        floors.append(in_child("floor", url))
        engines.append(in_child("engine", url))
        speedups.append(cores_speedup(processes))
        refreshes.append(in_child("refresh", url))
        alone.append(in_child("refresh-alone", url))
        speedups.append(cores_speedup(processes))
    points = None if args.no_chart else in_child("chart-points", url)
    speedup = statistics.median(speedups)
    refresh_s = statistics.median(r["seconds"] for r in refreshes)
    alone_s = statistics.median(r["seconds"] for r in alone)
    alone_peak = max(r["peak_mib"] for r in alone)
    engine_s = statistics.median(r["seconds"] for r in engines)
    floor_s = statistics.median(r["seconds"] for r in floors)
    refresh_peak = max(r["peak_mib"] for r in refreshes)
    engine_peak = max(r["peak_mib"] for r in engines)

    db.connect(url)
    workers = parallel.workers_for(args.systems)  # as the full recompute chose
    catalogue = load_catalogue(deployment=AGENCY)
    today = date.today()
    index.ensure(today, catalogue, 30, wait=True)
    runs = max(args.runs * 4, 20)

    def api_page(query: listing.Query) -> None:
        found = listing.page(today, query, 0, 10, index.ensure(today, catalogue, 30))
        [export.system_dict(r, with_items=False) for r in found.results()]

    def web_page() -> None:
        found = listing.page(today, listing.Query(), 0, 50, index.ensure(today, catalogue, 30))
        found.results()

    by_name_ms, by_name_queries = median_ms(lambda: api_page(listing.Query()), runs)
    by_overdue_ms, _ = median_ms(
        lambda: api_page(listing.Query(sort="overdue", descending=True)), runs
    )
    web_ms, web_queries = median_ms(web_page, runs)
    system_ids = [row[0] for row in db.database.execute_sql("SELECT id FROM ai_system")]

    def after_a_write() -> None:
        # A system written to: its stamp moves (as any write does, through the triggers).
        system_id = system_ids[len(system_ids) // 2]
        db.database.execute_sql(
            f"UPDATE ai_system SET purpose = purpose WHERE id = {int(system_id)}"
        )
        api_page(listing.Query())

    write_ms, write_queries = median_ms(after_a_write, runs)
    key = index.catalogue_key(catalogue, 30)
    check_ms, _ = median_ms(lambda: index.stale(today, key), runs)

    print(f"portfolio index, {args.systems} systems, {backend}, medians of {args.runs} runs")
    print(
        f"  full recompute      {refresh_s:6.2f} s   peak RSS {refresh_peak} MiB   (target < 10 s;"
        f" {workers} workers)"
    )
    print(f"  in one process      {alone_s:6.2f} s   peak RSS {alone_peak} MiB")
    print(f"  cores' speedup      {speedup:6.2f} x   ({len(speedups)} measures around the runs)")
    print(
        f"  engine alone        {engine_s:6.2f} s   peak RSS {engine_peak} MiB (every request before)"
    )
    print(f"  raw SQL floor       {floor_s:6.2f} s   (the same tables, one query each)")
    if points is not None:
        print(
            f"  chart's kept points {points['seconds']:6.2f} s   peak RSS {points['peak_mib']} MiB"
            f"   ({points['count']} points: every system on each of the 12 month starts, once)"
        )
    print(f"  API page by name    {by_name_ms:6.1f} ms  {by_name_queries} queries")
    print(f"  API page by overdue {by_overdue_ms:6.1f} ms")
    print(f"  web page (50)       {web_ms:6.1f} ms  {web_queries} queries")
    print(f"  after one write     {write_ms:6.1f} ms  {write_queries} queries")
    print(f"  full stale check    {check_ms:6.1f} ms  (only when a stamp moved)")
    report(
        "portfolio",
        backend=backend,
        systems=args.systems,
        full_recompute_s=round(refresh_s, 2),
        recompute_peak_mib=refresh_peak,
        workers=workers,
        one_process_s=round(alone_s, 2),
        cores_speedup=round(speedup, 2),
        engine_alone_s=round(engine_s, 2),
        floor_s=round(floor_s, 2),
        chart_points_s=None if points is None else round(points["seconds"], 2),
        api_page_ms=round(by_name_ms, 1),
        api_page_overdue_ms=round(by_overdue_ms, 1),
        web_page_ms=round(web_ms, 1),
        after_write_ms=round(write_ms, 1),
        target="PASS" if refresh_s < 10 else "MISS",
    )


if __name__ == "__main__":
    main()
