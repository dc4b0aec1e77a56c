"""Queries built once per shape (tracker.completeness.prepared) read exactly what peewee builds
each time: the system page's timeline queries, and one system's snapshot, on many dates."""

from __future__ import annotations

from datetime import date

from tests.completeness.test_history import busy, catalogue, dpo  # noqa: F401 (fixtures)
from tracker.completeness import event_reads, history, loader, prepared
from tracker.completeness.driver import raw_rows
from tracker.completeness.engine import Evaluator
from tracker.completeness.export import system_dict
from tracker.models import AISystem, EvidenceSystem

TODAY = date.today()


def test_a_query_built_once_reads_what_peewee_builds_each_time(busy, catalogue):  # noqa: F811
    kinds = tuple(event_reads.event_kinds_counted(catalogue))
    ids = [e for (e,) in EvidenceSystem.select(EvidenceSystem.evidence).tuples()]
    assert len(ids) > 2
    for days in (0, 30, 150, 400):
        end = loader.end_of(date.fromordinal(TODAY.toordinal() - days))
        for shape, build, values in (
            (("t events", kinds), lambda *v: history._events_query(*v, kinds), (busy.id, end)),
            (("t operators",), history._operators_query, (busy.id, end)),
            (("t reviews", len(ids)), history._reviews_query, (end, *ids)),
            (("t reviews", 1), history._reviews_query, (end, ids[0])),
            (("t reviews", 0), history._reviews_query, (end,)),
        ):
            expected = raw_rows(build(*values))
            assert prepared.rows(shape, build, *values) == expected, (shape, days)
            assert prepared.rows(shape, build, *values) == expected, (shape, days)  # kept
    # The reviews were really read (the data has some by today).
    today = loader.end_of(TODAY)
    assert prepared.rows(("t reviews", len(ids)), history._reviews_query, today, *ids)


def test_one_systems_snapshot_prepared_is_the_snapshot_built(busy, catalogue, monkeypatch):  # noqa: F811
    systems = [s for (s,) in AISystem.select(AISystem.id).tuples()]

    def answers() -> list[dict]:
        found = []
        for days in (0, 1, 29, 31, 90, 200, 400):
            day = date.fromordinal(TODAY.toordinal() - days)
            for system_id in systems:
                snapshot = loader.load_snapshot(day, catalogue, [system_id], include_retired=True)
                evaluator = Evaluator(catalogue, 30)
                found += [system_dict(evaluator.evaluate(s, snapshot)) for s in snapshot.systems]
        return found

    calls = []
    monkeypatch.setattr(
        prepared, "rows", lambda *a, _rows=prepared.rows: calls.append(a) or _rows(*a)
    )
    with_prepared = answers()
    # The prepared path was taken, for the waivers and the profile's history too.
    assert {"systems", "waivers", "profile changes"} <= {shape[0] for shape, *_ in calls}
    monkeypatch.setattr(prepared, "PREPARED_UP_TO", 0)
    calls.clear()
    built = answers()
    assert not calls
    assert with_prepared == built
    assert any(answer["requirements"] for answer in built)
