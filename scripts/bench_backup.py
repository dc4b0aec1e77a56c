"""Benchmark: tracker backup and restore of a SQLite installation with a file store, beside
`cp -r` and `sync` of the same store (the floor: copying the files without hashing them).

    python scripts/bench_backup.py [--files 100] [--megabytes 5] [--runs 3]

Makes a throw-away installation in a temporary folder (a migrated SQLite database whose blob
table names FILES random files of MEGABYTES each, stored in its evidence store), then times,
RUNS times each: `cp -r` of the evidence store then `sync` (a backup fsyncs what it writes), a backup (copies, every file hashed), a backup
with --link (hard links, every file hashed), and a restore into a fresh installation (every file
hashed while copied). Prints the medians and the throughput.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evidence import ContentStore
from tracker import config, db, schema
from tracker.models import Blob
from tracker.operations import backup as backups


def installation(root: Path) -> config.Settings:
    return config.Settings(env="testing", data_dir=root).validated()


def seed(settings: config.Settings, files: int, size: int) -> None:
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database)
        store = ContentStore(settings.evidence_dir)
        for _ in range(files):
            pending = store.put(io.BytesIO(os.urandom(size)))
            store.commit(pending)
            Blob.create(sha256=pending.sha256, size=pending.size, media_type="application/pdf")
    database.close()


def timed(action, *args, **kwargs) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--megabytes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    total = args.files * args.megabytes * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-backup-", dir=Path.cwd()) as folder:
        root = Path(folder)
        settings = installation(root / "source")
        seed(settings, args.files, args.megabytes * 1024 * 1024)
        results: dict[str, list[float]] = {
            "cp -r; sync": [],
            "backup": [],
            "backup --link": [],
            "restore": [],
        }
        for run in range(args.runs):
            copy, made, linked = root / f"cp-{run}", root / f"backup-{run}", root / f"linked-{run}"
            cp = ["sh", "-c", f"cp -r '{settings.evidence_dir}' '{copy}' && sync -f '{copy}'"]
            results["cp -r; sync"].append(timed(subprocess.run, cp, check=True))
            results["backup"].append(timed(backups.backup, settings, made))
            results["backup --link"].append(timed(backups.backup, settings, linked, link=True))
            fresh = installation(root / f"restored-{run}")
            results["restore"].append(timed(backups.restore, fresh, made))
            for path in (copy, linked, root / f"restored-{run}"):
                shutil.rmtree(path)
        print(
            f"{args.files} files of {args.megabytes} MiB ({total / 2**20:.0f} MiB), {args.runs} runs, medians:"
        )
        for name, seconds in results.items():
            median = statistics.median(seconds)
            print(f"  {name:14} {median:7.2f} s  {total / 2**20 / median:8.0f} MiB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
