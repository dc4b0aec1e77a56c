"""Realistic benchmark data: one generator for every benchmark, cached on disk.

Deterministic from (systems, seed, the day it is generated for): N systems over every life-cycle
stage and risk level with varied profiles and plugin answers, 2+ operators each (some removed),
agency-wide evidence, per-system evidence with several versions per item, accepted, rejected and
pending reviews, expired items and items expiring within 30 days, waivers in every state,
recorded events (some answered by linked evidence), and a year of profile changes in the audit
trail (a chained, unkeyed trail that ``tracker audit verify`` accepts).

Rows are written with explicit ids in bulk (insert_many in chunks, one transaction) into a fresh
database, then kept: a SQLite file under ``.bench-cache/``, or a PostgreSQL schema, both named
after the key (backend, size, seed, generator version, day), so reruns do not regenerate. The day
is in the key because "expiring within 30 days" is relative to it.

    python scripts/bench_data.py --systems 20000 [--seed 2026] [--database-url postgresql://127.0.0.1/test]

API for benchmarks: ``prepare(url_or_none, systems, seed) -> url`` and ``bind(url)``; and
``report(name, **figures)``, which appends one JSON line to the file named by ``$BENCH_RESULTS``
(read by scripts/bench_summary.py for ``make bench``'s table).

The cached database is shared: a benchmark that writes to it (beyond a user, token or session
of its own) asks ``prepare(..., scratch=True)`` for a private copy instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import peewee

from tracker import audit, db, schema, vocabulary
from tracker.models import (
    AISystem,
    AuditEvent,
    AuditHead,
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    User,
    Waiver,
)
from tracker.plugin_host import Catalogue, load_catalogue
from tracker.territory import Deployment

GENERATOR_VERSION = 1  # bump whenever the data generated for a key changes
REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".bench-cache"
# The benchmark agency works in Belgium: the EU frameworks reach its systems by territory.
AGENCY = Deployment(("BE",))
STAGE_WEIGHTS = {  # a national agency's portfolio: mostly in use
    "planning": 8,
    "development_or_procurement": 12,
    "testing": 10,
    "deployment": 40,
    "monitoring": 24,
    "decommissioned": 6,
}
UNITS = ["Cybercrime", "Forensics", "Border police", "Traffic", "Intelligence", "HR", "IT"]
OTHER_AREAS = [a for a in vocabulary.ANNEX_III_AREAS if a != "biometrics"]
CHANGEABLE = [  # profile fields a year of edits touches, and how often
    *["lifecycle_stage"] * 4,
    *["risk_level"] * 2,
    "annex_iii_areas",
    "people_affected",
    "profiling",
    "public_facing",
    "published",
    "answers",
    "units_with_access",
    "processes_personal_data",
    "version",
]
PG_TABLES = [m._meta.table_name for m in (User, AISystem, Operator, SystemEvent, Evidence)] + [
    m._meta.table_name for m in (EvidenceSystem, EvidenceFile, EvidenceReview, Waiver, AuditEvent)
]


def report(name: str, **figures: Any) -> None:
    """Append one benchmark's headline figures as a JSON line to ``$BENCH_RESULTS`` (if set).

    ``make bench`` sets it and prints every line as one table (scripts/bench_summary.py). Give
    plain numbers and short strings, e.g. ``report("upload", size_mb=200, median_s=1.3,
    floor_s=1.1, target="PASS")``.
    """
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"bench": name, **figures}, default=str) + "\n")


def cache_key(backend: str, systems: int, seed: int, day: date) -> str:
    return f"bench_{backend}_{systems}_s{seed}_v{GENERATOR_VERSION}_{day:%Y%m%d}"


def bind(url: str) -> peewee.Database:
    """Bind the tracker's models to ``url`` and connect."""
    database = db.bind(url)
    database.connect(reuse_if_open=True)
    return database


def prepare(
    database_url: str | None = None,
    systems: int = 2000,
    seed: int = 2026,
    *,
    scratch: bool = False,
    quiet: bool = False,
) -> str:
    """The URL of a database holding the benchmark data, generated unless cached.

    ``database_url``: None for SQLite (a file under .bench-cache/), or a PostgreSQL URL, in
    whose database a schema named after the key holds the data (the URL returned sets its
    search_path). ``scratch``: a private copy the caller may write to (SQLite: a copy of the
    cached file in a temporary folder; PostgreSQL: a schema generated anew, ``..._scratch``).
    Models are left bound to the returned URL.
    """
    day = date.today()
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    if database_url is None or database_url.startswith("sqlite"):
        CACHE.mkdir(exist_ok=True)
        path = CACHE / f"{cache_key('sqlite', systems, seed, day)}.db"
        if not path.exists():
            for stale in CACHE.glob(f"bench_sqlite_{systems}_s{seed}_*.db"):
                stale.unlink()  # yesterday's data: its dates are relative to another day
            building = path.with_suffix(".building")
            building.unlink(missing_ok=True)
            say(f"generating {systems} systems (seed {seed}) into {path.name} ...")
            database = bind(f"sqlite:///{building}")
            # A file nobody else uses until it is renamed: no journal while it is built.
            database.execute_sql("PRAGMA journal_mode=OFF")
            database.execute_sql("PRAGMA synchronous=OFF")
            database.execute_sql("PRAGMA cache_size=-262144")  # 256 MiB
            _build(database, systems, seed, day, say)
            database.execute_sql("PRAGMA journal_mode=WAL")  # as the tracker runs it
            database.close()
            building.rename(path)
        if scratch:
            copy = Path(tempfile.mkdtemp(prefix="tracker-bench-")) / "bench.db"
            shutil.copyfile(path, copy)
            path = copy
        url = f"sqlite:///{path}"
        bind(url)
        return url
    name = cache_key("pg", systems, seed, day) + ("_scratch" if scratch else "")
    admin = bind(database_url)
    exists = admin.execute_sql(
        "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,)
    ).fetchone()
    if not exists or scratch:
        for (stale,) in admin.execute_sql(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            (f"bench_pg_{systems}_s{seed}_%",),
        ).fetchall():
            if stale != name or scratch:
                admin.execute_sql(f'DROP SCHEMA "{stale}" CASCADE')
        building = name + "_building"
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{building}" CASCADE')
        admin.execute_sql(f'CREATE SCHEMA "{building}"')
        admin.close()
        say(f"generating {systems} systems (seed {seed}) into schema {name} ...")
        database = bind(_with_schema(database_url, building))
        _build(database, systems, seed, day, say)
        database.close()
        admin = bind(database_url)
        admin.execute_sql(f'ALTER SCHEMA "{building}" RENAME TO "{name}"')
    admin.close()
    url = _with_schema(database_url, name)
    bind(url)
    return url


def _with_schema(url: str, name: str) -> str:
    """``url`` with libpq's options setting the search path to the schema ``name``."""
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}options={quote(f'-c search_path={name}')}"


def _build(database: peewee.Database, systems: int, seed: int, day: date, say) -> dict:
    start = time.perf_counter()
    schema.upgrade(database)
    catalogue = load_catalogue(deployment=AGENCY)
    tables = Generator(catalogue, random.Random(seed), day).rows(systems)
    say(f"  rows built in {time.perf_counter() - start:.1f} s; inserting ...")
    insert(database, tables, say)
    say(f"  done in {time.perf_counter() - start:.1f} s")
    return {model.__name__: len(rows) for model, rows in tables.items()}


def insert(database: peewee.Database, tables: dict[type, list[dict]], say=print) -> None:
    """Insert every table's rows through the driver's own bulk call (peewee's per-value
    conversion took most of a minute at 20,000 systems), in one transaction; then, on
    PostgreSQL, move the id sequences past the explicit ids."""
    postgres = isinstance(database, peewee.PostgresqlDatabase)
    started = time.perf_counter()
    with database.atomic():
        cursor = database.cursor()
        for model, rows in tables.items():
            if not rows:
                continue
            fields = [model._meta.fields[name] for name in rows[0]]
            # Columns left out take the model's default, as peewee would fill them in.
            defaults = [
                f
                for f in model._meta.sorted_fields
                if f.name not in rows[0] and f.default is not None
            ]
            fixed = tuple(f.default() if callable(f.default) else f.default for f in defaults)
            fields += defaults
            convert = [_converter(field, postgres) for field in fields]
            values = [
                tuple(
                    c(v) if c and v is not None else v
                    for c, v in zip(convert, (*row.values(), *fixed), strict=True)
                )
                for row in rows
            ]
            columns = ", ".join(f'"{f.column_name}"' for f in fields)
            table = model._meta.table_name
            if postgres:
                from psycopg2.extras import execute_values

                execute_values(
                    cursor, f'INSERT INTO "{table}" ({columns}) VALUES %s', values, page_size=2000
                )
            else:
                marks = ", ".join("?" * len(fields))
                cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
            say(f"  {table}: {len(values)} rows at {time.perf_counter() - started:.1f} s")
        head = tables[AuditEvent][-1] if tables[AuditEvent] else None
        if head:
            AuditHead.update(last_id=head["id"], last_hash=head["hash"]).execute()
        if postgres:
            for model in tables:
                if model is Blob:
                    continue
                table = model._meta.table_name
                database.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                )
    database.execute_sql("ANALYZE")  # the planner's statistics, as a live database has them


def _converter(field: peewee.Field, postgres: bool):
    """How a Python value is handed to the driver for ``field``, as peewee would store it."""
    if isinstance(field, peewee.JSONField):
        return json.dumps
    if postgres:
        return None  # psycopg2 adapts dates and datetimes itself
    if isinstance(field, peewee.DateTimeField):
        return str  # "YYYY-MM-DD HH:MM:SS[.ffffff]", peewee's SQLite format
    if isinstance(field, peewee.DateField):
        return date.isoformat
    return None


class Generator:
    """Builds every table's rows in memory, ids assigned here, all dates up to ``day``."""

    def __init__(self, catalogue: Catalogue, rng: random.Random, day: date) -> None:
        self.catalogue, self.rng, self.day = catalogue, rng, day
        self.anchor = datetime.combine(day, datetime.min.time())  # midnight UTC: nothing later
        requirements = list(catalogue.requirements.values())
        self.agency_reqs = [r for r in requirements if r.scope == "agency"]
        self.system_reqs = [
            r for r in requirements if r.scope == "system" and not r.deadline_after_event
        ]
        self.operator_reqs = [r for r in requirements if r.scope == "operator"]
        self.answering: dict[str, list] = {}  # event kind -> requirements counting from it
        for r in requirements:
            if r.deadline_after_event:
                self.answering.setdefault(r.deadline_after_event[0], []).append(r)
        kinds = list(catalogue.event_kinds)
        self.event_kinds = ["use"] * (3 * len(kinds)) + kinds  # uses dominate
        self.blobs = [hashlib.sha256(f"bench blob {n}".encode()).hexdigest() for n in range(500)]
        self.t: dict[type, list[dict]] = {
            m: []
            for m in (
                User,
                Blob,
                AISystem,
                Operator,
                SystemEvent,
                Evidence,
                EvidenceSystem,
                EvidenceFile,
                EvidenceReview,
                Waiver,
                AuditEvent,
            )
        }
        self.audit: list[tuple] = []  # (occurred_at, actor, action, entity_id, before, after)

    def moment(self, earliest: datetime, latest: datetime | None = None) -> datetime:
        latest = latest or self.anchor
        if earliest >= latest:
            return latest
        span = (latest - earliest).total_seconds()
        return earliest + timedelta(seconds=int(self.rng.random() * span))

    def add(self, model: type, **row: Any) -> int:
        rows = self.t[model]
        row = {"id": len(rows) + 1, **row}
        rows.append(row)
        return row["id"]

    def rows(self, systems: int) -> dict[type, list[dict]]:
        rng = self.rng
        self.users = {
            role: [
                self.add(
                    User,
                    username=f"bench-{role}-{n}",
                    full_name=f"Bench {role.title()} {n}",
                    email=f"{role}{n}@agency.example",
                    role=role,
                    password_hash=None,
                    created_at=self.anchor - timedelta(days=1500),
                )
                for n in range(count)
            ]
            for role, count in (("admin", 1), ("legal", 3), ("dpo", 2), ("auditor", 1))
        }
        for sha in self.blobs:
            self.add(
                Blob,
                sha256=sha,
                size=rng.randint(10_000, 5_000_000),
                media_type="application/pdf",
                stored_at=self.anchor - timedelta(days=900),
            )
        for row in self.t[Blob]:
            del row["id"]  # keyed by its hash
        self.agency_evidence()
        for _ in range(systems):
            self.system()
        self.chain_audit()
        return self.t

    # -- profiles and their history ------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        rng = self.rng
        stage = rng.choices(list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values()))[0]
        biometric = rng.choices(["none", "post_event", "real_time"], [85, 11, 4])[0]
        areas = sorted(set(rng.sample(OTHER_AREAS, rng.choice([0, 0, 1, 1, 2]))))
        if biometric != "none" or rng.random() < 0.05:
            areas = sorted({*areas, "biometrics"})
        return {
            "name": "",
            "version": str(rng.randint(1, 9)),
            "vendor": rng.choice(["", "Acme AI", "Politech", "OpenVision", "In-house"]),
            "purpose": rng.choice(
                [
                    "Triage of reports",
                    "Licence-plate reading",
                    "Transcription of interviews",
                    "Fraud detection",
                    "Image matching",
                    "Scheduling of patrols",
                    "Chat assistant",
                ]
            ),
            "authorised_use_cases": rng.sample(["search", "triage", "analysis", "support"], 2),
            "development_approach": rng.choice(list(vocabulary.DEVELOPMENT_APPROACHES)),
            "lifecycle_stage": stage,
            "risk_level": rng.choices(list(vocabulary.RISK_LEVELS), [35, 40, 25])[0],
            "processes_personal_data": biometric != "none" or rng.random() < 0.85,
            "purpose_type": rng.choices(list(vocabulary.PURPOSE_TYPES), [65, 35])[0],
            "biometric_identification": biometric,
            "ai_act_roles": rng.choice(
                [["deployer"], ["deployer"], ["provider", "deployer"], ["provider"], []]
            ),
            "profiling": rng.random() < 0.2,
            "people_affected": sorted(
                rng.sample(list(vocabulary.PEOPLE_AFFECTED), rng.randint(0, 3))
            ),
            "annex_iii_areas": areas,
            "public_authority": rng.random() < 0.97,
            "countries": rng.choice([[]] * 8 + [["FR"], ["NL", "LU"]]),
            "public_facing": rng.random() < 0.15,
            "units_with_access": sorted(rng.sample(UNITS, rng.randint(1, 3))),
            "data_sharing": "",
            "usage_description": "",
            "personal_data_handling": "",
            "contacts": [],
            "published": rng.random() < 0.3,
            "publication": {},
            "answers": rng.choice([{}, {}, {"nis2_in_scope": True}, {"nis2_in_scope": False}]),
            "jurisdictions": [],
        }

    def earlier_value(self, field: str, state: dict[str, Any]) -> Any:
        """What ``field`` may have held before an edit that left it as in ``state`` (None: no
        plausible earlier value; the edit is skipped)."""
        rng, value = self.rng, state[field]
        if field == "lifecycle_stage":
            stages = list(vocabulary.LIFECYCLE_STAGES)
            return stages[stages.index(value) - 1] if value != stages[0] else None
        if field == "risk_level":
            return rng.choice([v for v in vocabulary.RISK_LEVELS if v != value])
        if field in ("annex_iii_areas", "people_affected", "units_with_access"):
            choices = {"annex_iii_areas": OTHER_AREAS, "units_with_access": UNITS}.get(
                field, list(vocabulary.PEOPLE_AFFECTED)
            )
            toggled = set(value) ^ {rng.choice(choices)}
            return sorted(toggled) if toggled or field != "units_with_access" else None
        if field == "processes_personal_data":
            return None if state["biometric_identification"] != "none" else not value
        if field in ("profiling", "public_facing", "published"):
            return not value
        if field == "answers":
            return rng.choice([a for a in ({}, {"nis2_in_scope": True}) if a != value])
        if field == "version":
            return str(int(value) - 1) if int(value) > 1 else None
        raise ValueError(field)

    def system(self) -> None:
        rng = self.rng
        created = self.anchor - timedelta(days=rng.randint(30, 1500), seconds=rng.randint(0, 86399))
        profile = self.profile()
        system_id = len(self.t[AISystem]) + 1
        profile["name"] = f"{profile['purpose']} {system_id}"
        # A year of edits, undone from today's profile back to the one it was created with.
        state = dict(profile)
        year_ago = max(created + timedelta(days=1), self.anchor - timedelta(days=365))
        moments = sorted(
            (self.moment(year_ago) for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8]))),
            reverse=True,
        )
        actor = f"bench-legal-{system_id % 3}"
        updated = created
        for when in moments:
            field = rng.choice(CHANGEABLE)
            old = self.earlier_value(field, state)
            if old is None or old == state[field]:
                continue
            self.audit.append(
                (when, actor, "system.updated", system_id, {field: old}, {field: state[field]})
            )
            updated = max(updated, when)
            state[field] = old
        self.audit.append(
            (created, actor, "system.created", system_id, None, audit.jsonable(state))
        )
        retired = (
            self.moment(updated)
            if profile["lifecycle_stage"] == "decommissioned" and rng.random() < 0.5
            else None
        )
        self.add(
            AISystem,
            **profile,
            created_at=created,
            updated_at=updated,
            retired_at=retired,
            retired_reason="Decommissioned" if retired else "",
        )
        operators = []
        for k in range(rng.randint(2, 4)):
            removed = self.moment(created) if rng.random() < 0.12 else None
            name = f"Officer {system_id}-{k}"
            operators.append(name)
            self.add(
                Operator,
                system=system_id,
                name=name,
                email=f"o{system_id}-{k}@police.example",
                unit=rng.choice(UNITS),
                added_at=self.moment(created, created + timedelta(days=60)),
                removed_at=removed,
            )
        for requirement in rng.sample(self.system_reqs, rng.randint(3, 8)):
            self.lineage(requirement, created, [system_id])
        for requirement in rng.sample(self.operator_reqs, min(len(self.operator_reqs), 2)):
            self.lineage(requirement, created, [system_id], person=rng.choice(operators))
        self.events(system_id, created, profile["lifecycle_stage"])
        if rng.random() < 0.1:
            self.waiver(system_id, created)

    # -- evidence --------------------------------------------------------------------------------

    def agency_evidence(self) -> None:
        since = self.anchor - timedelta(days=1200)
        for requirement in self.agency_reqs + self.rng.sample(self.system_reqs, 6):
            self.lineage(requirement, since, [])

    def lineage(
        self,
        requirement,
        since: datetime,
        system_ids: list[int],
        person: str = "",
        event: tuple[int, datetime] | None = None,
    ) -> None:
        """One evidence item in 1-4 versions, each reviewed or not; the newest may be expired or
        expiring soon."""
        rng = self.rng
        count = 1 if event else rng.choices([1, 2, 3, 4], [50, 30, 14, 6])[0]
        start = event[1] + timedelta(hours=rng.randint(1, 48)) if event else self.moment(since)
        moments = sorted(self.moment(min(start, self.anchor)) for _ in range(count))
        first = len(self.t[Evidence]) + 1
        for version, created in enumerate(moments, start=1):
            newest = version == count
            issued = created.date() - timedelta(days=rng.randint(0, 20))
            if requirement.valid_for_months:
                until = issued + timedelta(days=30 * requirement.valid_for_months)
            else:
                until = rng.choice(
                    [None, None, issued + timedelta(days=365), issued + timedelta(days=730)]
                )
            if newest and not event:  # expired and expiring items, whatever their history
                roll = rng.random()
                if roll < 0.08:
                    until = self.day - timedelta(days=rng.randint(1, 200))
                elif roll < 0.16:
                    until = self.day + timedelta(days=rng.randint(1, 30))
            if until is not None and until < issued:
                issued = until - timedelta(days=365)
            evidence_id = self.add(
                Evidence,
                lineage=first,
                version=version,
                kind=rng.choice(requirement.evidence_kinds),
                title=f"{requirement.title[:200]} v{version}",
                description="",
                issued_on=issued,
                valid_from=issued,
                valid_until=until,
                issuer=rng.choice(["", "Internal audit", "DPO office", "Vendor"]),
                certified_person=person,
                requirement_ids=[requirement.id],
                agency_wide=not system_ids,
                uploaded_by=rng.choice(self.users["legal"]),
                created_at=created,
                superseded_at=None if newest else moments[version],
                event=event[0] if event else None,
            )
            for system_id in system_ids:
                self.add(EvidenceSystem, evidence=evidence_id, system=system_id)
            sha = rng.choice(self.blobs)
            self.add(
                EvidenceFile,
                evidence=evidence_id,
                blob=sha,
                display_name=f"evidence-{evidence_id}.pdf",
                position=0,
            )
            decision = rng.choices(
                ["accepted", "rejected", None], [72, 10, 18] if newest else [75, 20, 5]
            )[0]
            decided = created + timedelta(days=rng.randint(0, 10), hours=rng.randint(1, 20))
            if decision and decided < self.anchor:
                self.add(
                    EvidenceReview,
                    evidence=evidence_id,
                    decision=decision,
                    reason="" if decision == "accepted" else "Unsigned copy",
                    reviewer=rng.choice(self.users["dpo"]),
                    decided_at=decided,
                    approved_hashes=[sha] if decision == "accepted" else [],
                )

    def events(self, system_id: int, created: datetime, stage: str) -> None:
        rng = self.rng
        in_use = stage in ("deployment", "monitoring", "decommissioned")
        since = max(created, self.anchor - timedelta(days=400))
        for _ in range(rng.randint(3, 15) if in_use else rng.randint(0, 1)):
            kind = rng.choice(self.event_kinds)
            occurred = self.moment(since)
            event_id = self.add(
                SystemEvent,
                system=system_id,
                kind=kind,
                occurred_at=occurred,
                description=f"Bench {kind}",
                recorded_by=rng.choice(self.users["legal"]),
                recorded_at=min(self.anchor, occurred + timedelta(hours=rng.randint(0, 30))),
            )
            answering = self.answering.get(kind)
            if answering and rng.random() < 0.4:
                self.lineage(rng.choice(answering), since, [system_id], event=(event_id, occurred))

    def waiver(self, system_id: int, created: datetime) -> None:
        rng = self.rng
        state = rng.choice(["approved", "approved", "expired", "revoked", "requested", "rejected"])
        requested = self.moment(max(created, self.anchor - timedelta(days=500)))
        decided = min(self.anchor, requested + timedelta(days=rng.randint(1, 14)))
        if state == "expired":  # approved, and its date has passed
            expires = self.day - timedelta(days=rng.randint(1, 60))
            requested = min(
                requested, datetime.combine(expires, datetime.min.time()) - timedelta(days=30)
            )
            decided = requested + timedelta(days=2)
        else:
            expires = self.day + timedelta(days=rng.randint(10, 300))
        self.add(
            Waiver,
            system=system_id,
            requirement_id=rng.choice(self.system_reqs).id,
            justification="Bench waiver",
            requested_by=rng.choice(self.users["legal"]),
            requested_at=requested,
            expires_on=expires,
            state="approved" if state == "expired" else state,
            decided_by=None if state == "requested" else rng.choice(self.users["dpo"]),
            decided_at=None if state == "requested" else decided,
            decision_note="",
            revoked_at=self.moment(decided) if state == "revoked" else None,
        )

    # -- the audit trail -------------------------------------------------------------------------

    def chain_audit(self) -> None:
        """Audit rows in time order, hash-chained as tracker.audit does (unkeyed), so that the
        chain verifies; ids follow time, as the replay of profiles expects."""
        prev = "0" * 64
        for number, (when, actor, action, entity, before, after) in enumerate(
            sorted(self.audit, key=lambda e: e[0]), start=1
        ):
            fields = {
                "id": number,
                "occurred_at": when.isoformat(timespec="microseconds"),
                "actor": actor,
                "action": action,
                "entity_type": "ai_system",
                "entity_id": str(entity),
                "before": before,
                "after": after,
            }
            digest = audit._event_hash(prev, fields)
            self.t[AuditEvent].append({**fields, "prev_hash": prev, "hash": digest, "key_id": ""})
            prev = digest


def counts(database: peewee.Database) -> dict[str, int]:
    """Rows per table, and the variety that matters to completeness."""
    found = {
        m._meta.table_name: m.select().count()
        for m in (
            AISystem,
            Operator,
            Evidence,
            EvidenceSystem,
            EvidenceReview,
            Waiver,
            SystemEvent,
            AuditEvent,
        )
    }
    today = date.today()
    found["evidence agency-wide"] = Evidence.select().where(Evidence.agency_wide == True).count()
    found["evidence superseded"] = (
        Evidence.select().where(Evidence.superseded_at.is_null(False)).count()
    )
    found["evidence expired (current)"] = (
        Evidence.select()
        .where(Evidence.superseded_at.is_null() & (Evidence.valid_until < today))
        .count()
    )
    found["evidence expiring <= 30 d"] = (
        Evidence.select()
        .where(
            Evidence.superseded_at.is_null()
            & (Evidence.valid_until >= today)
            & (Evidence.valid_until <= today + timedelta(days=30))
        )
        .count()
    )
    found["reviews rejected"] = (
        EvidenceReview.select().where(EvidenceReview.decision == "rejected").count()
    )
    found["evidence linked to events"] = (
        Evidence.select().where(Evidence.event.is_null(False)).count()
    )
    found["operators removed"] = Operator.select().where(Operator.removed_at.is_null(False)).count()
    found["profile changes"] = (
        AuditEvent.select().where(AuditEvent.action == "system.updated").count()
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    start = time.perf_counter()
    url = prepare(args.database_url, args.systems, args.seed)
    elapsed = time.perf_counter() - start
    print(
        f"database   {url if url.startswith('sqlite') else db.redacted(url) + ' (schema in options)'}"
    )
    for table, number in counts(db.database.obj).items():
        print(f"  {table:28} {number:>10,}")
    print(f"ready in {elapsed:.1f} s (a cached database is reused)")
    db.database.obj.close()


if __name__ == "__main__":
    main()
