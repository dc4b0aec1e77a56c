"""The replay evaluator keeps the baselines of every date a chart replays: a second system page
on the same day builds none again (the engine's evaluators keep four dates; a chart has up to
thirteen, and each date pushed out another's baselines, on every request)."""

from __future__ import annotations

from datetime import date

from tests.completeness.test_history import busy, catalogue, dpo  # noqa: F401 (fixtures)
from tracker import completeness
from tracker.completeness import history, sets

TODAY = date.today()


def test_a_second_replay_of_a_chart_builds_no_baseline_again(busy, catalogue, monkeypatch):  # noqa: F811
    dates = history.chart_dates(busy.created_at.date(), TODAY)
    assert len(dates) > 4  # more than the engine's evaluators keep
    first = history.replay(busy.id, dates, catalogue, detailed=[TODAY])
    built = []
    original = sets.Tally.__init__

    def counting(self, *args, **kwargs):
        built.append(args[1])
        original(self, *args, **kwargs)

    monkeypatch.setattr(sets.Tally, "__init__", counting)
    again = history.replay(busy.id, dates, catalogue, detailed=[TODAY])
    assert built == []
    # And the answers are the same, and the engine's own on each date.
    assert {d: r.overall.counts for d, r in again.items()} == {
        d: r.overall.counts for d, r in first.items()
    }
    for day in dates:
        expected = completeness.for_system(busy.id, day, catalogue)
        assert again[day].overall.counts == expected.overall.counts, day
        assert again[day].blocking_statuses == expected.blocking_statuses, day


def test_the_replay_evaluator_keeps_a_chart_of_dates_and_no_more(catalogue):  # noqa: F811
    evaluator = history.replay_evaluator(catalogue)
    assert isinstance(evaluator, history.ReplayEvaluator)
    assert evaluator.dates_kept > history.CHART_MONTHS + 1
    assert history.replay_evaluator(catalogue) is evaluator
