"""The portfolio's index gives exactly the engine's answers, whatever is written and however.

The demo agency's year, then random writes of every kind (through the domain functions, and
as plain SQL): after each, the index of several dates, kept up to date by ``ensure``, must
equal a fresh evaluation of every system by the completeness engine on those dates.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta

import pytest

from evidence import ContentStore
from tests import sample_files
from tracker import accounts, db, evidence_items, i18n, register, reviews, waivers
from tracker.completeness import export, for_portfolio
from tracker.db import utcnow
from tracker.models import AISystem, Evidence, Operator, PortfolioRow
from tracker.plugin_host import load_catalogue_for
from tracker.portfolio import index, parallel, stamps, summary

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


@pytest.fixture
def agency(settings, migrated, demo, demo_snapshots):
    demo_snapshots.copy_into(settings, demo)
    legal = accounts.create_user("index-legal", "legal", "test")
    dpo = accounts.create_user("index-dpo", "dpo", "test")
    return load_catalogue_for(settings), ContentStore(settings.evidence_dir), legal, dpo


class Writer:
    """Random writes of each kind completeness reads, through the domain functions."""

    def __init__(self, rng, catalogue, store, legal, dpo):
        self.rng, self.catalogue, self.store = rng, catalogue, store
        self.legal, self.dpo = legal, dpo
        self.today = date.today()

    def _system(self) -> AISystem:
        active = AISystem.select().where(AISystem.retired_at.is_null()).order_by(AISystem.id)
        return self.rng.choice(list(active))

    def _requirement(self, scope=None):
        found = [
            r
            for r in self.catalogue.requirements.values()
            if not r.deadline_after_event and (scope is None or r.scope == scope)
        ]
        return self.rng.choice(found)

    def _day(self, low: int, high: int) -> date:
        return self.today + timedelta(days=self.rng.randint(low, high))

    def _evidence(self, **metadata) -> Evidence:
        content = sample_files.pdf(f"item {self.rng.random()}")
        files = [evidence_items.IncomingFile(self.store.put(io.BytesIO(content)), "item.pdf")]
        return evidence_items.add_evidence(self.store, metadata, files, self.legal, "test")

    def evidence(self) -> str:
        requirement = self._requirement("system")
        self._evidence(
            kind=requirement.evidence_kinds[0],
            title="Random item",
            requirement_ids=[requirement.id],
            system_ids=[self._system().id],
            issued_on=self._day(-300, -1),
            valid_until=self.rng.choice([None, self._day(-20, 60)]),
        )
        return "evidence"

    def agency_wide(self) -> str:
        requirement = self._requirement()
        self._evidence(
            kind=requirement.evidence_kinds[0],
            title="Agency-wide item",
            requirement_ids=[requirement.id],
            agency_wide=True,
            issued_on=self._day(-300, -1),
        )
        return "agency-wide evidence"

    def review(self) -> str:
        pending = list(
            Evidence.select().where(Evidence.superseded_at.is_null()).order_by(Evidence.id.desc())
        )
        item = self.rng.choice(pending[:20])
        decision = self.rng.choice(["accepted", "rejected"])
        reviews.review_evidence(item, decision, "Not signed.", self.dpo, "test")
        return "review"

    def waiver(self) -> str:
        requirement = self._requirement()
        waiver = waivers.request_waiver(
            self._system(),
            requirement.id,
            "Risk accepted by the board until the audit.",
            self._day(5, 90),
            self.legal,
            "test",
            self.catalogue,
        )
        waivers.approve_waiver(waiver, self.dpo, "Agreed.", "test")
        return "waiver"

    def profile(self) -> str:
        system = self._system()
        changes = self.rng.choice(
            [
                {"lifecycle_stage": self.rng.choice(["planning", "testing", "deployment"])},
                {"risk_level": self.rng.choice(["low", "high"])},
                {"public_facing": not system.public_facing},
            ]
        )
        register.update_system(system, changes, "test", self.catalogue)
        return "profile"

    def operator(self) -> str:
        system = self._system()
        current = list(
            Operator.select()
            .where(Operator.system == system, Operator.removed_at.is_null())
            .order_by(Operator.id)
        )
        if current and self.rng.random() < 0.4:
            register.remove_operator(self.rng.choice(current), "test")
            return "operator removed"
        number = self.rng.randint(1, 10**6)
        register.add_operator(
            system, {"name": f"Officer {number}", "email": f"o{number}@police.example"}, "test"
        )
        return "operator added"

    def event(self) -> str:
        kinds = sorted(
            {
                r.deadline_after_event[0]
                for r in self.catalogue.requirements.values()
                if r.deadline_after_event
            }
        )
        register.record_event(
            self._system(),
            self.rng.choice(kinds),
            utcnow() - timedelta(hours=self.rng.randint(1, 2000)),
            "Random event",
            self.legal,
            "test",
            self.catalogue,
        )
        return "event"

    def plain_sql(self) -> str:
        item = self.rng.choice(list(Evidence.select(Evidence.id).order_by(Evidence.id)))
        param = "%s" if db.is_postgres() else "?"
        db.database.execute_sql(
            f"UPDATE evidence SET valid_until = {param} WHERE id = {param}",
            (self._day(-10, 10), item.id),
        )
        return "plain SQL"

    def retire(self) -> str:
        register.retire_system(self._system(), "Replaced by a newer system.", "test")
        return "retired"

    def register(self) -> str:
        from tests.factories import profile

        register.create_system(profile(name=f"New {self.rng.random()}"), "test", self.catalogue)
        return "registered"

    KINDS = (
        "evidence",
        "agency_wide",
        "review",
        "waiver",
        "profile",
        "operator",
        "event",
        "plain_sql",
        "retire",
        "register",
    )


@pytest.mark.parametrize(
    "reading", ["whole agency", "chunks of two systems", "chunks of two systems, two workers"]
)
def test_the_index_equals_the_engine_after_random_writes_on_many_dates(
    agency, reading, monkeypatch
):
    if reading != "whole agency":  # as a national agency is read: a chunk at a time, by ids
        monkeypatch.setattr(index, "WHOLE_AGENCY", 0)
        monkeypatch.setattr(index, "CHUNK", 2)
    if reading.endswith("two workers"):  # as it is recomputed: by worker processes
        monkeypatch.setattr(parallel, "FROM", 0)
        monkeypatch.setattr(parallel, "CHUNK", 2)
        monkeypatch.setattr(parallel, "cores", lambda: 2)
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
    # A system and an event-triggered requirement that applies to it and is in force.
    system_id, requirement = next(
        (result.system_id, catalogue.requirements[item.requirement_id])
        for result in for_portfolio(today, catalogue, detail=True)
        for item in result.items
        if catalogue.requirements[item.requirement_id].deadline_after_event
        and item.status != "not_in_force"
        and not result.retired
    )
    kind, hours = requirement.deadline_after_event
    now = utcnow()
    end_of_day = datetime.combine(now.date(), datetime.max.time())
    if now + timedelta(minutes=2) >= end_of_day:
        pytest.skip("too close to midnight for a deadline later today")  # pragma: no cover
    # Its deadline one minute from now.
    occurred = now + timedelta(minutes=1) - timedelta(hours=hours)
    system = AISystem.get_by_id(system_id)
    register.record_event(system, kind, occurred, "Use", legal, "test", catalogue)
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
