"""Completeness: for each AI system on a date, what the law requires, what it has, and what is missing.

``loader`` reads everything dated on or before the date in a fixed number of
queries; ``engine`` decides each requirement's status in plain Python;
``export`` renders the result as JSON, CSV or a table. No web framework here.
"""

from __future__ import annotations

from datetime import date

from tracker.completeness.engine import Evaluator
from tracker.completeness.facts import STATUSES, SystemCompleteness
from tracker.completeness.loader import load_snapshot
from tracker.errors import NotFound
from tracker.plugin_host import Catalogue

__all__ = ["STATUSES", "SystemCompleteness", "for_portfolio", "for_system", "load_snapshot"]


def for_system(
    system_id: int, as_of: date, catalogue: Catalogue, expiring_soon_days: int = 30
) -> SystemCompleteness:
    """One system's completeness on ``as_of`` (retired systems included)."""
    snapshot = load_snapshot(as_of, catalogue, [system_id], include_retired=True)
    if not snapshot.systems:
        raise NotFound("AI system", f"{system_id} on {as_of.isoformat()} (not registered by then)")
    return Evaluator(catalogue, expiring_soon_days).evaluate(snapshot.systems[0], snapshot)


def for_portfolio(
    as_of: date,
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    include_retired: bool = False,
    detail: bool = False,
) -> list[SystemCompleteness]:
    """Every system's completeness on ``as_of``: summaries, or with ``detail`` every requirement."""
    snapshot = load_snapshot(as_of, catalogue, include_retired=include_retired)
    evaluator = Evaluator(catalogue, expiring_soon_days)
    return [evaluator.evaluate(system, snapshot, detail) for system in snapshot.systems]
