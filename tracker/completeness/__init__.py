"""Completeness: for each AI system on a date, what the law requires, what it has, and what is missing.

``loader`` reads everything dated on or before the date in a fixed number of
queries; ``engine`` decides each requirement's status in plain Python;
``export`` renders the result as JSON, CSV or a table. No web framework here.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from tracker.completeness.engine import Evaluator
from tracker.completeness.facts import STATUSES, SystemCompleteness
from tracker.completeness.loader import load_snapshot
from tracker.errors import NotFound
from tracker.i18n.text import Phrase
from tracker.plugin_host import Catalogue

__all__ = [
    "STATUSES",
    "SystemCompleteness",
    "evaluator_for",
    "for_portfolio",
    "for_system",
    "load_snapshot",
]


def for_system(
    system_id: int, as_of: date, catalogue: Catalogue, expiring_soon_days: int = 30
) -> SystemCompleteness:
    """One system's completeness on ``as_of`` (retired systems included)."""
    snapshot = load_snapshot(as_of, catalogue, [system_id], include_retired=True)
    if not snapshot.systems:
        raise NotFound(
            "AI system",
            Phrase("%(id)s on %(day)s (not registered by then)", id=system_id, day=as_of),
        )
    return evaluator_for(catalogue, expiring_soon_days).evaluate(snapshot.systems[0], snapshot)


def for_portfolio(
    as_of: date,
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    include_retired: bool = False,
    detail: bool = False,
    explain: bool = True,
) -> list[SystemCompleteness]:
    """Every system's completeness on ``as_of``: summaries, or with ``detail`` every requirement
    (with ``explain=False``, without the reasons each applies: see ``Evaluator.evaluate``)."""
    with cycle_collector_paused():
        snapshot = load_snapshot(as_of, catalogue, include_retired=include_retired)
        # Every system's detail: an evaluator of the batch's own, which keeps every profile's
        # reasons while it runs (the server's keeps only its newest ones).
        evaluator = (
            Evaluator(catalogue, expiring_soon_days)
            if detail
            else evaluator_for(catalogue, expiring_soon_days)
        )
        results = [
            evaluator.evaluate(system, snapshot, detail, explain) for system in snapshot.systems
        ]
        # Freed while the collector is paused: on resuming, it would first scan all of it.
        del snapshot
    return results


def evaluator_for(catalogue: Catalogue, expiring_soon_days: int = 30) -> Evaluator:
    """The catalogue's evaluator, built once: every later call reuses what it has worked out
    (which requirements apply to which profile, the baselines of each applicable set)."""
    key = (Evaluator, expiring_soon_days)
    found = catalogue.derived.get(key)
    if found is None:
        found = catalogue.derived[key] = Evaluator(catalogue, expiring_soon_days, long_lived=True)
    return found


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a portfolio is built.

    A portfolio allocates a hundred thousand small objects that all stay alive and form no
    reference cycles; the collector would rescan the growing heap again and again for nothing,
    which doubled the time. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
