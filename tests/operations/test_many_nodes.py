"""Many nodes, proven: two app servers, two RQ workers and two schedulers, each a process of its
own, sharing one PostgreSQL schema, one Redis database and one evidence object store.

Everything is started here as a production node would run it: the real ``tracker serve``,
``tracker worker`` and ``tracker scheduler`` console scripts, configured by TRACKER_* variables
alone, each node with a data folder of its own (so nothing is shared but what the settings
name: the database, Redis, the bucket, and the audit checkpoint file and pack folder). Mail goes to an aiosmtpd server; the object store is moto's S3 server.

- An upload through one server downloads through the other, the same bytes, its digest
  verified on the way out (Repr-Digest) and the object in the shared bucket.
- Both schedulers queue the day's sweep at TRACKER_SWEEP_TIME (the next whole minute: the
  schedulers start first, so that the wait for it overlaps the rest of the set-up); the worker
  pool runs it: one sweep records the day, the other adds nothing, and every e-mail reaches
  the SMTP server exactly once.
- The audit chain that servers, workers and schedulers all appended to verifies with the one
  TRACKER_AUDIT_KEY, with the sweep's signed checkpoint, written by a worker to the checkpoint
  file on shared storage (a folder here, NFS or the like in production, as the pack folder);
  each server's /metrics reports that checkpoint and the sweep.
- A worker is killed (SIGKILL to it and its work horse) while the SMTP server holds one of its
  messages before answering: the message was claimed in the ledger, never accepted. The other
  worker and a restarted one finish the queue; once the claim is stale (aged here in the
  database, as STALE_CLAIM's fifteen minutes would) the next sweep sends what was lost. Every
  notification ends sent, each e-mail received once.

Timings go to test-artifacts/many-nodes-timings.txt (and are printed).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
from rq.worker import Worker

from tests import sample_files
from tests.conftest import DEPLOYMENT, _postgres_schema_url
from tests.evidence.s3_server import running_s3_server
from tests.factories import profile
from tests.reminders.conftest import Mailbox, SmtpServer
from tests.services import free_port, redis_url_for_this_worker
from tracker import accounts, audit, config, db, schema
from tracker.audit import keys as audit_keys
from tracker.models import AISystem, AuditEvent, Notification
from tracker.reminders import jobs, ledger

ROOT = Path(__file__).parent.parent.parent
TRACKER = Path(sys.executable).with_name("tracker")
TIMINGS_FILE = ROOT / "test-artifacts" / "many-nodes-timings.txt"
WAIT = 90  # seconds: a bound on hanging, never a measured target
# The schedulers' sweep falls on the first whole minute at least this far ahead of their start,
# so that both have registered it by then (a cron time already past waits for tomorrow).
SCHEDULER_LEAD = timedelta(seconds=12)
# Small delivery jobs (TRACKER_DELIVERY_BATCH), so that the demo agency's e-mails make several,
# shared by the workers.
DELIVERY_BATCH = 50
CONTACTS_PER_SYSTEM = 8  # e-mails enough for several delivery jobs of DELIVERY_BATCH
SECRET_KEY = "many-nodes-" + "k" * 40
AUDIT_KEY = "a1" * 32
SWEEP = "tracker.reminders.jobs.sweep_job"


def until(condition: Callable[[], object], what: str, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {seconds} s"
        time.sleep(0.05)


class HoldingMailbox(Mailbox):
    """The test's SMTP server, which can hold one message before answering it.

    Armed with ``hold_after = n``, the first DATA that arrives once n messages were received is
    held (its sender waits for the server's reply); the test reads ``held_peer`` to find who
    sent it. A sender that dies meanwhile closes its connection: aiosmtpd then cancels the
    handler, and the message is never accepted (``dropped``), as no server accepts a message
    whose client went away before the reply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hold_after: int | None = None
        self.held_peer: tuple[str, int] | None = None
        self.held_for: list[str] = []  # the held message's recipients
        self.released = False
        self.dropped = 0

    async def handle_DATA(self, server, session, envelope):
        if (
            self.hold_after is not None
            and self.held_peer is None
            and len(self.received) >= self.hold_after
        ):
            self.held_peer = session.peer
            self.held_for = [address.casefold() for address in envelope.rcpt_tos]
            try:
                while not self.released:
                    await asyncio.sleep(0.02)
            except asyncio.CancelledError:
                self.dropped += 1
                raise
        return await super().handle_DATA(server, session, envelope)


Process = tuple[int, int]  # (pid, start time in clock ticks): a pid, never a reused one


def _stat(pid: int) -> list[str] | None:
    """A live process's /proc stat fields after its name (state, ppid, pgrp, ...), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None  # ended meanwhile
    return None if fields[0] == "Z" else fields  # a zombie is dead, waiting to be reaped


def alive(process: Process) -> bool:
    fields = _stat(process[0])
    return fields is not None and int(fields[19]) == process[1]


def tree(pid: int) -> list[Process]:
    """A live process and its descendants: RQ forks each job's work horse into a process group
    of its own (so that a signal to the worker's group spares the job), gunicorn its workers."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            starts[int(entry.name)] = int(fields[19])
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in starts:
            found.append((current, starts[current]))
            todo.extend(children.get(current, []))
    return found


@dataclass
class Node:
    """One process of the installation, started in a process group of its own; stopped, or
    killed, with every process it started."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    seen: set[Process] = field(default_factory=set)  # its processes, for the orphan check

    def start(self) -> Node:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(TRACKER), *self.args],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def processes(self) -> list[Process]:
        found = tree(self.pid) if self.running() else []
        self.seen.update(found)
        return found

    def kill(self) -> None:
        """SIGKILL to it and every process it started: the machine it ran on is gone."""
        for pid, _start in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait()

    def terminate(self) -> None:
        """SIGTERM to its group: RQ's warm shutdown, gunicorn's graceful one."""
        if self.running():
            self.processes()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)

    def finish(self, deadline: float) -> None:
        """Wait until ``deadline`` (monotonic) for it to end, then SIGKILL what is left."""
        if self.process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        for process in self.seen:
            if alive(process):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process[0], signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.terminate()
        self.finish(time.monotonic() + 20)

    def left_behind(self, seconds: float = 10) -> list[int]:
        """Its processes still alive (given a moment to end after a kill), its group included."""
        deadline = time.monotonic() + seconds
        while True:
            left = sorted({p for p, _ in self.seen if alive((p, _))} | set(group_members(self.pid)))
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def stop_all(nodes: list[Node]) -> None:
    """Stop them side by side: SIGTERM to all, then wait, then SIGKILL what is left."""
    for node in nodes:
        node.terminate()
    deadline = time.monotonic() + 20
    for node in nodes:
        node.finish(deadline)


def group_members(group: int) -> list[int]:
    """The live processes of a process group."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields is not None and int(fields[2]) == group:
            found.append(int(entry.name))
    return found


def owner_of_connection(port: int, server_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the TCP connection from local ``port`` to ``server_port`` (from
    /proc: Linux gives one local port to several connections to different servers)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            columns = line.split()
            local, remote = (int(c.rpartition(":")[2], 16) for c in columns[1:3])
            if (local, remote) == (port, server_port):
                inodes.add(f"socket:[{columns[9]}]")
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if inodes & set(links):
            return pid
    return None


@dataclass
class Cluster:
    """The installation: its nodes by name, what they share, and the test's view of it."""

    servers: list[str]
    nodes: dict[str, Node]
    env: dict[str, str]
    redis: Redis
    smtp: SmtpServer
    token: str
    s3: object
    bucket: str
    folder: Path
    timings: dict[str, float | int | str]
    every: list[Node]  # every process started, stopped or not, for the clean-up
    sweep_due: datetime | None = None  # when both schedulers queue the day's sweep

    @property
    def mailbox(self) -> HoldingMailbox:
        return self.smtp.mailbox  # type: ignore[return-value]

    def queue(self) -> Queue:
        return Queue(jobs.QUEUE_NAME, connection=self.redis)

    def node(self, name: str, *args: str) -> Node:
        node = Node(name, list(args), self.env_of(name), self.folder / f"{name}.log")
        self.nodes[name] = node
        self.every.append(node)
        return node

    def env_of(self, name: str) -> dict[str, str]:
        data = self.folder / "nodes" / name
        data.mkdir(parents=True, exist_ok=True)
        return {**self.env, "TRACKER_DATA_DIR": str(data), "HOME": str(data)}

    def logs(self) -> str:
        return "\n".join(f"--- {n.name}:\n{n.output()}" for n in self.nodes.values())

    def drained(self, dead_jobs: set[str] = frozenset()) -> bool:
        """Nothing queued and nothing running (but the jobs of a killed worker)."""
        queue = self.queue()
        return queue.count == 0 and set(StartedJobRegistry(queue=queue).get_job_ids()) <= dead_jobs

    def finished_sweeps(self) -> list[Job]:
        queue = self.queue()
        ids = FinishedJobRegistry(queue=queue).get_job_ids()
        return [j for j in Job.fetch_many(ids, connection=self.redis) if j and j.func_name == SWEEP]

    def failed_jobs(self) -> list[str]:
        queue = self.queue()
        return FailedJobRegistry(queue=queue).get_job_ids()


def node_environment(
    database_url: str, redis_url: str, smtp_port: int, evidence: dict[str, str], shared: Path
) -> dict[str, str]:
    """What every node is given: the same settings and keys, production mode."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRACKER_", "AWS_")) and k != "XDG_RUNTIME_DIR"
    }
    signing_key = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return {
        **base,
        "TRACKER_ENV": "production",
        "TRACKER_SECRET_KEY": SECRET_KEY,
        "TRACKER_AUDIT_KEY": AUDIT_KEY,
        "TRACKER_PACK_SIGNING_KEY": signing_key,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_REDIS_URL": redis_url,
        "TRACKER_AGENCY_COUNTRIES": ",".join(DEPLOYMENT.countries),
        "TRACKER_BINDING": ",".join(f"{k}={v}" for k, v in DEPLOYMENT.binding.items()),
        "TRACKER_SMTP_HOST": "127.0.0.1",
        "TRACKER_SMTP_PORT": str(smtp_port),
        "TRACKER_RETRY_INTERVALS": "1,1",
        "TRACKER_DELIVERY_BATCH": str(DELIVERY_BATCH),
        "TRACKER_BASE_URL": "https://tracker.police.example",
        "TRACKER_TIMEZONE": "UTC",
        "TRACKER_SERVER_THREADS": "4",
        "TRACKER_SERVER_CONNECTIONS": "64",
        "TRACKER_DATABASE_MAX_CONNECTIONS": "4",
        # On a shared file system (NFS...) in production: a worker writes them, a server reads.
        "TRACKER_AUDIT_CHECKPOINT_FILE": str(shared / "audit-checkpoints.jsonl"),
        "TRACKER_PACK_DIR": str(shared / "packs"),
        **evidence,
    }


def load_demo():
    path = ROOT / "scripts" / "demo_data.py"
    spec = importlib.util.spec_from_file_location("demo_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def give_contacts(count: int, tag: str) -> int:
    """``count`` contacts of their own for each system, whom its reminders reach too."""
    systems = 0
    for system in AISystem.select():
        extra = [
            {"name": f"Contact {n}", "email": f"{tag}-{system.id}-{n}@police.example"}
            for n in range(count)
        ]
        AISystem.update(contacts=[*system.contacts, *extra]).where(
            AISystem.id == system.id
        ).execute()
        systems += 1
    return systems


def next_minute(moment: datetime) -> datetime:
    """The first whole minute at or after ``moment``."""
    minute = moment.replace(second=0, microsecond=0)
    return minute if minute == moment else minute + timedelta(minutes=1)


SCHEDULERS = ["scheduler-1", "scheduler-2"]


def launch_schedulers(cluster: Cluster) -> None:
    """Both schedulers, their sweep at the first whole minute SCHEDULER_LEAD ahead."""
    due = next_minute(datetime.now(UTC) + SCHEDULER_LEAD)
    for name in SCHEDULERS:
        node = cluster.node(name, "scheduler")
        node.env["TRACKER_SWEEP_TIME"] = f"{due:%H:%M}"
        node.start()
    cluster.sweep_due = due


def sweep_times(cluster: Cluster) -> dict[int, str]:
    """When each registered cron scheduler queues the sweep next (UTC, ISO), by pid."""
    times = {}
    for scheduler in CronScheduler.all(connection=cluster.redis):
        for job in scheduler.get_jobs():
            if job.func_name == SWEEP and job.next_enqueue_time:
                times[scheduler.pid] = f"{job.next_enqueue_time:%Y-%m-%dT%H:%M}"
    return times


def confirm_schedulers(cluster: Cluster) -> None:
    """Both schedulers registered, each to queue the sweep at ``cluster.sweep_due``.

    One that started after that minute (a loaded machine) waits a day for it: then both are
    stopped and, once that minute is past, anything queued is removed and they start again
    with the next one. No worker runs yet, so nothing they queued has run.
    """
    for _attempt in range(3):
        wait_until_registered(cluster, SCHEDULERS)
        due = cluster.sweep_due
        pids = {cluster.nodes[name].pid for name in SCHEDULERS}
        until(lambda: set(sweep_times(cluster)) >= pids, "the schedulers' sweep times")  # noqa: B023
        times = sweep_times(cluster)
        if all(times[pid] == f"{due:%Y-%m-%dT%H:%M}" for pid in pids):
            return
        stop_all([cluster.nodes[name] for name in SCHEDULERS])
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1)
        cluster.queue().empty()
        launch_schedulers(cluster)
    raise AssertionError("the schedulers never registered ahead of their sweep time")


def wait_until_up(base: str, node: Node) -> None:
    def answers() -> bool:
        assert node.running(), f"{node.name} stopped:\n{node.output()}"
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    until(answers, f"{node.name} to answer /healthz")


def wait_until_registered(cluster: Cluster, names: list[str]) -> None:
    """Each worker known to RQ, each scheduler to RQ's cron registry."""

    def registered() -> bool:
        for name in names:
            assert cluster.nodes[name].running(), f"{name} stopped:\n{cluster.nodes[name].output()}"
        workers = {w.pid for w in Worker.all(connection=cluster.redis)}
        schedulers = {s.pid for s in CronScheduler.all(connection=cluster.redis)}
        return all(
            cluster.nodes[n].pid in (workers if n.startswith("worker") else schedulers)
            for n in names
        )

    until(registered, f"{', '.join(names)} to register in Redis")


@pytest.fixture(scope="module")
def timings() -> Iterator[dict[str, float | int | str]]:
    measured: dict[str, float | int | str] = {}
    yield measured
    TIMINGS_FILE.parent.mkdir(exist_ok=True)
    lines = [
        f"{name}: {value:.2f} s" if isinstance(value, float) else f"{name}: {value}"
        for name, value in measured.items()
    ]
    TIMINGS_FILE.write_text(
        "many nodes (2 tracker serve, 2 tracker worker, 2 tracker scheduler; PostgreSQL, Redis, "
        "moto S3, aiosmtpd), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n" + "\n".join(lines) + "\n"
    )
    print("\n" + TIMINGS_FILE.read_text())


@pytest.fixture(scope="module")
def cluster(services, demo_snapshots, timings) -> Iterator[Cluster]:
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="tracker-many-nodes-"))
    redis_url = redis_url_for_this_worker(services.redis_url)
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    name = f"tracker_many_nodes_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = db.open_database(services.postgres_url)
    admin.execute_sql(f'CREATE SCHEMA "{name}"')
    database_url = _postgres_schema_url(services.postgres_url, name)
    smtp = SmtpServer()
    smtp.mailbox = HoldingMailbox()
    nodes: dict[str, Node] = {}
    every: list[Node] = []
    try:
        with running_s3_server() as s3:
            bucket = s3.new_bucket()
            smtp.start()
            database = db.bind(database_url)
            with database.connection_context():
                schema.upgrade(database)
            database.connect(reuse_if_open=True)
            env = node_environment(
                database_url,
                redis_url,
                smtp.port,
                {"TRACKER_EVIDENCE_URL": f"s3://{bucket}/evidence", **s3.environment()},
                folder / "shared",
            )
            made = Cluster([], nodes, env, redis, smtp, "", s3, bucket, folder, timings, every)
            try:
                # The schedulers first: their lead to the sweep's minute runs while the rest
                # is set up. No worker runs before the demo agency is in: the sweep waits.
                launch_schedulers(made)
                # The demo agency in the shared database, as tests/conftest.py's demo_agency.
                seed = config.Settings(
                    env="testing",
                    data_dir=folder / "seed",
                    database_url=database_url,
                    redis_url=redis_url,
                    agency_countries=DEPLOYMENT.countries,
                    binding=dict(DEPLOYMENT.binding),
                ).validated()
                demo_snapshots.copy_into(seed, load_demo())
                give_contacts(CONTACTS_PER_SYSTEM, "first")
                user = accounts.create_user(
                    "many-nodes",
                    "legal",
                    "test-setup",
                    full_name="Many Nodes",
                    email="mn@police.example",
                )
                made.token = accounts.issue_token(user, "many nodes", "test-setup")[1]
                timings["set-up: schema, demo agency, moto S3, aiosmtpd"] = (
                    time.monotonic() - started
                )
                launched = time.monotonic()
                ports = [free_port(), free_port()]
                for number, port in enumerate(ports, 1):
                    made.node(
                        f"server-{number}",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--workers",
                        "1",
                    ).start()
                    made.servers.append(f"http://127.0.0.1:{port}")
                confirm_schedulers(made)
                for worker in ("worker-1", "worker-2"):
                    made.node(worker, "worker").start()
                for number, base in enumerate(made.servers, 1):
                    wait_until_up(base, nodes[f"server-{number}"])
                wait_until_registered(made, ["worker-1", "worker-2"])
                timings["servers and workers started (answering, registered)"] = (
                    time.monotonic() - launched
                )
                yield made
            except AssertionError as failure:
                raise AssertionError(f"{failure}\n{made.logs()}") from None
            finally:
                stop_all(every)
                leftovers = {node.name: node.left_behind() for node in every}
                leftovers = {name: pids for name, pids in leftovers.items() if pids}
                s3.empty_bucket(bucket)
                assert not leftovers, f"processes left behind: {leftovers}"
    finally:
        stop_all(every)  # again, in case the S3 server failed to start or stop
        smtp.stop()
        redis.flushdb()
        if not db.database.is_closed():
            db.database.close()
        admin.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class ScheduledSweep:
    jobs: list[Job]  # the sweep jobs the schedulers queued
    day: date
    mail: list  # what the SMTP server received for it


@pytest.fixture(scope="module")
def scheduled_sweep(cluster) -> ScheduledSweep:
    """The day's sweep, queued by both schedulers at TRACKER_SWEEP_TIME, run by the worker pool
    with every delivery it queued, once all is done."""
    waiting = time.monotonic()
    until(
        lambda: len(cluster.finished_sweeps()) + len(cluster.failed_jobs()) >= 2,
        f"both schedulers' sweeps at {cluster.sweep_due:%H:%M} UTC to be run",
        seconds=(cluster.sweep_due - datetime.now(UTC)).total_seconds() + WAIT,
    )
    assert not cluster.failed_jobs(), cluster.logs()
    sweeps = cluster.finished_sweeps()
    day = date.fromisoformat(sweeps[0].return_value()["as_of"])
    of_the_day = Notification.select().where(Notification.sweep_date == day)
    until(
        lambda: (
            cluster.drained()
            and not of_the_day.where(Notification.state.in_(("pending", "sending"))).exists()
        ),
        "the sweep's deliveries to be done",
    )
    late = (datetime.now(UTC) - cluster.sweep_due).total_seconds()
    cluster.timings["waited for the schedulers' minute, then sweep and delivery"] = (
        time.monotonic() - waiting
    )
    cluster.timings["scheduled sweep: from its cron minute to the last e-mail"] = late
    return ScheduledSweep(sweeps, day, list(cluster.mailbox.received))


def received_ids(messages) -> Counter:
    return Counter(m["Message-ID"] for m in messages)


def test_an_upload_through_one_server_downloads_verified_through_the_other(cluster):
    first, second = cluster.servers
    headers = {"Authorization": f"Bearer {cluster.token}"}
    for base in cluster.servers:
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text

    started = time.monotonic()
    system = httpx.post(f"{first}/api/systems", json=profile(), headers=headers, timeout=30)
    assert system.status_code == 201, system.text
    content = sample_files.pdf("Impact assessment uploaded on one node") + os.urandom(256 * 1024)
    digest = hashlib.sha256(content).hexdigest()
    created = httpx.post(
        f"{first}/api/evidence",
        data={
            "kind": "impact_assessment",
            "title": "DPIA across nodes",
            "issuer": "DPO office",
            "valid_from": "2026-01-01",
            "valid_until": "2027-01-01",
            "system_ids": [str(system.json()["id"])],
        },
        files=[("files", ("dpia.pdf", content, "application/pdf"))],
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    stored = created.json()["files"][0]
    assert stored["sha256"] == digest
    cluster.timings["upload of 256 KiB through server 1"] = time.monotonic() - started

    started = time.monotonic()
    path = httpx.URL(stored["download_url"]).raw_path.decode()
    download = httpx.get(f"{second}{path}", headers=headers, timeout=30)
    cluster.timings["verified download through server 2"] = time.monotonic() - started
    assert download.status_code == 200, download.text
    assert download.content == content
    assert download.headers["Repr-Digest"] == (
        f"sha-256=:{base64.b64encode(hashlib.sha256(content).digest()).decode()}:"
    )
    # The bytes live in the shared bucket under their hash, not on either server's disk.
    keys = [
        item["Key"]
        for item in cluster.s3.client().list_objects_v2(Bucket=cluster.bucket)["Contents"]
    ]
    assert any(digest in key for key in keys), keys


def test_the_worker_pool_sends_the_scheduled_sweep_s_e_mails_once(cluster, scheduled_sweep):
    day = scheduled_sweep.day
    rows = Notification.select().where(Notification.sweep_date == day)
    assert {row.state for row in rows} == {"sent"}
    received = scheduled_sweep.mail
    assert len(received) > DELIVERY_BATCH  # several delivery jobs
    recipients = Counter(m["To"].addresses[0].addr_spec.casefold() for m in received)
    assert recipients and max(recipients.values()) == 1, recipients.most_common(3)
    assert set(recipients) == {row.recipient for row in rows}
    ids = received_ids(received)
    assert max(ids.values()) == 1 and set(ids) == {row.message_id for row in rows}
    # Which worker ran what is RQ's choice: recorded, not asserted.
    queue = cluster.queue()
    finished = Job.fetch_many(
        FinishedJobRegistry(queue=queue).get_job_ids(), connection=cluster.redis
    )
    names = {w.name: w.pid for w in Worker.all(connection=cluster.redis)}
    nodes = {node.pid: name for name, node in cluster.nodes.items() if node.process}
    by_worker = Counter(nodes.get(names.get(job.worker_name)) for job in finished if job)
    cluster.timings["scheduled sweep: e-mails sent"] = len(received)
    cluster.timings["scheduled sweep: jobs run by each worker"] = str(dict(by_worker))


def test_two_schedulers_still_sweep_once(cluster, scheduled_sweep):
    assert len(scheduled_sweep.jobs) == 2  # each scheduler queued the day's sweep at its minute
    results = [job.return_value() for job in scheduled_sweep.jobs]
    day = scheduled_sweep.day
    assert {r["as_of"] for r in results} == {day.isoformat()}
    # One recorded the day; the other was held off by the lock, or found nothing new.
    recorded = sorted(r.get("new", 0) for r in results)
    rows = Notification.select().where(Notification.sweep_date == day).count()
    assert recorded == [0, rows], results
    keys = Notification.select(Notification.key).where(Notification.sweep_date == day)
    assert len({row.key for row in keys}) == rows


def metric(text: str, name: str) -> float:
    """One sample's value from Prometheus text."""
    values = [line.split()[-1] for line in text.splitlines() if line.startswith(f"{name} ")]
    assert len(values) == 1, f"{name} not in:\n{text}"
    return float(values[0])


def test_the_audit_chain_the_nodes_wrote_verifies_with_their_one_key(cluster, scheduled_sweep):
    """Servers, workers and schedulers append to one chain, keyed with TRACKER_AUDIT_KEY; the
    sweep's signed checkpoint goes to the one checkpoint file on shared storage, which every
    server's /metrics reads."""
    shared = Path(cluster.env["TRACKER_AUDIT_CHECKPOINT_FILE"])
    assert not list(cluster.folder.glob("nodes/*/audit-checkpoints.jsonl"))
    started = time.monotonic()
    ring = audit_keys.Keyring(audit_keys.parse_keys(AUDIT_KEY, ","), "the nodes' key")
    report = audit.verify(keyring=ring, checkpoints=shared)
    cluster.timings["audit chain and checkpoint verified"] = time.monotonic() - started
    assert report.ok, report.problems
    assert report.protected and report.checkpoints == 1
    # The upload through server 1 is among the keyed events.
    assert AuditEvent.select().where(AuditEvent.id >= report.protected_from).count() > 1

    swept = scheduled_sweep.jobs[0].ended_at.timestamp()
    for base in cluster.servers:
        scraped = httpx.get(f"{base}/metrics", timeout=10)
        assert scraped.status_code == 200, scraped.text
        assert metric(scraped.text, "tracker_last_sweep_timestamp_seconds") >= swept - 60
        assert metric(scraped.text, "tracker_last_audit_verification_timestamp_seconds") > 0


def test_killing_a_worker_mid_delivery_loses_and_duplicates_nothing(
    cluster, scheduled_sweep, timings
):
    day = scheduled_sweep.day + timedelta(days=1)
    give_contacts(CONTACTS_PER_SYSTEM, "second")  # more mail: a sweep of many messages
    mailbox = cluster.mailbox
    before = len(mailbox.received)
    mailbox.hold_after = before + DELIVERY_BATCH // 2  # well into the deliveries
    started = time.monotonic()
    cluster.queue().enqueue(jobs.sweep_job, day.isoformat(), job_timeout=1800)
    until(lambda: mailbox.held_peer is not None, "a delivery to be held at the SMTP server")

    # Whose message is it? The worker whose work horse holds that connection.
    workers = {name: cluster.nodes[name] for name in ("worker-1", "worker-2")}
    processes = {name: [pid for pid, _ in node.processes()] for name, node in workers.items()}
    owner = owner_of_connection(
        mailbox.held_peer[1], cluster.smtp.port, [p for ps in processes.values() for p in ps]
    )
    victim = next((name for name, pids in processes.items() if owner in pids), None)
    assert victim, f"no worker holds the connection from port {mailbox.held_peer[1]}"
    dead = {
        w.get_current_job_id()
        for w in Worker.all(connection=cluster.redis)
        if w.pid == workers[victim].pid
    } - {None}
    assert dead  # it was running a delivery job
    workers[victim].kill()
    until(lambda: mailbox.dropped == 1, "the held message to be dropped with its connection")
    mailbox.released = True
    killed_at = time.monotonic()

    def of_the_day():  # a new query each time: peewee keeps the rows a query has read
        return Notification.select().where(Notification.sweep_date == day)

    def claimed() -> set[str]:
        sending = of_the_day().where(Notification.state == "sending")
        return {row.recipient for row in sending}

    assert set(mailbox.held_for) <= claimed()  # (the survivor may be sending one too)
    states = Counter(row.state for row in of_the_day())
    timings["kill: the day's ledger rows when the worker died"] = str(dict(states))

    # The survivor and a restarted worker finish what is queued; the killed job stays lost.
    restarted = cluster.node(f"{victim}-restarted", "worker").start()
    until(lambda: cluster.drained(dead), "the queue to be worked off")
    timings["kill: queue worked off by the survivor and a restarted worker"] = (
        time.monotonic() - killed_at
    )
    assert restarted.running() and not workers[victim].left_behind()
    assert claimed() == set(mailbox.held_for)  # the message in flight, claimed, never accepted
    left = of_the_day().where(Notification.state != "sent").count()
    assert left >= 1  # the killed message (and the rest of its job, if any)

    # Fifteen minutes on (STALE_CLAIM), the next sweep takes the abandoned claim over and sends
    # the rest; it records nothing new for the day.
    with db.write_transaction():
        Notification.update(claimed_at=Notification.claimed_at - ledger.STALE_CLAIM).where(
            Notification.state == "sending"
        ).execute()
    recovering = time.monotonic()
    again = cluster.queue().enqueue(jobs.sweep_job, day.isoformat(), job_timeout=1800)
    until(
        lambda: (
            again.get_status(refresh=True) == "finished"
            and cluster.drained(dead)
            and not of_the_day().where(Notification.state != "sent").exists()
        ),
        "every notification of the day to be sent",
    )
    timings["kill: next sweep sends what was lost"] = time.monotonic() - recovering
    timings["kill: whole journey from the sweep queued"] = time.monotonic() - started
    assert again.return_value()["new"] == 0

    received = mailbox.received[before:]
    rows = list(of_the_day())
    assert len(received) > 2 * DELIVERY_BATCH and {r.state for r in rows} == {"sent"}
    ids = received_ids(received)
    assert max(ids.values()) == 1, ids.most_common(3)  # nothing sent twice
    assert set(ids) == {r.message_id for r in rows}  # nothing lost
    recipients = Counter(m["To"].addresses[0].addr_spec.casefold() for m in received)
    assert max(recipients.values()) == 1 and set(recipients) == {r.recipient for r in rows}
    timings["kill: e-mails of the day"] = len(received)
