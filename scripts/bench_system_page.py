"""Benchmark: one system's page (GET /systems/<id>, with its 12-month chart) and one system's
completeness, on the realistic benchmark agency at 2,000 and 20,000 systems.

The data comes from scripts/bench_data.py (agency-wide evidence, versions, reviews, waivers,
operators, events, a year of profile changes), generated once and cached. On each agency the
script signs in with Flask's test client and reports, for the busiest system (the most evidence
links):

- the page: median and p90 time, and the SQL statements it runs (to compare across sizes: the
  count must not grow with the agency);
- ``completeness.for_system`` on today, the path of one system's API answer;
- the same two with the evidence read as before issue 13 (one outer join filtered by
  ``system IN (...) OR agency_wide``), swapped in for the run: the comparison, measured in the
  same run on the same data;
- a floor, alternating with the page: the rows the page reads, one raw SQL statement per table
  (connection taken and given back, as a request does), nothing built from them.

Runs on SQLite, and on PostgreSQL when reachable (``--postgres-url``; the app pools its
connections there). Figures are wall-clock medians on a shared machine: noisy.

    python scripts/bench_system_page.py [--systems 2000,20000] [--runs 40] [--seed 2026]
        [--postgres-url URL] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import peewee

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data

from tracker import accounts, completeness, config, db, sign_in
from tracker.app import create_app
from tracker.completeness import evidence_reads
from tracker.completeness.driver import raw_rows
from tracker.models import Evidence, EvidenceSystem

TARGET_MS = 150  # issue 13: the page's p95 under 150 ms (at 32 clients, over HTTP: bench_http)
PASSWORD = "bench system page password"
POSTGRES_URL = "postgresql://127.0.0.1:5432/test"


@contextmanager
def counting_queries() -> Iterator[list[int]]:
    """The number of SQL statements the bound database runs inside the block."""
    database = db.database.obj
    original = database.execute_sql
    count = [0]

    def counted(sql, *args, **kwargs):
        count[0] += 1
        return original(sql, *args, **kwargs)

    database.execute_sql = counted
    try:
        yield count
    finally:
        del database.execute_sql


def old_evidence_rows(where, system_ids, columns=()):
    """The evidence query as it was before issue 13: one outer join, ``IN (...) OR
    agency_wide``, which no index can lead."""
    query = (
        Evidence.select(*evidence_reads.EVIDENCE_COLUMNS, *columns)
        .join(EvidenceSystem, peewee.JOIN.LEFT_OUTER)
        .where(where)
    )
    if system_ids is not None:
        query = query.where(EvidenceSystem.system.in_(system_ids) | (Evidence.agency_wide == True))
    return raw_rows(query)


@contextmanager
def old_evidence_query() -> Iterator[None]:
    from tracker.completeness import history

    new = evidence_reads.evidence_rows
    evidence_reads.evidence_rows = history.evidence_rows = old_evidence_rows
    try:
        yield
    finally:
        evidence_reads.evidence_rows = history.evidence_rows = new


def floor_statements(system_id: int) -> list[str]:
    """The rows the page reads, one raw SQL statement per table, index-led as the page's."""
    evidence_ids = [
        row[0] for row in evidence_reads.evidence_rows(Evidence.id > 0, [system_id], ())
    ] or [0]
    marks = ", ".join(str(i) for i in set(evidence_ids))
    return [
        f"SELECT * FROM ai_system WHERE id = {system_id}",
        "SELECT entity_id, occurred_at, before, after, action FROM audit_event WHERE "
        f"entity_type = 'ai_system' AND entity_id = '{system_id}' "
        "AND action IN ('system.updated', 'system.migrated')",
        f"SELECT * FROM system_event WHERE system_id = {system_id}",
        f"SELECT * FROM operator WHERE system_id = {system_id}",
        "SELECT * FROM evidence e JOIN evidence_system s ON s.evidence_id = e.id "
        f"WHERE s.system_id = {system_id} AND NOT e.agency_wide",
        "SELECT * FROM evidence e LEFT JOIN evidence_system s ON s.evidence_id = e.id "
        "WHERE e.agency_wide",
        f"SELECT * FROM evidence_review WHERE evidence_id IN ({marks})",
        f"SELECT * FROM waiver WHERE system_id = {system_id}",
    ]


def floor(statements: list[str]) -> Callable[[], None]:
    def run() -> None:
        database = db.database.obj
        database.connect(reuse_if_open=True)
        for sql in statements:
            database.execute_sql(sql).fetchall()
        database.close()  # as a request ends: the connection goes back (or is closed)

    return run


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def busiest_system() -> int:
    """The system with the most evidence links (retired or not)."""
    row = db.database.execute_sql(
        "SELECT system_id, COUNT(*) FROM evidence_system GROUP BY system_id "
        "ORDER BY COUNT(*) DESC, system_id LIMIT 1"
    ).fetchone()
    return row[0]


def measure(label: str, url: str, systems: int, runs: int, folder: Path) -> dict:
    settings = config.Settings(
        env="testing",
        data_dir=folder,
        database_url=url,
        evidence_dir=folder / "evidence-store",
        agency_countries=bench_data.AGENCY.countries,
    ).validated()
    app = create_app(settings)
    catalogue = app.extensions["tracker"].catalogue
    # A user of this run's own (the cached agency is shared: nothing else is written).
    with db.database.connection_context():
        user = accounts.create_user(f"bench.page.{uuid.uuid4().hex[:8]}", "viewer", "bench")
        sign_in.set_password(user, PASSWORD, "bench")
        system_id = busiest_system()
        links = EvidenceSystem.select().where(EvidenceSystem.system == system_id).count()
        statements = floor_statements(system_id)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    signed = client.post(
        "/sign-in", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 302, signed.text
    path = f"/systems/{system_id}"

    def page() -> None:
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    def one_system() -> None:
        with db.database.connection_context():
            completeness.for_system(system_id, date.today(), catalogue)

    for _ in range(3):  # the first requests fill the caches a running server keeps
        page()
        one_system()
    with counting_queries() as queries:
        page()
    with counting_queries() as system_queries:
        one_system()
    page_times, floor_times, system_times = [], [], []
    run_floor = floor(statements)
    for _ in range(runs):
        floor_times.append(timed(run_floor))
        page_times.append(timed(page))
        system_times.append(timed(one_system))
    old_runs = max(5, runs // 4)
    with old_evidence_query():
        with counting_queries() as old_queries:
            page()
        old_page = [timed(page) for _ in range(old_runs)]
        old_system = [timed(one_system) for _ in range(old_runs)]
    figures = {
        "backend": label,
        "systems": systems,
        "evidence_links": links,
        "queries": queries[0],
        "old_queries": old_queries[0],
        "system_queries": system_queries[0],
        "page_ms": round(ms(page_times), 2),
        "page_p90_ms": round(statistics.quantiles(page_times, n=10)[-1] * 1000, 2),
        "floor_ms": round(ms(floor_times), 2),
        "for_system_ms": round(ms(system_times), 2),
        "old_page_ms": round(ms(old_page), 2),
        "old_for_system_ms": round(ms(old_system), 2),
    }
    tag = f"[{label} {systems}]"
    print(f"{tag} database {type(db.database.obj).__name__}, system {system_id} ({links} links)")
    print(
        f"{tag} GET {path}: {figures['page_ms']:8.2f} ms median (p90 {figures['page_p90_ms']:.2f}"
        f", {runs} runs) = {figures['page_ms'] / figures['floor_ms']:4.1f} x floor; "
        f"{queries[0]} SQL statements"
    )
    print(f"{tag} floor, the page's rows in raw SQL: {figures['floor_ms']:8.2f} ms")
    print(
        f"{tag} for_system (today):    {figures['for_system_ms']:8.2f} ms; "
        f"{system_queries[0]} SQL statements"
    )
    print(
        f"{tag} before (OR query):     page {figures['old_page_ms']:8.2f} ms "
        f"({old_queries[0]} statements), for_system {figures['old_for_system_ms']:8.2f} ms "
        f"({old_runs} runs)"
    )
    bench_data.report("system_page", **figures)
    db.release_idle(db.database.obj)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", default="2000,20000", help="agency sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026, help="bench_data's seed")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.systems.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-system-page-"))
    results = []
    for systems in sizes:
        results.append(
            measure(
                "sqlite", bench_data.prepare(None, systems, args.seed), systems, args.runs, folder
            )
        )
    if not args.sqlite_only:
        try:
            probe = db.open_database(args.postgres_url)
            probe.connect()
            probe.close()
        except (peewee.DatabaseError, peewee.InterfaceError, OSError):
            print(f"[postgres] not reachable at {args.postgres_url}: skipped")
        else:
            for systems in sizes:
                url = bench_data.prepare(args.postgres_url, systems, args.seed)
                results.append(measure("postgres", url, systems, args.runs, folder))
    print()
    print(
        "backend   systems  queries  page ms  p90 ms  floor ms  for_system ms | before: page ms  for_system ms"
    )
    for r in results:
        print(
            f"{r['backend']:9} {r['systems']:7} {r['queries']:8} {r['page_ms']:8.2f} "
            f"{r['page_p90_ms']:7.2f} {r['floor_ms']:9.2f} {r['for_system_ms']:14.2f} | "
            f"{r['old_page_ms']:15.2f} {r['old_for_system_ms']:14.2f}"
        )
    counts = {r["queries"] for r in results}
    print(f"page statements at every size and backend: {sorted(counts)}")
    passed = all(r["page_ms"] < TARGET_MS for r in results)
    print(f"page median under {TARGET_MS} ms (one client): {'PASS' if passed else 'FAIL'}")
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
