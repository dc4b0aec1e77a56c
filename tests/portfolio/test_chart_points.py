"""The chart's kept points are exactly the replay's, and a point is never read once what it was
computed from has changed: after writes of every kind, a system's kept points are either
absent or equal to a fresh replay of its history, and a refresh brings back every one."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests.factories import profile
from tests.portfolio.writes import Writer, read_in_chunks
from tracker import db, register
from tracker.completeness import history
from tracker.completeness.driver import as_moment
from tracker.db import utcnow
from tracker.models import AISystem, ChartPoint
from tracker.plugin_host import load_catalogue_for
from tracker.portfolio import chart_points, index, recompute


def chart_days(today: date) -> dict[int, list[date]]:
    """Each system's chart days before today, as its page asks for them."""
    return {
        system_id: history.chart_dates(as_moment(created_at).date(), today)[:-1]
        for system_id, created_at in AISystem.select(AISystem.id, AISystem.created_at)
        .order_by(AISystem.id)
        .tuples()
    }


def replayed(catalogue, today: date) -> dict[int, dict[date, float | None]]:
    """Each system's points on its chart's days before today, replayed from its history."""
    return {
        system_id: dict(history.overall_history(system_id, days, catalogue, 30))
        for system_id, days in chart_days(today).items()
    }


def kept(catalogue, today: date) -> dict[int, dict[date, float | None]]:
    key = index.catalogue_key(catalogue, 30)
    return {
        system_id: chart_points.kept(system_id, days, key)
        for system_id, days in chart_days(today).items()
    }


def test_the_kept_days_are_the_charts_month_starts_before_today():
    today = date(2026, 11, 28)
    days = chart_points.days_kept(today)
    assert days == [date(2025, 12, 1)] + [date(2026, month, 1) for month in range(1, 12)]
    assert chart_points.days_kept(date(2026, 11, 1))[-1] == date(2026, 10, 1)  # not today
    registered_long_ago = history.chart_dates(date(2020, 1, 1), today)
    assert registered_long_ago == [*days, today]


@pytest.mark.parametrize("reading", ["in this process", "chunks of two systems, two workers"])
def test_kept_points_equal_the_replay_after_random_writes(agency, reading, monkeypatch):
    if reading != "in this process":
        read_in_chunks(monkeypatch)
    catalogue, store, legal, dpo = agency
    today = date.today()
    written = chart_points.refresh(today, catalogue)
    truth = replayed(catalogue, today)
    assert written == sum(len(points) for points in truth.values()) > 0
    assert kept(catalogue, today) == truth
    assert any(p is not None for points in truth.values() for p in points.values())
    rng = random.Random(20261128)
    writer = Writer(rng, catalogue, store, legal, dpo)
    kinds = list(Writer.KINDS)
    rng.shuffle(kinds)
    for kind in kinds:
        what = getattr(writer, kind)()
        truth = replayed(catalogue, today)
        for system_id, points in kept(catalogue, today).items():
            # Either gone (stale) or still the replay's: a write never leaves a wrong point.
            assert all(truth[system_id][day] == percent for day, percent in points.items()), what
        chart_points.refresh(today, catalogue)
        assert kept(catalogue, today) == truth, what


def test_a_write_makes_the_points_of_the_systems_it_touches_stale_and_only_those(agency):
    catalogue, store, legal, dpo = agency
    today = date.today()
    key = index.catalogue_key(catalogue, 30)
    days = chart_points.days_kept(today)
    writer = Writer(random.Random(7), catalogue, store, legal, dpo)
    # Every system registered before today has a point kept: on the month starts, and on the
    # day it was registered when that falls within the chart's months.
    registered = set(recompute.registered_by(today - timedelta(days=1)))

    def stale() -> set[int]:
        on_registration = chart_points.registration_days(today, key).values()
        return {system_id for day in days for system_id in chart_points.stale(day, key)} | {
            system_id for ids in on_registration for system_id in ids
        }

    for kind in Writer.KINDS:
        chart_points.refresh(today, catalogue)
        assert stale() == set(), kind
        getattr(writer, kind)()
        if kind == "agency_wide":
            assert stale() == registered
        elif kind == "register":  # registered today: no point before today
            assert stale() == set()
        else:
            assert 0 < len(stale()) < len(registered), kind


def test_another_catalogue_reads_no_point_kept_for_this_one(agency, settings):
    catalogue = agency[0]
    today = date.today()
    chart_points.refresh(today, catalogue)
    fewer = load_catalogue_for(settings.with_overrides(jurisdictions=("eu-gdpr",)))
    days = chart_points.days_kept(today)
    system_id = recompute.registered_by(days[-1])[0]
    registered_on = [day for day in days if system_id in recompute.registered_by(day)]
    assert chart_points.kept(system_id, days, index.catalogue_key(fewer, 30)) == {}
    assert chart_points.kept(system_id, days, index.catalogue_key(catalogue, 60)) == {}
    assert len(chart_points.kept(system_id, days, index.catalogue_key(catalogue, 30))) == len(
        registered_on
    )


def test_points_of_days_the_chart_no_longer_shows_are_forgotten(agency):
    catalogue = agency[0]
    today = date.today()
    chart_points.refresh(today, catalogue)
    month_later = today + timedelta(days=31)
    chart_points.refresh(month_later, catalogue)
    days = {day for (day,) in ChartPoint.select(ChartPoint.day).distinct().tuples()}
    shown = {day for days in chart_days(month_later).values() for day in days}
    assert {d if isinstance(d, date) else date.fromisoformat(d) for d in days} == shown
    assert set(chart_points.days_kept(month_later)) <= shown


def test_a_system_registered_within_the_charts_months_has_its_first_point_kept(agency):
    catalogue = agency[0]
    today = date.today()
    system = register.create_system(profile(name="Registered ten weeks ago"), "test", catalogue)
    registered_at = utcnow() - timedelta(days=70)
    AISystem.update(created_at=registered_at).where(AISystem.id == system.id).execute()
    key = index.catalogue_key(catalogue, 30)
    assert chart_points.registration_days(today, key)[registered_at.date()] == [system.id]
    chart_points.refresh(today, catalogue)
    days = history.chart_dates(registered_at.date(), today)[:-1]
    assert days[0] == registered_at.date()
    assert chart_points.kept(system.id, days, key) == dict(
        history.overall_history(system.id, days, catalogue, 30)
    )
    assert chart_points.registration_days(today, key) == {}
    # A write to it: its first point is stale with the others.
    register.update_system(AISystem.get_by_id(system.id), {"risk_level": "low"}, "test", catalogue)
    assert chart_points.registration_days(today, key) == {registered_at.date(): [system.id]}


def test_every_point_is_recomputed_with_everything_and_the_statistics_follow(agency, monkeypatch):
    catalogue = agency[0]
    monkeypatch.setattr(chart_points, "AT_ONCE", 2)  # a large refresh, for the statistics
    today = date.today()
    first = chart_points.refresh(today, catalogue)
    assert chart_points.refresh(today, catalogue) == 0
    assert chart_points.refresh(today, catalogue, everything=True) == first
    if db.is_postgres():
        (estimated,) = db.database.execute_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'chart_point'::regclass"
        ).fetchone()
        assert estimated == ChartPoint.select().count() == first
