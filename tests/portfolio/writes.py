"""Random writes of every kind completeness reads, for the tests of what is derived from the
register (the portfolio's rows, the chart's kept points, the kept answers): each must notice
every kind. And the settings and events those tests share."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest

from tests import sample_files
from tracker import db, evidence_items, register, reviews, waivers
from tracker.completeness import for_portfolio
from tracker.db import utcnow
from tracker.models import AISystem, Evidence, Operator
from tracker.portfolio import parallel, recompute


def read_in_chunks(monkeypatch, workers: bool = True) -> None:
    """Read as a national agency is: a chunk of two systems at a time, by their ids; with
    ``workers``, shared out among two worker processes too, as it is recomputed."""
    monkeypatch.setattr(recompute, "WHOLE_AGENCY", 0)
    monkeypatch.setattr(recompute, "CHUNK", 2)
    if workers:
        monkeypatch.setattr(parallel, "FROM", 0)
        monkeypatch.setattr(parallel, "CHUNK", 2)
        monkeypatch.setattr(parallel, "cores", lambda: 2)


def event_due_in_a_minute(catalogue, legal) -> tuple[AISystem, datetime, datetime]:
    """Record, on a system an event-triggered requirement in force applies to, an event whose
    deadline is a minute from now: (the system, now, the end of today). Skips the test too close
    to midnight for a deadline later today."""
    today = date.today()
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
    occurred = now + timedelta(minutes=1) - timedelta(hours=hours)
    system = AISystem.get_by_id(system_id)
    register.record_event(system, kind, occurred, "Use", legal, "test", catalogue)
    return system, now, end_of_day


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
