"""``tracker portfolio refresh``: rebuild the portfolio's index from the shell."""

from datetime import date, timedelta

from tests.factories import profile
from tracker import register
from tracker.completeness import history
from tracker.db import utcnow
from tracker.models import AISystem, ChartPoint, KeptAnswer, PortfolioRow


def test_refresh_recomputes_the_stale_systems_then_every_one_with_all(runner, migrated):
    for number in range(3):
        register.create_system(profile(name=f"System {number}"), "test")
    first = runner.tracker("portfolio", "refresh")
    assert first.exit_code == 0, first.output
    assert f"3 systems recomputed for {date.today().isoformat()}" in first.output
    assert PortfolioRow.select().where(PortfolioRow.as_of == date.today()).count() == 3
    again = runner.tracker("portfolio", "refresh")
    assert "0 systems recomputed" in again.output
    assert "0 chart points recomputed" in again.output
    register.update_system(register.get_system(1), {"risk_level": "low"}, "test")
    assert "1 system recomputed" in runner.tracker("portfolio", "refresh").output
    assert "3 systems recomputed" in runner.tracker("portfolio", "refresh", "--all").output
    past = (date.today() - timedelta(days=400)).isoformat()
    assert (
        f"0 systems recomputed for {past}"
        in runner.tracker("portfolio", "refresh", "--as-of", past).output
    )


def test_a_bad_date_is_a_plain_message(runner, migrated):
    result = runner.tracker("portfolio", "refresh", "--as-of", "tomorrow")
    assert result.exit_code == 2 and "--as-of" in result.output


def test_refresh_keeps_the_charts_points_of_the_systems_registered_by_each_month(runner, migrated):
    for number, days_ago in enumerate((20, 100, 500)):
        system = register.create_system(profile(name=f"System {number}"), "test")
        AISystem.update(created_at=utcnow() - timedelta(days=days_ago)).where(
            AISystem.id == system.id
        ).execute()
    # Each system's chart days before today: the month starts it was registered by, and the
    # day it was registered when that falls within the chart's months.
    expected = sum(
        len(history.chart_dates(registered, date.today())[:-1])
        for registered in (date.today() - timedelta(days=d) for d in (20, 100, 500))
    )
    first = runner.tracker("portfolio", "refresh")
    assert first.exit_code == 0, first.output
    assert f"{expected} chart points recomputed" in first.output
    assert ChartPoint.select().count() == expected
    assert "0 chart points recomputed" in runner.tracker("portfolio", "refresh").output
    assert f"{expected} chart points recomputed" in (
        runner.tracker("portfolio", "refresh", "--all").output
    )
    past = (date.today() - timedelta(days=40)).isoformat()
    only_that_day = runner.tracker("portfolio", "refresh", "--as-of", past).output
    assert "chart point" not in only_that_day
    today = runner.tracker("portfolio", "refresh", "--as-of", date.today().isoformat()).output
    assert "0 chart points recomputed" in today


def test_refresh_keeps_each_systems_answer_for_today(runner, migrated):
    for number in range(3):
        register.create_system(profile(name=f"System {number}"), "test")
    first = runner.tracker("portfolio", "refresh")
    assert first.exit_code == 0, first.output
    assert "3 answers kept" in first.output
    assert KeptAnswer.select().where(KeptAnswer.day == date.today()).count() == 3
    assert "0 answers kept" in runner.tracker("portfolio", "refresh").output
    register.update_system(register.get_system(1), {"risk_level": "low"}, "test")
    assert "1 answer kept" in runner.tracker("portfolio", "refresh").output
    assert "3 answers kept" in runner.tracker("portfolio", "refresh", "--all").output
    past = (date.today() - timedelta(days=40)).isoformat()
    assert "answer" not in runner.tracker("portfolio", "refresh", "--as-of", past).output
