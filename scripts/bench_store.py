"""Benchmark: the evidence store's write (put + commit) and verified read, folder against S3.

Stores a file (256 MiB by default) in the folder store and in the S3 store and reads it back
through ``open_verified`` a megabyte at a time, medians of 3 runs each, in MB/s, beside floors
measured in the same run on the same file: for the folder, one pass of hashlib's SHA-256 over
the file while writing it to the same disk and fsyncing it (what any write must at least do),
and one hashed read of it; for S3, boto3's own managed upload (``upload_file``, parts sent in
parallel) and a plain ``get_object`` read of the same file to and from the same server.

The S3 store talks to moto's standalone server, started here on a free local port: moto is an
S3 *emulator* (one Python process keeping objects in memory), so its figures say what the
store's client side costs through HTTP, not how fast AWS S3, MinIO or Ceph RGW would be.

    python scripts/bench_store.py [--size-mb 256] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import bench_data

from evidence import ContentStore, S3Store

MIB = 1024 * 1024
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 emulator on a free port; yields its endpoint URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("moto's server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MIB)  # incompressible, so no layer gains from the content
    with open(path, "wb") as out:
        for _ in range(size // MIB):
            out.write(block)


def vary_last_byte(path: Path, run: int) -> None:
    """A little change per run, so each one stores new content rather than a duplicate."""
    with open(path, "r+b") as handle:
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([run % 256]))


def floor_write(source: Path, folder: Path) -> float:
    start = time.perf_counter()
    digest = hashlib.sha256()
    target = folder / "floor-copy"
    with open(source, "rb") as handle, open(target, "wb") as out:
        while chunk := handle.read(MIB):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - start
    target.unlink()
    return elapsed


def floor_read(source: Path) -> float:
    start = time.perf_counter()
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return time.perf_counter() - start


def store_write(store, source: Path) -> tuple[float, str]:
    start = time.perf_counter()
    with open(source, "rb") as handle:
        pending = store.put(handle)
    store.commit(pending)
    return time.perf_counter() - start, pending.sha256


def store_read(store, sha256: str) -> float:
    start = time.perf_counter()
    with store.open_verified(sha256) as handle:
        while handle.read(MIB):
            pass
    return time.perf_counter() - start


def raw_s3(client, source: Path, runs: int) -> tuple[list[float], list[float]]:
    """boto3's own managed transfer of the same file to the same server and back, unhashed:
    what the emulator accepts and gives at best, the S3 rows' floor."""
    writes, reads = [], []
    for run in range(runs):
        start = time.perf_counter()
        client.upload_file(str(source), "bench", f"raw/{run}")
        writes.append(time.perf_counter() - start)
        start = time.perf_counter()
        body = client.get_object(Bucket="bench", Key=f"raw/{run}")["Body"]
        while body.read(MIB):
            pass
        reads.append(time.perf_counter() - start)
        client.delete_object(Bucket="bench", Key=f"raw/{run}")
    return writes, reads


def median_rate(size: int, timings: list[float]) -> float:
    return size / 1e6 / statistics.median(timings)


def measure(
    name: str, store, source: Path, runs: int, cleanup: Callable[[str], None]
) -> tuple[list[float], list[float]]:
    writes, reads = [], []
    for run in range(runs):
        vary_last_byte(source, run)
        elapsed, sha256 = store_write(store, source)
        writes.append(elapsed)
        reads.append(store_read(store, sha256))
        cleanup(sha256)
        print(f"  {name} run {run + 1}: write {elapsed:.2f} s, read {reads[-1]:.2f} s", flush=True)
    return writes, reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=256, help="file size in MiB")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mb * MIB

    with tempfile.TemporaryDirectory(prefix="bench-store-") as scratch, moto_server() as endpoint:
        scratch_dir = Path(scratch)
        source = scratch_dir / "evidence.bin"
        make_file(source, size)
        os.environ.update({**CREDENTIALS, "AWS_ENDPOINT_URL_S3": endpoint})
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket="bench")
        folder = ContentStore(scratch_dir / "store")
        bucket = S3Store("s3://bench/evidence", scratch_dir / "spool")

        floor_writes = [floor_write(source, scratch_dir) for _ in range(args.runs)]
        floor_reads = [floor_read(source) for _ in range(args.runs)]
        print(f"{args.size_mb} MiB, median of {args.runs} runs")
        file_w, file_r = measure("folder", folder, source, args.runs, folder.remove)
        s3_w, s3_r = measure("s3/moto", bucket, source, args.runs, bucket.remove)
        raw_w, raw_r = raw_s3(client, source, args.runs)

    rows = [
        ("floor (hash+write+fsync / hashed read)", floor_writes, floor_reads),
        ("folder store (put+commit / open_verified)", file_w, file_r),
        ("floor on moto (boto3 upload_file / get_object)", raw_w, raw_r),
        ("S3 store on moto (put+commit / open_verified)", s3_w, s3_r),
    ]
    print(f"{'':48} {'write MB/s':>11} {'read MB/s':>10}")
    for label, writes, reads in rows:
        print(f"{label:48} {median_rate(size, writes):11.0f} {median_rate(size, reads):10.0f}")
    print(
        "note: moto is an S3 emulator (one Python process, objects in memory); its speed is "
        "not that of AWS S3, MinIO or Ceph RGW. The S3 store's write also keeps a local copy "
        "of the upload for the content checks."
    )
    bench_data.report(
        "store",
        size_mb=args.size_mb,
        floor_write_mbs=round(median_rate(size, floor_writes)),
        folder_write_mbs=round(median_rate(size, file_w)),
        s3_moto_write_mbs=round(median_rate(size, s3_w)),
        floor_read_mbs=round(median_rate(size, floor_reads)),
        folder_read_mbs=round(median_rate(size, file_r)),
        s3_moto_read_mbs=round(median_rate(size, s3_r)),
        moto_floor_write_mbs=round(median_rate(size, raw_w)),
        moto_floor_read_mbs=round(median_rate(size, raw_r)),
    )


if __name__ == "__main__":
    main()
