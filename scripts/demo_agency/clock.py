"""A controlled clock, so the demo's history is made by the real domain functions.

Every timestamp the tracker writes comes from ``tracker.db.utcnow`` (the models' defaults, the
audit trail, reviews, waivers, the reminders ledger), and the few checks against today's date
(an evidence date in the future, a waiver already expired) read ``date.today()`` in their
module. While a :class:`Clock` is installed both answer with the moment the clock is set to, so
an upload "eleven months ago" is stored, audited, hash-chained and validated exactly as it would
have been on that day. Nothing is edited after the fact. The clock is process-wide while
installed: the demo script runs nothing else meanwhile.

A :class:`Timeline` runs acts in the order of their moments, whatever order they were written
in, so the audit trail's ids follow its times.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from tracker import db

# Modules that compare with today's date themselves (the rest take it as an argument).
READS_TODAY = (
    "tracker.evidence_items",
    "tracker.waivers",
    "tracker.completeness.loader",
)


class Clock:
    """The time the tracker sees while installed; the real time when not set."""

    def __init__(self) -> None:
        self.moment: datetime | None = None  # naive UTC, like every stored timestamp

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def _now(self, tz: tzinfo | None) -> datetime:
        if self.moment is None:
            return datetime.now(tz)
        aware = self.moment.replace(tzinfo=UTC)
        return aware.astimezone(tz) if tz is not None else aware.astimezone().replace(tzinfo=None)

    def _today(self) -> date:
        return self.moment.date() if self.moment is not None else date.today()

    @contextmanager
    def installed(self) -> Iterator[Clock]:
        """Make ``utcnow()`` and the modules' ``date.today()`` read this clock, then restore."""
        clock = self

        class ClockDateTime(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
                return clock._now(tz)

        class ClockDate(date):
            @classmethod
            def today(cls) -> date:  # type: ignore[override]
                return clock._today()

        replaced: list[tuple[Any, str, Any]] = [(db, "datetime", ClockDateTime)]
        replaced += [(importlib.import_module(name), "date", ClockDate) for name in READS_TODAY]
        originals = [(module, name, getattr(module, name)) for module, name, _ in replaced]
        try:
            for module, name, value in replaced:
                setattr(module, name, value)
            yield self
        finally:
            for module, name, value in originals:
                setattr(module, name, value)
            self.moment = None


@dataclass(order=True)
class Act:
    moment: datetime
    sequence: int  # acts at the same moment keep the order they were added in
    do: Callable[[], Any] = field(compare=False)


class Timeline:
    """Acts to run at given moments (naive UTC), run in time order under a clock."""

    def __init__(self) -> None:
        self.acts: list[Act] = []

    def at(self, moment: datetime, do: Callable[[], Any]) -> None:
        self.acts.append(Act(moment, len(self.acts), do))

    def run(self, clock: Clock, until: datetime) -> None:
        """Run every act in time order; each must lie before ``until`` (the real now)."""
        late = [act.moment for act in self.acts if act.moment >= until]
        if late:
            raise ValueError(f"demo acts after {until:%Y-%m-%d %H:%M}: {late[:3]}")
        with clock.installed():
            for act in sorted(self.acts):
                clock.set(act.moment)
                act.do()
