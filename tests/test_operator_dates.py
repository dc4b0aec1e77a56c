"""Operators are authorised for a period: from a first day, until a last day or their removal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.factories import profile
from tracker import completeness, register
from tracker.db import utcnow
from tracker.errors import Conflict, ValidationFailed
from tracker.models import AISystem, AuditEvent
from tracker.plugin_host import load_catalogue


@pytest.fixture
def system(migrated):
    created = register.create_system(profile(), "test", load_catalogue())
    AISystem.update(created_at=datetime(2025, 12, 1)).where(AISystem.id == created.id).execute()
    return AISystem.get_by_id(created.id)


def operator(system, **dates):
    data = {"name": "Ana Duarte", "email": "ana@police.example", "unit": "Forensics", **dates}
    return register.add_operator(system, data, "test")


def test_the_days_become_the_moments_the_authorisation_starts_and_ends(system):
    added = operator(system, authorised_from="2026-01-05", authorised_until="2026-06-30")
    assert added.added_at == datetime(2026, 1, 5)
    assert added.removed_at == datetime(2026, 7, 1)  # the midnight after the last day
    assert register.last_day(added) == date(2026, 6, 30)
    audit = AuditEvent.select().where(AuditEvent.action == "operator.added").get()
    assert "2026-01-05" in str(audit.after) and "2026-07-01" in str(audit.after)


def test_without_dates_the_authorisation_starts_now_and_has_no_end(system):
    before = utcnow()
    added = operator(system)
    assert before <= added.added_at <= utcnow()
    assert added.removed_at is None and register.last_day(added) is None


def test_an_operator_with_a_last_day_ahead_is_current_and_one_past_it_is_not(system):
    soon = operator(system, authorised_until=(date.today() + timedelta(days=10)).isoformat())
    gone = register.add_operator(
        system,
        {
            "name": "Old hand",
            "email": "old@police.example",
            "authorised_from": "2024-01-01",
            "authorised_until": "2025-01-31",
        },
        "test",
    )
    assert [o.id for o in register.list_operators(system)] == [soon.id]
    assert {o.id for o in register.list_operators(system, include_removed=True)} == {
        soon.id,
        gone.id,
    }
    assert not register.has_ended(soon) and register.has_ended(gone)
    with pytest.raises(Conflict):
        register.update_operator(gone, {"unit": "x"}, "test")
    # The last day still ahead can be changed, then the operator removed today.
    changed = register.update_operator(soon, {"authorised_until": None}, "test")
    assert changed.removed_at is None
    removed = register.remove_operator(changed, "test")
    assert register.has_ended(removed)


def test_the_last_day_cannot_come_before_the_first(system):
    with pytest.raises(ValidationFailed) as refused:
        operator(system, authorised_from="2026-03-01", authorised_until="2026-02-01")
    assert "authorised_until" in refused.value.errors
    added = operator(system, authorised_from="2026-03-01")
    with pytest.raises(ValidationFailed) as refused:
        register.update_operator(added, {"authorised_until": "2026-02-27"}, "test")
    assert "2026-03-01" in str(refused.value.errors["authorised_until"])
    with pytest.raises(ValidationFailed) as refused:
        operator(system, authorised_from="2026-13-01")
    assert "authorised_from" in refused.value.errors


def test_completeness_counts_an_operator_only_within_the_authorisation(system):
    catalogue = load_catalogue()
    operator(system, authorised_from="2026-02-01", authorised_until="2026-02-28")

    def operators_on(day: date) -> set[str]:
        result = completeness.for_system(system.id, day, catalogue)
        return {o.name for item in result.items for o in item.operators}

    assert operators_on(date(2026, 1, 31)) == set()
    assert operators_on(date(2026, 2, 1)) == {"Ana Duarte"}
    assert operators_on(date(2026, 2, 28)) == {"Ana Duarte"}
    assert operators_on(date(2026, 3, 1)) == set()
