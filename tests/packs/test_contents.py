"""A pack holds exactly what counted on its date: the completeness answer of that date, the
files of the evidence that counted, the profile of the date; the same date twice gives the
same content manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, timedelta

import pytest

from tests.packs.conftest import read_members
from tracker import completeness, register
from tracker.audit import jsonable
from tracker.completeness import load_snapshot
from tracker.completeness.export import system_dict
from tracker.completeness.facts import MET
from tracker.models import AISystem, AuditEvent, Pack
from tracker.packs import verify

TODAY = date.today()


def counted(result) -> set[tuple[str, int]]:
    pairs = {(i.requirement_id, r.id) for i in result.items for r in i.evidence if r.status in MET}
    pairs |= {
        (d.requirement_id, r.id) for d in result.events for r in d.evidence if r.status in MET
    }
    return pairs


def registered_on(system: AISystem) -> date:
    return system.created_at.date()


@pytest.mark.parametrize("days_ago", [0, 150])
def test_the_pack_holds_the_answer_and_the_evidence_of_its_date(
    face_search, build_pack, catalogue, settings, days_ago
):
    as_of = max(TODAY - timedelta(days=days_ago), registered_on(face_search))
    path = build_pack(face_search, as_of)
    assert verify.check(path).ok
    _, files = read_members(path)

    expected = completeness.for_system(
        face_search.id, as_of, catalogue, settings.expiring_soon_days
    )
    report = json.loads(files["data/report/completeness.json"])
    assert report == json.loads(json.dumps(jsonable(system_dict(expected))))
    assert report["as_of"] == as_of.isoformat()
    csv_rows = list(csv.DictReader(io.StringIO(files["data/report/completeness.csv"].decode())))
    assert [(r["requirement_id"], r["status"]) for r in csv_rows] == [
        (i.requirement_id, i.status) for i in expected.items
    ]
    assert files["data/report/completeness.pdf"].startswith(b"%PDF")

    listed = list(csv.DictReader(io.StringIO(files["data/evidence.csv"].decode())))
    assert {(r["requirement_id"], int(r["evidence_id"])) for r in listed} <= counted(expected)
    with_files = {int(r["evidence_id"]) for r in listed}
    assert with_files == {evidence_id for _, evidence_id in counted(expected)}
    for row in listed:
        data = files[f"data/{row['path']}"]
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert len(data) == int(row["bytes"])

    snapshot = load_snapshot(as_of, catalogue, [face_search.id], include_retired=True)
    profile = json.loads(files["data/system/profile.json"])
    facts = json.loads(json.dumps(jsonable(snapshot.systems[0].profile)))
    shared = facts.keys() & profile.keys()
    assert {"lifecycle_stage", "risk_level", "purpose_type"} <= shared
    assert {k: profile[k] for k in shared} == {k: facts[k] for k in shared}
    assert profile["purpose"] and profile["vendor"] is not None  # the whole profile, not the facts


def test_the_profile_is_the_one_of_the_date(face_search, build_pack):
    before = face_search.purpose
    register.update_system(face_search, {"purpose": "A purpose written today."}, "test")
    _, then = read_members(build_pack(face_search, TODAY - timedelta(days=1)))
    _, now = read_members(build_pack(face_search, TODAY))
    assert json.loads(then["data/system/profile.json"])["purpose"] == before
    assert json.loads(now["data/system/profile.json"])["purpose"] == "A purpose written today."


def test_two_dates_give_two_answers(face_search, build_pack):
    early = registered_on(face_search) + timedelta(days=1)
    _, first = read_members(build_pack(face_search, early))
    _, second = read_members(build_pack(face_search, TODAY))
    assert first["data/report/completeness.json"] != second["data/report/completeness.json"]
    events_then = first["data/audit/events.jsonl"].decode().splitlines()
    events_now = second["data/audit/events.jsonl"].decode().splitlines()
    assert 0 < len(events_then) < len(events_now)
    assert all(json.loads(e)["occurred_at"] <= f"{early.isoformat()}T99" for e in events_then)


def test_the_same_date_twice_gives_the_same_content_manifest(face_search, build_pack):
    day = TODAY - timedelta(days=30)
    first, second = build_pack(face_search, day), build_pack(face_search, day)
    assert (
        read_members(first)[1]["manifest-sha256.txt"]
        == read_members(second)[1]["manifest-sha256.txt"]
    )
    packs = list(Pack.select().order_by(Pack.id))
    assert packs[-1].manifest_sha256 == packs[-2].manifest_sha256
    assert packs[-1].sha256 != "" and packs[-1].state == "ready"


def test_every_pack_is_recorded_in_the_audit_trail(face_search, build_pack):
    path = build_pack(face_search, TODAY)
    pack = Pack.select().order_by(Pack.id.desc()).get()
    event = AuditEvent.get(
        (AuditEvent.action == "pack.built") & (AuditEvent.entity_id == str(pack.id))
    )
    assert event.actor == "cli:test"
    assert event.after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert event.after["system_id"] == face_search.id
    assert event.after["as_of"] == TODAY.isoformat()
    assert event.after["signature"] == pack.signature and event.after["key_id"] == pack.key_id


def test_the_agency_pack_covers_every_system(demo_agency, build_pack):
    path = build_pack(None, TODAY)
    assert verify.check(path).ok
    _, files = read_members(path)
    folders = {name.split("/")[2] for name in files if name.startswith("data/systems/")}
    systems = AISystem.select().where(AISystem.created_at <= f"{TODAY.isoformat()} 23:59:59.999999")
    assert len(folders) == systems.count()
    for system in systems:
        assert any(folder.startswith(f"{system.id}-") for folder in folders)
