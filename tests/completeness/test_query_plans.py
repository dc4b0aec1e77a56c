"""One system's completeness costs what that system holds: every query it runs reaches each
table through an index on the system (or on the evidence it leads to, or the agency-wide
items' partial index), never by scanning a table or by an index on a date that would read the
whole agency's rows up to that date.

The plans are the databases' own (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN) for the
very statements :func:`load_snapshot` and :func:`history.load_timeline` send for one system.
Four hundred other systems have rows in every table, and PostgreSQL plans with fresh statistics
(ANALYZE, as autovacuum keeps them): its planner's own choice is checked, not a hint's.
scripts/bench_system_page.py measures the cost at 2,000 and 20,000 systems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import peewee as pw
import pytest

from tests.conftest import DEPLOYMENT
from tests.factories import profile
from tests.web.queries import recorded
from tracker import accounts, db, register
from tracker.completeness import history
from tracker.completeness.loader import load_snapshot
from tracker.models import (
    AISystem,
    AuditEvent,
    Evidence,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    Waiver,
)
from tracker.plugin_host import load_catalogue

TODAY = date.today()
# A partial index holds only the agency-wide items: reading all of it reads only those.
PARTIAL_INDEXES = {"evidence_agency_wide"}


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(10))


@pytest.fixture
def catalogue():
    return load_catalogue(deployment=DEPLOYMENT)


@pytest.fixture
def agency(catalogue, migrated) -> list[AISystem]:
    """Three systems with evidence (linked, agency-wide, superseded, reviewed), operators,
    events, waivers and profile changes, among four hundred others."""
    dpo = accounts.create_user("dpo.plans", "dpo", "test")
    systems = []
    for n in range(3):
        system = register.create_system(profile(name=f"System {n}"), "test", catalogue)
        AISystem.update(created_at=at(300)).where(AISystem.id == system.id).execute()
        system = AISystem.get_by_id(system.id)
        register.update_system(system, {"purpose": f"Purpose {n}"}, "test", catalogue)
        Operator.create(system=system, name=f"Officer {n}", email=f"o{n}@police.example")
        register.record_event(system, "use", at(20), "use", None, "test", catalogue, now=at(19))
        Waiver.create(
            system=system,
            requirement_id=next(iter(catalogue.requirements)),
            justification="test",
            requested_by=dpo,
            requested_at=at(50),
            expires_on=TODAY + timedelta(days=30),
            state="approved",
            decided_by=dpo,
            decided_at=at(49),
        )
        systems.append(system)
    for n, requirement in enumerate(list(catalogue.requirements.values())[:12]):
        wide = requirement.scope == "agency"
        item = Evidence.create(
            lineage=-1 - n,
            kind=requirement.evidence_kinds[0],
            title=requirement.id,
            requirement_ids=[requirement.id],
            agency_wide=wide,
            created_at=at(100),
            superseded_at=at(10) if n % 4 == 3 else None,
        )
        EvidenceReview.create(evidence=item, decision="accepted", reviewer=dpo, decided_at=at(99))
        if not wide:
            EvidenceSystem.create(evidence=item, system=systems[n % 3])
    neighbours(catalogue, dpo)
    return systems


def neighbours(catalogue, dpo, count: int = 400) -> None:
    """Other systems with rows in every table (ten evidence items each, reviewed), so that a
    plan reading the agency's rows costs visibly more than one reading the system's."""
    now = at(0)
    AISystem.insert_many(
        [
            {**profile(name=f"Neighbour {n}"), "created_at": now, "updated_at": now}
            for n in range(count)
        ]
    ).execute()
    ids = [s.id for s in AISystem.select(AISystem.id).where(AISystem.name.startswith("Neighbour"))]
    requirement = next(r for r in catalogue.requirements.values() if r.scope == "system")
    Evidence.insert_many(
        [
            {
                "lineage": 10_000 + n,
                "kind": requirement.evidence_kinds[0],
                "title": f"Neighbour evidence {n}",
                "requirement_ids": [requirement.id],
                "created_at": at(n % 200),
            }
            for n in range(10 * count)
        ]
    ).execute()
    evidence = [e.id for e in Evidence.select(Evidence.id).where(Evidence.lineage >= 10_000)]
    EvidenceSystem.insert_many(
        [{"evidence": e, "system": ids[n % count]} for n, e in enumerate(evidence)]
    ).execute()
    EvidenceReview.insert_many(
        [
            {"evidence": e, "decision": "accepted", "reviewer": dpo, "decided_at": now}
            for e in evidence
        ]
    ).execute()
    Operator.insert_many(
        [{"system": i, "name": "Officer", "email": "officer@police.example"} for i in ids * 2]
    ).execute()
    SystemEvent.insert_many(
        [{"system": i, "kind": "use", "occurred_at": at(30), "recorded_at": at(30)} for i in ids]
    ).execute()
    Waiver.insert_many(
        [
            {
                "system": i,
                "requirement_id": requirement.id,
                "justification": "neighbour",
                "requested_by": dpo,
                "expires_on": TODAY + timedelta(days=30),
                "state": "approved",
                "decided_at": at(40),
            }
            for i in ids
        ]
    ).execute()
    first = AuditEvent.select(pw.fn.MAX(AuditEvent.id)).scalar() + 1  # ids the chain sets
    AuditEvent.insert_many(
        [
            {
                "id": first + n,
                "occurred_at": at(n % 300).isoformat(timespec="microseconds"),
                "actor": "test",
                "action": "system.updated",
                "entity_type": "ai_system",
                "entity_id": str(i),
                "before": {"purpose": "Before"},
                "after": {"purpose": "After"},
                "prev_hash": "",
                "hash": f"neighbour-{n}",
            }
            for n, i in enumerate(ids * 3)
        ]
    ).execute()


def statements(call: Callable[[], object]) -> list[tuple[str, tuple]]:
    """The SELECT statements (with their parameters) the call sends."""
    with recorded(db.database.obj) as sent:  # a prepared shape's EXECUTE as its own SQL
        call()
    return [(sql, params) for sql, params in sent if sql.lstrip().upper().startswith("SELECT")]


def sqlite_reads(sql: str, params: tuple) -> list[str]:
    """How SQLite's plan reads each table: "table: index" or "table: SCAN"."""
    database = db.database.obj
    aliases = {alias: table for table, alias in re.findall(r'"(\w+)" AS "(\w+)"', sql)}
    reads = []
    for row in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall():
        found = re.match(r"(SEARCH|SCAN) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", row[-1])
        if found is None:  # a temporary B-tree for ORDER BY, and the like
            continue
        table = aliases.get(found.group(2), found.group(2))
        if "USING INTEGER PRIMARY KEY (rowid=?)" in row[-1]:
            reads.append(f"{table}: {PRIMARY_KEY}")
        elif found.group(1) == "SCAN" and found.group(3) not in PARTIAL_INDEXES:
            reads.append(f"{table}: SCAN")  # whole, or a whole index
        else:
            reads.append(f"{table}: {found.group(3)}")
    return reads


def postgres_reads(sql: str, params: tuple) -> list[str]:
    """How PostgreSQL's plan reads each table: "table: index" or "table: Seq Scan"."""
    database = db.database.obj
    (plan,) = database.execute_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    reads = []

    def walk(node: dict) -> None:
        kind = node["Node Type"]
        if kind == "Seq Scan":
            reads.append(f"{node['Relation Name']}: SCAN")
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            name = node["Index Name"]
            whole = "Index Cond" not in node and name not in PARTIAL_INDEXES
            if name.endswith("_pkey"):
                table, name = name.removesuffix("_pkey"), PRIMARY_KEY
            else:
                table = TABLE_OF.get(name, node.get("Relation Name", name))
            reads.append(f"{table}: {'SCAN' if whole else name}")
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan[0]["Plan"])
    return reads


PRIMARY_KEY = "primary key"
# The only ways one system's reads may reach each table: by that system's id, by the ids of
# the evidence it leads to, or the agency-wide items' partial index. An index on a date, the
# kind or the action would read the whole agency's rows up to the date.
SELECTIVE = {
    "ai_system": {PRIMARY_KEY},
    "audit_event": {"audit_event_entity_type_entity_id"},
    "system_event": {"system_event_system_id"},
    "operator": {"operator_system_id"},
    "evidence_system": {"evidence_system_system_id", "evidence_system_evidence_id_system_id"},
    "evidence": {PRIMARY_KEY, "evidence_agency_wide"},
    "evidence_review": {"evidence_review_evidence_id"},
    "waiver": {"waiver_system_id"},
}
TABLE_OF = {
    name: table for table, names in SELECTIVE.items() for name in names if name != PRIMARY_KEY
}


def unselective_reads(call: Callable[[], object]) -> dict[str, list[str]]:
    """For each statement the call sends, the tables it reads by other means than
    :data:`SELECTIVE` (an empty dict when none). Every statement reads at least one table."""
    if db.is_postgres():
        # The statistics autovacuum keeps on a live server, here and now.
        db.database.obj.execute_sql("ANALYZE")
    explain = postgres_reads if db.is_postgres() else sqlite_reads
    found = {}
    sent = statements(call)
    assert len(sent) >= 6  # a statement for each kind of fact (the evidence's two parts in one)
    for sql, params in sent:
        reads = explain(sql, params)
        assert reads, sql
        wrong = []
        for read in reads:
            table, _, how = read.partition(": ")
            if how not in SELECTIVE.get(table, ()):
                wrong.append(read)
        if wrong:
            found[sql] = wrong
    return found


def test_one_systems_snapshot_reads_through_that_systems_indexes(agency, catalogue):
    system = agency[1]
    snapshot = load_snapshot(TODAY, catalogue, [system.id], include_retired=True)
    # The data reaches every query: evidence of its own, agency-wide, reviewed, and the rest.
    assert snapshot.systems and snapshot.agency_evidence and snapshot.evidence.get(system.id)
    assert snapshot.operators.get(system.id) and snapshot.waivers and snapshot.events
    assert snapshot.systems[0].last_changed
    reads = unselective_reads(
        lambda: load_snapshot(TODAY, catalogue, [system.id], include_retired=True)
    )
    assert reads == {}


def test_one_systems_chart_reads_through_that_systems_indexes(agency, catalogue):
    system = agency[2]
    timeline = history.load_timeline(system.id, TODAY - timedelta(days=365), TODAY, catalogue)
    assert timeline.evidence and timeline.reviews and timeline.operators and timeline.waivers
    assert timeline.changes and timeline.events
    reads = unselective_reads(
        lambda: history.load_timeline(system.id, TODAY - timedelta(days=365), TODAY, catalogue)
    )
    assert reads == {}


def test_one_system_reads_its_own_and_the_agency_wide_evidence_only(agency, catalogue):
    """The split query returns exactly what the single outer-join query returned."""
    from tracker.completeness.driver import raw_rows
    from tracker.completeness.evidence_reads import EVIDENCE_COLUMNS, evidence_rows

    for system in agency:
        current = Evidence.superseded_at.is_null() | (Evidence.superseded_at > at(0))
        expected = (
            Evidence.select(*EVIDENCE_COLUMNS)
            .join(EvidenceSystem, pw.JOIN.LEFT_OUTER)
            .where(current & ((EvidenceSystem.system == system.id) | Evidence.agency_wide))
        )
        assert sorted(evidence_rows(current, [system.id]), key=repr) == sorted(
            raw_rows(expected), key=repr
        )
