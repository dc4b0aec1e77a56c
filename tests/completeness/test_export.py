"""The export's hand-written row dict gives exactly what the generic walk of the dataclasses gave."""

from __future__ import annotations

from datetime import date

from tests.conftest import DEPLOYMENT
from tracker import completeness
from tracker.audit import jsonable
from tracker.completeness.export import _plain, item_dict
from tracker.completeness.facts import EvidenceRef, ItemStatus, OperatorStatus
from tracker.plugin_host import load_catalogue


def generic(item: ItemStatus) -> dict:
    return jsonable({**_plain(item), "operators_missing": item.operators_missing})


def test_a_row_with_evidence_operators_and_dates_is_written_as_the_generic_walk_writes_it():
    item = ItemStatus(
        "eu-led.dpia",
        "eu-led",
        "DPIA",
        "operator",
        "expiring",
        "deployment",
        True,
        "LED, Art. 27",
        "verified",
        "dpo",
        date(2026, 1, 1),
        date(2027, 2, 3),
        [EvidenceRef(4, "DPIA v2", "impact_assessment", 2, "expiring", date(2027, 2, 3), "n")],
        [OperatorStatus(1, "A. Diallo", "missing"), OperatorStatus(2, "B. Costa", "satisfied")],
        7,
        "detail",
        "why",
    )
    written = item_dict(item)
    assert written == generic(item)
    assert list(written) == list(generic(item))  # the same order of keys in the JSON
    assert written["operators_missing"] == ["A. Diallo"]


def test_every_row_of_the_demo_agency_is_written_as_the_generic_walk_writes_it(
    settings, migrated, demo_agency
):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    rows = 0
    for result in completeness.for_portfolio(date.today(), catalogue, detail=True):
        for item in result.items:
            assert item_dict(item) == generic(item), item.requirement_id
            rows += 1
    assert rows > 100
