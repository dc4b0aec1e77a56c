"""A 96 MiB upload to S3 and its verified download hold a few parts in memory, not the file:
measured as the growth of resident memory (sampled while they run), each in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SIZE = 96 * 1024 * 1024
PROBE = r"""
import hashlib, io, json, os, sys, threading, time
from evidence import S3Store

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class Generated(io.RawIOBase):
    # SIZE bytes made as they are read: the probe's own data is never whole in memory.
    def __init__(self, size):
        self.left = size
        self.block = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB

    def readable(self):
        return True

    def read(self, n=-1):
        n = min(self.left, len(self.block) if n < 0 else n)
        self.left -= n
        return self.block[:n]


class Sampler(threading.Thread):
    # The highest resident memory seen while a block runs. Not the process's peak: loading the
    # client's service description at start-up peaks higher than anything measured here.
    def __init__(self):
        super().__init__(daemon=True)
        self.start_rss = self.peak = resident()
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, resident())
            time.sleep(0.002)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.join()
        self.peak = max(self.peak, resident())
        self.growth = self.peak - self.start_rss


store = S3Store(sys.argv[1], sys.argv[2])
warm = store.put(io.BytesIO(b"warm-up"))  # imports and the connection pool, before measuring
store.commit(warm)
store.open_verified(warm.sha256).read()
if sys.argv[3] == "upload":
    with Sampler() as sampler:
        pending = store.put(Generated(int(sys.argv[4])))
        store.commit(pending)
    print(json.dumps({"growth": sampler.growth, "sha256": pending.sha256, "size": pending.size}))
else:  # download, in a process of its own: none of the upload's memory to reuse
    digest, size = hashlib.sha256(), 0
    with Sampler() as sampler, store.open_verified(sys.argv[4]) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    print(json.dumps({"growth": sampler.growth, "sha256": digest.hexdigest(), "size": size}))
"""


def probe(s3_url, spool, *args: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, s3_url, str(spool), *args],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_big_upload_and_download_keep_memory_bounded(s3_url, tmp_path):
    mib = 1024 * 1024
    upload = probe(s3_url, tmp_path / "spool", "upload", str(SIZE))
    assert upload["size"] == SIZE
    # The part being gathered and PARTS_IN_FLIGHT parts being sent (8 MiB each), and the
    # client's buffers: about 30-40 MiB, whatever the file's size.
    assert upload["growth"] < 48 * mib, upload

    download = probe(s3_url, tmp_path / "spool", "download", upload["sha256"])
    assert (download["size"], download["sha256"]) == (SIZE, upload["sha256"])  # verified
    assert download["growth"] < 16 * mib, download  # read a megabyte at a time
