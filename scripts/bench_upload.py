"""Benchmark: upload a large file through the HTTP API of a running server.

Starts ``tracker serve`` (gunicorn, one worker) on a throw-away data folder,
uploads a text file (1 GiB by default) as multipart through the API, and
reports the median throughput and the worker's peak memory growth beside a
floor measured in the same run on the same file: ``sha256sum`` plus a plain
``cp`` (the two things an upload must at least do: hash and write).

Targets: peak memory grows by less than 64 MiB; throughput at least 40 % of the floor.

    python scripts/bench_upload.py [--size-mb 1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import scratch_server
from scratch_server import MIB, make_text_file


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


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mb * MIB

    work = Path(tempfile.mkdtemp(prefix="tracker-bench-upload-"))
    server = None
    try:
        server = scratch_server.start(work, args.size_mb, serve_options=("--workers", "1"))
        base = server.base
        headers = {"Authorization": f"Bearer {server.token}"}
        worker = worker_pid(server.process.pid)

        print(f"making a {args.size_mb} MiB text file ...", flush=True)
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
        copy_target = work / "data" / "copy.txt"
        for run in range(args.runs):
            vary_last_byte(source, run)
            floor_times.append(
                timed(["sha256sum", str(source)]) + timed(["cp", str(source), str(copy_target)])
            )
            copy_target.unlink()
            upload_times.append(upload(source, f"run-{run}.txt"))
        peak_growth = (status_kib(worker, "VmHWM") - rss_before) / 1024

        upload_s, floor_s = statistics.median(upload_times), statistics.median(floor_times)
        throughput, floor = size / MIB / upload_s, size / MIB / floor_s
        ratio = throughput / floor
        print(f"file size                  {args.size_mb} MiB, {args.runs} runs, medians")
        print(f"upload through the API     {upload_s:7.2f} s  {throughput:8.1f} MiB/s")
        print(f"floor: sha256sum + cp      {floor_s:7.2f} s  {floor:8.1f} MiB/s")
        print(
            f"throughput vs floor        {ratio:7.0%}   (target >= 40 %)  {'PASS' if ratio >= 0.40 else 'FAIL'}"
        )
        print(f"worker RSS before          {rss_before / 1024:7.1f} MiB")
        print(
            f"worker peak memory growth  {peak_growth:7.1f} MiB  (target < 64 MiB)  "
            f"{'PASS' if peak_growth < 64 else 'FAIL'}"
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
