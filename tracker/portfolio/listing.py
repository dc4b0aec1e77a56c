"""The portfolio as the pages and the API list it: filtered, sorted, counted and paged in SQL.

The index (:mod:`tracker.portfolio.index`) decides the order, the page and the totals; the
systems on the page are then evaluated by the completeness engine (:func:`summaries`), so
that a page costs what it shows, whatever the number of systems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import peewee as pw

from tracker import db, vocabulary
from tracker.completeness import cycle_collector_paused, evaluator_for, load_snapshot
from tracker.completeness.facts import SystemCompleteness
from tracker.completeness.overdue import ACTION_COUNTS
from tracker.models import PortfolioRow
from tracker.plugin_host import Catalogue
from tracker.portfolio.index import Freshness

R = PortfolioRow
SORT_COLUMNS = {
    "name": R.name_key,
    # Nothing in force sorts below 0 %: it is the least known, not the best.
    "percent": R.percent_key,
    "overdue": R.overdue,
    "missing": R.missing,
    "expiring": R.expiring_soon,
    "pending": R.pending_review,
    "expired": R.expired,
    "stage": pw.Case(
        R.lifecycle_stage,
        [(stage, index) for index, stage in enumerate(vocabulary.LIFECYCLE_STAGES)],
        -1,
    ),
    "risk": pw.Case(
        R.risk_level, [(level, index) for index, level in enumerate(vocabulary.RISK_LEVELS)], -1
    ),
}
SORTS = tuple(SORT_COLUMNS)


@dataclass(frozen=True)
class Query:
    """Which systems, in which order. Empty strings and None mean "any"."""

    stage: str = ""
    risk: str = ""
    ready: bool | None = None
    text: str = ""  # a part of the name, in any case
    include_retired: bool = False
    sort: str = "name"
    descending: bool = False


@dataclass
class Listing:
    """One page of the portfolio: its systems in order, and what the whole selection adds up to."""

    system_ids: list[int]
    total: int
    totals: dict[str, int]  # ACTION_COUNTS over every selected system
    freshness: Freshness = field(default_factory=Freshness)


def _selected(as_of: date, query: Query) -> pw.ModelSelect:
    condition = R.as_of == as_of
    if not query.include_retired:
        condition &= R.retired == False
    if query.stage:
        condition &= R.lifecycle_stage == query.stage
    if query.risk:
        condition &= R.risk_level == query.risk
    if query.ready is not None:
        condition &= R.ready == query.ready
    if query.text:
        position = pw.fn.STRPOS if db.is_postgres() else pw.fn.INSTR
        condition &= position(R.name_key, query.text.casefold()) > 0
    return R.select().where(condition)


def page(
    as_of: date,
    query: Query,
    offset: int = 0,
    limit: int | None = 50,
    freshness: Freshness | None = None,
) -> Listing:
    """The page of ``limit`` systems from ``offset`` (``limit=None``: every one), with the
    selection's size and totals. The date's rows must be current (:func:`index.ensure`)."""
    key = SORT_COLUMNS.get(query.sort, R.name_key)
    order = [key.desc() if query.descending else key.asc()]
    if query.sort != "name":
        order.append(R.name_key.asc())  # ties in a readable order, whichever the direction
    order.append(R.system_id.asc())
    selected = _selected(as_of, query)
    page = selected.select(R.system_id).order_by(*order).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    sums = (
        selected.select(
            pw.fn.COUNT(R.system_id),
            *(pw.fn.COALESCE(pw.fn.SUM(getattr(R, name)), 0) for name in ACTION_COUNTS),
        )
        .tuples()
        .get()
    )
    return Listing(
        [row[0] for row in page.tuples()],
        sums[0],
        dict(zip(ACTION_COUNTS, (int(value) for value in sums[1:]), strict=True)),
        freshness or Freshness(),
    )


def rows(as_of: date, query: Query) -> list[PortfolioRow]:
    """Every selected row, in order: what an export of the whole selection writes."""
    key = SORT_COLUMNS.get(query.sort, R.name_key)
    order = [key.desc() if query.descending else key.asc(), R.name_key.asc(), R.system_id.asc()]
    return list(_selected(as_of, query).order_by(*order))


def frameworks(as_of: date, query: Query) -> list[str]:
    """The frameworks that reach any selected system (the frameworks view's columns)."""
    found: set[str] = set()
    for (scores,) in _selected(as_of, query).select(R.frameworks).distinct().tuples():
        found.update(scores if isinstance(scores, dict) else {})
    return sorted(found)


def summaries(
    as_of: date, catalogue: Catalogue, system_ids: Sequence[int], expiring_soon_days: int = 30
) -> list[SystemCompleteness]:
    """The engine's summaries of the given systems on the date, in the given order."""
    if not system_ids:
        return []
    with cycle_collector_paused():
        snapshot = load_snapshot(as_of, catalogue, system_ids, include_retired=True)
        evaluator = evaluator_for(catalogue, expiring_soon_days)
        found = {
            system.id: evaluator.evaluate(system, snapshot, detail=False)
            for system in snapshot.systems
        }
    return [found[system_id] for system_id in system_ids if system_id in found]
