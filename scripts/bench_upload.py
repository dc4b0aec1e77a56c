"""Benchmark: upload a large file through the HTTP API of a running server.

Starts ``tracker serve`` (gunicorn, one worker) on a throw-away data folder,
uploads a text file (1 GiB by default) as multipart through the API, and
reports the median throughput and the worker's peak memory growth beside a
floor measured in the same run on the same file, alternating with the uploads:
one pass of Python's hashlib over the file while writing it to the same disk
(the server's data folder) and fsyncing it, in 1 MiB blocks: what an upload
must at least do, done by the fastest means the server's own language has.
(``sha256sum`` and then ``cp``, the floor before, read the file twice with a
slower hash: an upload at "113 % of the floor" was 77 % of this one.)

Targets: peak memory grows by less than 64 MiB; throughput at least 80 % of the floor.

The old floor is still timed once beside it, to compare. ``--postgres-url`` runs the server
on a fresh schema of that PostgreSQL database instead of SQLite.

    python scripts/bench_upload.py [--size-mb 1024] [--runs 3] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bench_data
import httpx
import scratch_server
from scratch_server import MIB, make_text_file

TARGET_RATIO = 0.80
TARGET_GROWTH_MIB = 64


def vary_last_byte(path: Path, run: int) -> None:
    """Change the content a little, so each run stores a new file rather than a duplicate."""
    with open(path, "r+b") as handle:
        handle.seek(-1, os.SEEK_END)
        handle.write(b"ABCDEFGHIJ"[run % 10 : run % 10 + 1])


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


BLOCK = 1024 * 1024


def hash_write_fsync(source: Path, target: Path) -> float:
    """The floor: seconds to hash ``source`` with hashlib while writing it to ``target`` and
    fsyncing it, in one pass of 1 MiB blocks read into one reused buffer."""
    start = time.perf_counter()
    digest = hashlib.sha256()
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    with open(source, "rb", buffering=0) as reader, open(target, "wb", buffering=0) as writer:
        while count := reader.readinto(buffer):
            digest.update(view[:count])
            writer.write(view[:count])
        os.fsync(writer.fileno())
    digest.hexdigest()
    return time.perf_counter() - start


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


@contextmanager
def database_for(postgres_url: str | None) -> Iterator[dict[str, str]]:
    """The scratch server's database settings: its own SQLite file, or a fresh schema."""
    if not postgres_url:
        yield {}
        return
    from tracker import db

    name = f"bench_upload_{uuid.uuid4().hex[:8]}"
    admin = db.open_database(postgres_url)
    admin.execute_sql(f'CREATE SCHEMA "{name}"')
    try:
        separator = "&" if "?" in postgres_url else "?"
        yield {"TRACKER_DATABASE_URL": f"{postgres_url}{separator}options=-csearch_path%3D{name}"}
    finally:
        admin.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    with database_for(args.postgres_url) as database:
        measure(args.size_mb, args.runs, database, "postgres" if args.postgres_url else "sqlite")


def measure(size_mb: int, runs: int, database: dict[str, str], label: str) -> None:
    size = size_mb * MIB
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-upload-"))
    server = None
    try:
        server = scratch_server.start(
            work, size_mb, settings=database, serve_options=("--workers", "1")
        )
        base = server.base
        headers = {"Authorization": f"Bearer {server.token}"}
        worker = worker_pid(server.process.pid)

        print(f"making a {size_mb} MiB text file ...", flush=True)
        source = work / "upload.txt"
        make_text_file(source, size)

        def upload(path: Path, name: str) -> float:
            with open(path, "rb") as handle:
                start = time.perf_counter()
                response = httpx.post(
                    f"{base}/api/evidence",
                    headers=headers,
                    timeout=600,
                    data={"kind": "record", "title": name, "agency_wide": "true"},
                    files={"files": (name, handle, "text/plain")},
                )
                elapsed = time.perf_counter() - start
            response.raise_for_status()
            return elapsed

        small = work / "warm-up.txt"
        make_text_file(small, MIB)
        upload(small, "warm-up.txt")  # import everything once before measuring memory

        rss_before = status_kib(worker, "VmRSS")
        Path(f"/proc/{worker}/clear_refs").write_text(
            "5"
        )  # reset the peak (VmHWM) to the current RSS
        upload_times, floor_times = [], []
        copy_target = work / "data" / "floor-copy.txt"  # the disk the store writes to
        for run in range(runs):
            vary_last_byte(source, run)
            floor_times.append(hash_write_fsync(source, copy_target))
            copy_target.unlink()
            upload_times.append(upload(source, f"run-{run}.txt"))
        peak_growth = (status_kib(worker, "VmHWM") - rss_before) / 1024
        old_floor_s = timed(["sha256sum", str(source)]) + timed(
            ["cp", str(source), str(copy_target)]
        )
        copy_target.unlink()

        upload_s, floor_s = statistics.median(upload_times), statistics.median(floor_times)
        throughput, floor = size / MIB / upload_s, size / MIB / floor_s
        ratio = throughput / floor
        print(f"[{label}] file size {size_mb} MiB, {runs} runs, medians")
        print(f"upload through the API     {upload_s:7.2f} s  {throughput:8.1f} MiB/s")
        print(f"floor: hash+write+fsync    {floor_s:7.2f} s  {floor:8.1f} MiB/s")
        print(
            f"throughput vs floor        {ratio:7.0%}   (target >= 80 %)  "
            f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
        )
        old_floor = size / MIB / old_floor_s
        print(
            f"old floor: sha256sum + cp  {old_floor_s:7.2f} s  {old_floor:8.1f} MiB/s  "
            f"(once; the upload is {throughput / old_floor:.0%} of it)"
        )
        print(f"worker RSS before          {rss_before / 1024:7.1f} MiB")
        print(
            f"worker peak memory growth  {peak_growth:7.1f} MiB  (target < {TARGET_GROWTH_MIB} MiB)"
            f"  {'PASS' if peak_growth < TARGET_GROWTH_MIB else 'FAIL'}"
        )
        bench_data.report(
            "upload",
            backend=label,
            size_mb=size_mb,
            upload_s=round(upload_s, 3),
            floor_s=round(floor_s, 3),
            percent_of_floor=round(ratio * 100),
            rss_growth_mib=round(peak_growth, 1),
            target="PASS" if ratio >= TARGET_RATIO and peak_growth < TARGET_GROWTH_MIB else "FAIL",
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
