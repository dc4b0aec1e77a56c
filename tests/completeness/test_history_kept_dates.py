"""A chart's dates share their baselines: one per in-force epoch of each applicable set, kept
whatever the dates asked for, so a second system page on the same day, or one of a system
registered on another day, builds none again (they used to be kept per date, four dates at a
time, and a chart of thirteen dates pushed them out on every request)."""

from __future__ import annotations

from datetime import date

from tests.completeness.test_history import busy, catalogue, dpo  # noqa: F401 (fixtures)
from tracker import completeness
from tracker.completeness import history, sets

TODAY = date.today()


def test_a_second_replay_of_a_chart_builds_no_baseline_again(busy, catalogue, monkeypatch):  # noqa: F811
    dates = history.chart_dates(busy.created_at.date(), TODAY)
    assert len(dates) > 4  # more than the engine's evaluators keep the reach of
    # A fresh evaluator: what it builds is the first replay's own.
    fresh = history.ReplayEvaluator(catalogue, long_lived=True)
    monkeypatch.setattr(history, "replay_evaluator", lambda catalogue, days=30: fresh)
    asked: set[tuple[int, date, bool]] = set()  # (set, date, has operators) a summary started from
    epochs: set[tuple[int, int, bool]] = set()  # the same, by in-force epoch
    built: list[tuple[int, date, bool]] = []
    baseline, tally = sets.ApplicableSet.baseline, sets.Tally.__init__

    def asking(self, as_of, upcoming_index, has_operators):
        asked.add((id(self), as_of, has_operators))
        epochs.add((id(self), self.epoch(as_of), has_operators))
        return baseline(self, as_of, upcoming_index, has_operators)

    def counting(self, constants, as_of, has_operators):
        built.append((id(constants), as_of, has_operators))
        tally(self, constants, as_of, has_operators)

    monkeypatch.setattr(sets.ApplicableSet, "baseline", asking)
    monkeypatch.setattr(sets.Tally, "__init__", counting)
    first = history.replay(busy.id, dates, catalogue, detailed=[TODAY])
    # Several dates share a set, an epoch and operators (else this would not tell epochs from
    # dates), and they share one tally: one built per set, epoch and operators, not per date.
    assert len(epochs) < len(asked)
    assert len(built) == len(epochs)
    built.clear()
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
    assert history.CHART_MONTHS + 1 < evaluator.dates_kept <= history.CHART_MONTHS + 4
    assert history.replay_evaluator(catalogue) is evaluator


def test_dates_of_one_epoch_share_a_baseline_and_an_in_force_day_starts_another():
    from datetime import timedelta

    from tests.completeness.test_engine import catalogue_of, requirement
    from tracker.completeness.engine import Evaluator

    later = TODAY + timedelta(days=30)
    evaluator = Evaluator(
        catalogue_of(requirement("a.now"), requirement("a.later", in_force_from=later))
    )
    applicable = sets.ApplicableSet(evaluator._ordered)
    before = applicable.baseline(TODAY - timedelta(days=400), None, False)
    assert applicable.baseline(TODAY, None, False) is before
    assert applicable.baseline(later - timedelta(days=1), None, False) is before
    after = applicable.baseline(later, None, False)
    assert after is not before
    assert before.tally.status == {"a.now": "missing", "a.later": "not_in_force"}
    assert after.tally.status == {"a.now": "missing", "a.later": "missing"}
    assert applicable.baseline(later + timedelta(days=900), None, False) is after
