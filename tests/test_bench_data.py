"""The benchmark data generator (scripts/bench_data.py) makes a varied agency, and completeness runs
on it: a small one, on SQLite, generated into the test's own folder."""

import json
import sys
from datetime import date
from pathlib import Path

import pytest

from tracker import audit, completeness, db
from tracker.models import (
    AISystem,
    AuditEvent,
    Evidence,
    EvidenceReview,
    Operator,
    SystemEvent,
    Waiver,
)
from tracker.plugin_host import load_catalogue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import bench_data


@pytest.fixture
def agency(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_data, "CACHE", tmp_path)
    url = bench_data.prepare(None, systems=60, seed=7, quiet=True)
    yield url
    db.database.obj.close()


def test_a_small_agency_has_the_variety_benchmarks_need(agency):
    today = date.today()
    assert AISystem.select().count() == 60
    assert len({s.lifecycle_stage for s in AISystem.select()}) >= 4
    assert len({s.risk_level for s in AISystem.select()}) == 3
    assert Evidence.select().where(Evidence.agency_wide == True).count() >= 5
    assert Evidence.select().where(Evidence.version > 1).exists()
    assert Evidence.select().where(Evidence.superseded_at.is_null(False)).exists()
    assert EvidenceReview.select().where(EvidenceReview.decision == "rejected").exists()
    current = Evidence.superseded_at.is_null()
    assert Evidence.select().where(current & (Evidence.valid_until < today)).exists()
    assert Evidence.select().where(current & (Evidence.valid_until >= today)).exists()
    assert Evidence.select().where(Evidence.event.is_null(False)).exists()
    assert SystemEvent.select().count() > 60
    states = {
        ("expired" if w.state == "approved" and w.expires_on < today else w.state)
        for w in Waiver.select()
    }
    assert states == {"approved", "expired", "revoked", "requested", "rejected"}
    per_system = [s.operators.count() for s in AISystem.select()]
    assert min(per_system) >= 2
    assert Operator.select().where(Operator.removed_at.is_null(False)).exists()
    changes = AuditEvent.select().where(AuditEvent.action == "system.updated")
    assert changes.count() > 60
    assert all(set(c.before) == set(c.after) for c in changes)
    assert audit.verify().ok  # the generated trail is chained as the tracker chains it

    results = completeness.for_portfolio(today, load_catalogue(deployment=bench_data.AGENCY))
    assert len(results) <= 60  # retired systems are left out
    statuses = {status for r in results for status, count in r.overall.counts.items() if count}
    assert {"satisfied", "missing", "expired", "pending_review"} <= statuses


def test_the_same_seed_gives_the_same_data_and_the_cache_is_reused(agency, tmp_path):
    first = [(s.name, s.risk_level, s.answers) for s in AISystem.select().order_by(AISystem.id)]
    files = sorted(tmp_path.glob("*.db"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    assert bench_data.prepare(None, systems=60, seed=7, quiet=True) == agency
    assert files[0].stat().st_mtime_ns == stamp  # not regenerated
    again = [(s.name, s.risk_level, s.answers) for s in AISystem.select().order_by(AISystem.id)]
    assert again == first


def test_report_appends_json_lines(tmp_path, monkeypatch):
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv("BENCH_RESULTS", str(results))
    bench_data.report("upload", median_s=1.5, target="PASS")
    bench_data.report("http", p95_ms=12)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert lines == [
        {"bench": "upload", "median_s": 1.5, "target": "PASS"},
        {"bench": "http", "p95_ms": 12},
    ]
    monkeypatch.delenv("BENCH_RESULTS")
    bench_data.report("ignored", x=1)  # no file named: nothing written, no error


def test_a_database_cached_at_an_older_schema_version_is_upgraded_not_regenerated(agency, tmp_path):
    db.database.obj.close()
    (current,) = tmp_path.glob("*.db")
    key = current.stem
    older = key.replace(f"_m{bench_data.KEY.match(key).group(2)}_", "_m1_")
    current.rename(tmp_path / f"{older}.db")
    assert bench_data.upgradable(key, [older, key.replace("_s7_", "_s8_")]) == older
    assert bench_data.prepare(None, systems=60, seed=7, quiet=True) == agency
    assert [p.stem for p in tmp_path.glob("*.db")] == [key]
    assert AISystem.select().count() == 60
