"""The portfolio's index gives exactly the engine's answers, whatever is written and however.

The demo agency's year, then random writes of every kind (through the domain functions, and
as plain SQL): after each, the index of several dates, kept up to date by ``ensure``, must
equal a fresh evaluation of every system by the completeness engine on those dates.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests.portfolio.writes import Writer, event_due_in_a_minute, read_in_chunks
from tracker import db, i18n
from tracker.completeness import export, for_portfolio
from tracker.db import utcnow
from tracker.models import AISystem, PortfolioRow
from tracker.plugin_host import load_catalogue_for
from tracker.portfolio import index, stamps, summary

COMPARED = (
    "name",
    "lifecycle_stage",
    "risk_level",
    "retired",
    "ready",
    "nothing_applies",
    "percent",
    "overdue",
    "missing",
    "expiring_soon",
    "pending_review",
    "expired",
    "stage_overdue",
    "event_overdue",
    "frameworks",
)


def shown(result) -> tuple:
    """A summary as the API gives it, and its sentences as a French reader reads them."""
    with i18n.using("fr"):
        french = [str(reason) for reason in result.reasons], str(result.nothing_applies)
    return export.system_dict(result, with_items=False), french


def engine_answer(as_of: date, catalogue) -> dict[int, tuple]:
    """What the engine says of every system registered by the date, as the index keeps it."""
    risks = dict(AISystem.select(AISystem.id, AISystem.risk_level).tuples())
    found = {}
    for result in for_portfolio(as_of, catalogue, include_retired=True):
        row = index._row(
            result,
            catalogue,
            risk_level=risks[result.system_id],
            stamp=0,
            agency_stamp=0,
            key="",
            now=utcnow(),
        )
        found[result.system_id] = (tuple(row[name] for name in COMPARED), shown(result))
    return found


def index_answer(as_of: date, catalogue) -> dict[int, tuple]:
    index.ensure(as_of, catalogue, wait=True)
    return {
        row.system_id: (
            tuple(getattr(row, name) for name in COMPARED),
            shown(summary.loads(row.summary)),
        )
        for row in PortfolioRow.select().where(PortfolioRow.as_of == as_of)
    }


@pytest.mark.parametrize(
    "reading", ["whole agency", "chunks of two systems", "chunks of two systems, two workers"]
)
def test_the_index_equals_the_engine_after_random_writes_on_many_dates(
    agency, reading, monkeypatch
):
    if reading != "whole agency":
        read_in_chunks(monkeypatch, workers=reading.endswith("two workers"))
    catalogue, store, legal, dpo = agency
    rng = random.Random(20261127)
    writer = Writer(rng, catalogue, store, legal, dpo)
    today = date.today()
    dates = [
        today,
        today - timedelta(days=40),
        today - timedelta(days=200),
        today + timedelta(days=45),
    ]
    for as_of in dates:  # every date indexed before the writes, so each write must reach it
        assert index_answer(as_of, catalogue) == engine_answer(as_of, catalogue)
    kinds = list(Writer.KINDS) * 3
    rng.shuffle(kinds)
    for kind in kinds:
        what = getattr(writer, kind)()
        for as_of in [today, rng.choice(dates), today - timedelta(days=rng.randint(0, 365))]:
            assert index_answer(as_of, catalogue) == engine_answer(as_of, catalogue), (what, as_of)


def test_every_kind_of_write_marks_the_systems_it_touches_stale(agency):
    catalogue, store, legal, dpo = agency
    writer = Writer(random.Random(5), catalogue, store, legal, dpo)
    key = index.catalogue_key(catalogue, 30)
    today = date.today()
    for kind in Writer.KINDS:
        index.ensure(today, catalogue, wait=True)
        assert index.stale(today, key) == ([], [])
        before = stamps.agency_stamp()
        what = getattr(writer, kind)()
        missing, outdated = index.stale(today, key)
        if kind == "agency_wide":
            assert stamps.agency_stamp() > before
            assert len(outdated) == AISystem.select().where(AISystem.created_at <= utcnow()).count()
        elif kind == "register":
            assert len(missing) == 1 and not outdated
        else:
            assert outdated and len(outdated) < AISystem.select().count(), what


def test_a_catalogue_change_recomputes_every_row(agency, settings):
    catalogue = agency[0]
    today = date.today()
    index_answer(today, catalogue)
    fewer = load_catalogue_for(settings.with_overrides(jurisdictions=("eu-gdpr",)))
    assert index.catalogue_key(fewer, 30) != index.catalogue_key(catalogue, 30)
    assert index_answer(today, fewer) == engine_answer(today, fewer)
    assert index_answer(today, catalogue) == engine_answer(today, catalogue)


def test_many_stale_systems_are_refreshed_in_the_background_while_the_old_rows_answer(
    agency, monkeypatch
):
    catalogue, store, legal, dpo = agency
    today = date.today()
    index.ensure(today, catalogue, wait=True)
    monkeypatch.setattr(index, "AT_ONCE", 2)
    Writer(random.Random(3), catalogue, store, legal, dpo).agency_wide()
    background = index.Background()
    monkeypatch.setattr(index, "BACKGROUND", background)
    freshness = index.ensure(today, catalogue)
    assert freshness.refreshing and freshness.stale_systems > 2
    background.wait(60)
    assert not background.running(today)
    assert index.stale(today, index.catalogue_key(catalogue, 30)) == ([], [])
    assert index_answer(today, catalogue) == engine_answer(today, catalogue)


def test_a_large_refresh_leaves_the_planner_statistics_of_the_rows_it_wrote(agency, monkeypatch):
    catalogue = agency[0]
    monkeypatch.setattr(index, "AT_ONCE", 2)
    written = index.refresh(date.today(), catalogue)
    assert written > 2
    if db.is_postgres():
        # ANALYZE records the table's size in pg_class; a table never analysed has -1 there
        # (0 before PostgreSQL 14), whatever it holds.
        (estimated,) = db.database.execute_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'portfolio_row'::regclass"
        ).fetchone()
        assert estimated == PortfolioRow.select().count()
    else:
        # SQLite plans by its indexes alone: nothing analysed, no statistics table left behind.
        found = db.database.execute_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).fetchone()
        assert found == (0,)


def test_an_open_event_deadline_later_today_makes_todays_row_change_by_itself(agency):
    catalogue, _store, legal, _dpo = agency
    today = date.today()
    system, now, end_of_day = event_due_in_a_minute(catalogue, legal)
    index.ensure(today, catalogue, wait=True)
    row = PortfolioRow.get(PortfolioRow.as_of == today, PortfolioRow.system_id == system.id)
    assert row.changes_at is not None and now < row.changes_at <= end_of_day
    key = index.catalogue_key(catalogue, 30)
    assert system.id not in index.stale(today, key)[1]
    # Once the deadline has passed the row is stale: the duty is overdue now.
    PortfolioRow.update(changes_at=utcnow() - timedelta(seconds=1)).where(
        PortfolioRow.system_id == system.id
    ).execute()
    assert system.id in index.stale(today, key)[1]


def test_readers_of_a_new_day_wait_for_one_recompute_instead_of_each_doing_it(agency, monkeypatch):
    import threading

    catalogue = agency[0]
    monkeypatch.setattr(index, "AT_ONCE", 1)
    recomputed = []
    original = index.refresh

    def counting(as_of, catalogue, days=30, system_ids=None, progress=None):
        system_ids = list(system_ids)
        recomputed.extend(system_ids)
        return original(as_of, catalogue, days, system_ids, progress)

    monkeypatch.setattr(index, "refresh", counting)
    answers = []

    def read():
        with db.database.connection_context():
            answers.append(index.ensure(date.today(), catalogue))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    assert len(answers) == 3 and not any(answer.refreshing for answer in answers)
    assert sorted(recomputed) == sorted(system.id for system in AISystem.select())


def test_rows_written_in_another_layout_are_recomputed_not_misread(agency, monkeypatch):
    from tracker.portfolio import listing

    catalogue = agency[0]
    today = date.today()
    index.ensure(today, catalogue, wait=True)
    PortfolioRow.update(summary='{"layout": "of an older version"}').execute()
    monkeypatch.setattr(summary, "FORMAT", summary.FORMAT + 1)
    catalogue.derived.clear()  # a new version of the code starts with a new key
    found = listing.page(today, listing.Query(), freshness=index.ensure(today, catalogue))
    assert [r.system_id for r in found.results()] == found.system_ids
