"""Benchmark: build a 2 GiB evidence pack, and download it from the production server.

Issue 14's target: "a 2 GiB pack is built and downloaded with server memory growth under 64 MiB,
at >= 50 % of the speed of `zip -0` on the same files".

Setup, in a scratch folder (``--work-dir``, default the system's temporary folder; it needs about
four times the pack's size free): a SQLite database with production settings and a pack signing
key (``tracker pack generate-key``), a legal user, a DPO and an auditor, one system holding one
evidence item of ``--files`` files of ``--file-mib`` MiB of random bytes (behind a PDF header, so
the upload check takes them), stored through the evidence store and accepted by the DPO for a
requirement that applies to the system, so they count and go into its pack; and a small system
with one small accepted file, to warm a process up.

Measured, ``--runs`` times each, alternating, medians printed (``sync`` before each, untimed):

1. the pack: ``tracker pack SYSTEM --as-of D --out F`` as its own process, wall time and peak
   RSS (``/usr/bin/time``); and, in a child that first builds the small system's pack through
   the same CLI (imports, catalogue, database, fonts all loaded), the large build alone and its
   peak RSS growth over that warmed-up baseline (VmHWM reset through /proc/self/clear_refs);
2. the floor: ``zip -0 -q`` of the same stored blob files (the evidence store's own paths), as
   the issue states it; and beside it ``zip -0`` followed by an fsync of the zip, since the pack
   build fsyncs the pack before recording it (a pack is never recorded before it is on disk);
3. the download: the pack (built once more into the pack folder and recorded) fetched through
   ``GET /api/packs/{id}/content`` from ``tracker serve`` (production settings, one worker) with
   a streaming httpx client that discards the bytes; throughput and the worker's peak RSS growth
   (VmHWM, reset before the downloads); beside it the same client against ``python -m
   http.server`` serving the same file (a reference, not a target); then an interrupted
   download resumed with a Range request from the middle: 206, the right Content-Range, and the
   two parts together hash to the pack's recorded SHA-256.

Targets: pack build >= 50 % of zip -0's MiB/s; memory growth < 64 MiB (build and server).

    python scripts/bench_pack.py [--files 16] [--file-mib 128] [--runs 3] [--work-dir DIR]
        [--postgres-url postgresql://127.0.0.1:5432/test] [--profile]

``--postgres-url``: the database is a fresh schema there (dropped at the end) instead of a
SQLite file; ``--profile``: then one more build under cProfile, its top functions.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from bench_data import report
from bench_http import free_port, server_env, start_server, stop, workers_of
from bench_upload import database_for

from evidence import ContentStore
from tracker import accounts, config, db, evidence_items, register, reviews
from tracker.completeness import evaluator_for, load_snapshot
from tracker.evidence_items import IncomingFile
from tracker.plugin_host import load_catalogue_for

BIN = Path(sys.executable).parent
MIB = 1024 * 1024
ACTOR = "bench-pack"
TARGET_RATIO = 0.50
TARGET_GROWTH_MIB = 64
PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"  # what the upload check reads; the rest is random

PROFILE = {
    "version": "1.0",
    "vendor": "Bench Biometrics",
    "purpose": "Identify suspects from lawfully obtained images after an offence.",
    "authorised_use_cases": ["Serious crime investigations"],
    "development_approach": "off_the_shelf",
    "lifecycle_stage": "testing",
    "risk_level": "high",
    "processes_personal_data": True,
    "purpose_type": "law_enforcement",
    "biometric_identification": "post_event",
    "ai_act_roles": ["deployer"],
    "annex_iii_areas": ["biometrics"],
    "public_facing": False,
    "units_with_access": ["Forensic imaging unit"],
    "data_sharing": "No sharing outside the agency.",
    "contacts": [{"name": "Ana Duarte", "email": "ana@police.example", "role": "system owner"}],
}

# Run in a child: build the small system's pack (warm-up), reset the peak RSS to the current
# RSS, build the large one, and print the large build's time and peak growth as JSON.
CHILD = r"""
import json, sys, time
from pathlib import Path
from tracker.cli import main

def kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

def pack(system, as_of, out):
    try:
        main(["pack", system, "--as-of", as_of, "--out", out], standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            raise

small, large, as_of, warm_out, out, profile = sys.argv[1:]
pack(small, as_of, warm_out)
Path("/proc/self/clear_refs").write_text("5")
before = kib("VmRSS")
start = time.perf_counter()
if profile:
    import cProfile
    cProfile.run("pack(large, as_of, out)", profile)
else:
    pack(large, as_of, out)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_kib": before, "growth_kib": kib("VmHWM") - before}))
"""


@dataclass
class Agency:
    large: int  # system ids
    small: int
    blobs: list[Path]  # the large system's stored files, in the store
    payload: int  # their bytes
    token: str  # an auditor's API token


class RandomPdf(io.RawIOBase):
    """``size`` bytes: a PDF header, then random bytes, read as a stream (never held whole)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.head = PDF_HEADER

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.head[:n]
        self.head = self.head[len(data) :]
        data += os.urandom(n - len(data))
        self.left -= len(data)
        return data


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def sync() -> None:
    """Flush what earlier steps left dirty, so it does not slow the next measurement."""
    subprocess.run(["sync"], check=True)


def tracker(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "tracker"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"tracker {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def counted_requirement(system_id: int, catalogue, settings: config.Settings) -> tuple[str, str]:
    """A requirement that applies to the system and that one piece of its own evidence meets:
    (its id, the first evidence kind it takes)."""
    snapshot = load_snapshot(date.today(), catalogue, [system_id])
    result = evaluator_for(catalogue, settings.expiring_soon_days).evaluate(
        snapshot.systems[0], snapshot, detail=True
    )
    for item in result.items:
        requirement = catalogue.requirements[item.requirement_id]
        if (
            requirement.scope == "system"
            and requirement.evidence_kinds
            and not requirement.deadline_after_event
        ):
            return requirement.id, requirement.evidence_kinds[0]
    raise SystemExit("no requirement applies to the benchmark system")


def seed(env: dict[str, str], files: int, file_mib: int) -> Agency:
    """The users, the two systems and their accepted evidence, through the domain functions."""
    settings = config.from_environ(env)
    db.bind(settings.database_url)
    catalogue = load_catalogue_for(settings)
    store = ContentStore(settings.evidence_dir)
    legal = accounts.create_user("bench-legal", "legal", ACTOR)
    dpo = accounts.create_user("bench-dpo", "dpo", ACTOR)
    auditor = accounts.create_user("bench-auditor", "auditor", ACTOR)

    stored: list[str] = []  # the SHA-256 of each file of the system seeded last

    def accepted(name: str, count: int, size: int) -> int:
        system = register.create_system({**PROFILE, "name": name}, ACTOR, catalogue)
        requirement, kind = counted_requirement(system.id, catalogue, settings)
        incoming = [
            IncomingFile(store.put(RandomPdf(size)), f"scan-{number:02d}.pdf")
            for number in range(count)
        ]
        item = evidence_items.add_evidence(
            store,
            {
                "kind": kind,
                "title": f"{name}: evidence",
                "issuer": "Bench",
                "issued_on": date.today().isoformat(),
                "requirement_ids": [requirement],
                "system_ids": [system.id],
            },
            incoming,
            legal,
            ACTOR,
        )
        reviews.review_evidence(item, "accepted", "", dpo, ACTOR)
        stored[:] = [file.pending.sha256 for file in incoming]
        return system.id

    small = accepted("Small bench system", 1, 64 * 1024)
    print(f"storing {files} files of {file_mib} MiB of random bytes ...", flush=True)
    large = accepted("Large bench system", files, file_mib * MIB)
    blobs = [store.path_for(sha256) for sha256 in stored]
    token = accounts.issue_token(auditor, "bench", ACTOR)[1]
    db.database.obj.close()
    return Agency(large, small, blobs, sum(p.stat().st_size for p in blobs), token)


def timed_cli_build(env: dict[str, str], system: int, out: Path) -> tuple[float, int, float]:
    """``tracker pack SYSTEM --out F`` as its own process: (wall seconds, peak RSS KiB, CPU
    seconds)."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M %U %S",
            str(BIN / "tracker"),
            "pack",
            str(system),
            "--as-of",
            date.today().isoformat(),
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"tracker pack failed:\n{done.stdout}{done.stderr}")
    peak, user, system_cpu = done.stderr.strip().splitlines()[-1].split()
    return seconds, int(peak), float(user) + float(system_cpu)


def child_build(
    env: dict[str, str], agency: Agency, work: Path, out: Path, profile: Path | None = None
) -> dict:
    """The large build alone in a warmed-up process: its seconds and peak RSS growth (with
    ``profile``, under cProfile, its statistics written there)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(agency.small),
            str(agency.large),
            date.today().isoformat(),
            str(work / "warm-up.zip"),
            str(out),
            str(profile or ""),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the build child failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_zip(blobs: list[Path], out: Path, fsync: bool) -> tuple[float, float]:
    """``zip -0`` of the blobs (then an fsync of the zip): (wall seconds, zip's CPU seconds)."""
    cpu = children_cpu()
    start = time.perf_counter()
    subprocess.run(["zip", "-0", "-q", "-j", str(out), *map(str, blobs)], check=True)
    if fsync:
        with open(out, "rb") as handle:
            os.fsync(handle.fileno())
    return time.perf_counter() - start, children_cpu() - cpu


def download(url: str, headers: dict[str, str], stop_after: int | None = None) -> tuple:
    """Stream ``url``, discarding the bytes (or hashing the first ``stop_after`` and then
    dropping the connection): (seconds, bytes, digest or None, response)."""
    digest = hashlib.sha256() if stop_after is not None else None
    received = 0
    start = time.perf_counter()
    with httpx.stream("GET", url, headers=headers, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_raw(MIB):
            if digest is not None:
                chunk = chunk[: stop_after - received]
                digest.update(chunk)
            received += len(chunk)
            if stop_after is not None and received >= stop_after:
                break  # the connection is dropped here: an interrupted download
    return time.perf_counter() - start, received, digest, response


def serve_reference(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "--directory",
            str(folder),
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.head(base, timeout=2)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("python -m http.server did not answer")


def mib_s(size: int, seconds: float) -> float:
    return size / MIB / seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--file-mib", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", default=tempfile.gettempdir())
    parser.add_argument(
        "--postgres-url", default="", help="a fresh schema of this database instead of SQLite"
    )
    parser.add_argument(
        "--profile", action="store_true", help="then one build under cProfile: where time goes"
    )
    args = parser.parse_args()
    need = 4 * args.files * args.file_mib * MIB + 512 * MIB
    free = shutil.disk_usage(args.work_dir).free
    if free < need:
        raise SystemExit(f"{args.work_dir} has {free // MIB} MiB free; {need // MIB} needed")
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-pack-", dir=args.work_dir))
    try:
        with database_for(args.postgres_url) as database:
            url = database.get("TRACKER_DATABASE_URL", f"sqlite:///{work / 'data' / 'tracker.db'}")
            label = "postgres" if args.postgres_url else "sqlite"
            measure(work, url, label, args.files, args.file_mib, args.runs, args.profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(
    work: Path, url: str, label: str, files: int, file_mib: int, runs: int, profile: bool
) -> None:
    port = free_port()
    env = server_env(url, work / "data", port)
    env["TRACKER_PACK_DIR"] = str(work / "data" / "packs")
    tracker(env, "db", "upgrade")
    tracker(env, "pack", "generate-key")
    agency = seed(env, files, file_mib)
    print(
        f"{len(agency.blobs)} stored files, {agency.payload / MIB:.0f} MiB of evidence; "
        f"{runs} runs each",
        flush=True,
    )

    out = work / "pack.zip"
    floor_zip = work / "floor.zip"
    cli, peaks, alone, growths, zips, zips_fsync, size = [], [], [], [], [], [], 0
    cli_cpu: list[float] = []
    zip_cpu: list[float] = []
    for run in range(runs):
        sync()
        seconds, peak, cpu = timed_cli_build(env, agency.large, out)
        cli.append(seconds)
        peaks.append(peak)
        cli_cpu.append(cpu)
        size = out.stat().st_size
        out.unlink()
        sync()
        seconds, cpu = timed_zip(agency.blobs, floor_zip, fsync=False)
        zips.append(seconds)
        zip_cpu.append(cpu)
        floor_zip.unlink()
        sync()
        child = child_build(env, agency, work, out)
        alone.append(child["seconds"])
        growths.append(child["growth_kib"] / 1024)
        out.unlink()
        sync()
        zips_fsync.append(timed_zip(agency.blobs, floor_zip, fsync=True)[0])
        floor_zip.unlink()
        print(
            f"run {run + 1}: tracker pack {cli[-1]:.2f} s (build alone {alone[-1]:.2f} s), "
            f"zip -0 {zips[-1]:.2f} s, zip -0 + fsync {zips_fsync[-1]:.2f} s",
            flush=True,
        )

    # The pack the server hands out: built into the pack folder and recorded.
    sync()
    built = tracker(env, "pack", str(agency.large), "--as-of", date.today().isoformat())
    pack_id = int(built.split()[1])  # "Pack ID written to PATH"
    pack_file = Path(built.splitlines()[0].split(" written to ", 1)[1])
    server = start_server(env, port, 1, work / "server.log")
    reference = None
    try:
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {agency.token}"}
        record = httpx.get(f"{base}/api/packs/{pack_id}", headers=headers, timeout=30).json()
        content = f"{base}/api/packs/{pack_id}/content"
        worker = workers_of(server.pid)[0]
        download(f"{base}/api/packs/{pack_id}", headers)  # warm the worker up (imports)
        rss_before = status_kib(worker, "VmRSS")
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # the peak (VmHWM) from here
        reference, reference_base = serve_reference(pack_file.parent)
        downloads, references = [], []
        for _ in range(runs):
            seconds, received, _, _ = download(content, headers)
            assert received == record["size"], (received, record["size"])
            downloads.append(seconds)
            seconds, received, _, _ = download(f"{reference_base}/{pack_file.name}", {})
            assert received == record["size"], (received, record["size"])
            references.append(seconds)

        middle = record["size"] // 2
        _, first_part, digest, _ = download(content, headers, stop_after=middle)
        with httpx.stream(
            "GET", content, headers={**headers, "Range": f"bytes={middle}-"}, timeout=600
        ) as rest:
            resumed = (rest.status_code, rest.headers.get("content-range"))
            for chunk in rest.iter_raw(MIB):
                digest.update(chunk)
        server_growth = (status_kib(worker, "VmHWM") - rss_before) / 1024  # downloads and range
        range_ok = (
            first_part == middle
            and resumed == (206, f"bytes {middle}-{record['size'] - 1}/{record['size']}")
            and digest.hexdigest() == record["sha256"]
        )
    finally:
        stop(server)
        if reference is not None:
            reference.terminate()
            reference.wait(30)

    payload = agency.payload
    cli_s, alone_s = statistics.median(cli), statistics.median(alone)
    zip_s, zip_fsync_s = statistics.median(zips), statistics.median(zips_fsync)
    ratio, alone_ratio = zip_s / cli_s, zip_s / alone_s
    growth, peak = max(growths), statistics.median(peaks) / 1024
    cpu_s, zip_cpu_s = statistics.median(cli_cpu), statistics.median(zip_cpu)
    download_s, reference_s = statistics.median(downloads), statistics.median(references)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"\n[{label}] pack of {payload / MIB:.0f} MiB of evidence ({size / MIB:.0f} MiB zip), "
          f"{runs} runs, medians (MiB/s of evidence)")  # fmt: skip
    print(
        f"tracker pack (whole command)   {cli_s:7.2f} s  {mib_s(payload, cli_s):7.1f} MiB/s  "
        f"CPU {cpu_s:.2f} s"
    )
    print(f"  the build alone (warmed up)  {alone_s:7.2f} s  {mib_s(payload, alone_s):7.1f} MiB/s")
    print(
        f"floor: zip -0                  {zip_s:7.2f} s  {mib_s(payload, zip_s):7.1f} MiB/s  "
        f"CPU {zip_cpu_s:.2f} s"
    )
    print(
        f"floor: zip -0 + fsync          {zip_fsync_s:7.2f} s  "
        f"{mib_s(payload, zip_fsync_s):7.1f} MiB/s"
    )
    print(
        f"pack vs zip -0                 {ratio:7.0%}   (target >= 50 %)  "
        f"{verdict(ratio >= TARGET_RATIO)}; build alone {alone_ratio:.0%}, "
        f"vs zip -0 + fsync {zip_fsync_s / cli_s:.0%}"
    )
    print(
        f"build peak RSS growth          {growth:7.1f} MiB  (target < {TARGET_GROWTH_MIB} MiB)  "
        f"{verdict(growth < TARGET_GROWTH_MIB)}; whole command's peak RSS {peak:.0f} MiB"
    )
    print(
        f"download via the API           {download_s:7.2f} s  "
        f"{mib_s(size, download_s):7.1f} MiB/s (of the zip)"
    )
    print(
        f"  reference: http.server       {reference_s:7.2f} s  "
        f"{mib_s(size, reference_s):7.1f} MiB/s"
    )
    print(
        f"server worker peak RSS growth  {server_growth:7.1f} MiB  (target < {TARGET_GROWTH_MIB} "
        f"MiB)  {verdict(server_growth < TARGET_GROWTH_MIB)}; RSS before {rss_before / 1024:.0f} "
        f"MiB"
    )
    print(
        f"resumed from the middle        {verdict(range_ok)}  (206 {resumed[1]}, "
        "both parts hash to the pack's SHA-256)"
    )
    print(f"load: {os.getloadavg()[0]:.2f} (1 min average; the machine is shared)")
    report(
        "pack",
        backend=label,
        payload_mb=round(payload / MIB),
        pack_s=round(cli_s, 2),
        build_alone_s=round(alone_s, 2),
        zip0_s=round(zip_s, 2),
        zip0_fsync_s=round(zip_fsync_s, 2),
        pack_cpu_s=round(cpu_s, 2),
        zip0_cpu_s=round(zip_cpu_s, 2),
        vs_zip0=f"{ratio:.0%}",
        build_growth_mb=round(growth, 1),
        download_mb_s=round(mib_s(size, download_s), 1),
        server_growth_mb=round(server_growth, 1),
        range_resume="PASS" if range_ok else "FAIL",
        target="PASS"
        if ratio >= TARGET_RATIO
        and growth < TARGET_GROWTH_MIB
        and server_growth < TARGET_GROWTH_MIB
        and range_ok
        else "FAIL",
    )

    if profile:
        profiled(env, agency, work)


def profiled(env: dict[str, str], agency: Agency, work: Path) -> None:
    """One more build of the large pack under cProfile (its main thread): the top functions."""
    import pstats

    sync()
    child = child_build(env, agency, work, work / "pack.zip", work / "build.prof")
    print(f"\nprofiled build: {child['seconds']:.2f} s (with cProfile's own cost)")
    stats = pstats.Stats(str(work / "build.prof"))
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
