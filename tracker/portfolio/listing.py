"""The portfolio as the pages and the API list it: filtered, sorted, counted and paged in SQL.

The index (:mod:`tracker.portfolio.index`) decides the order, the page and the totals, and
holds each system's summary: a page costs what it shows, whatever the number of systems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import peewee as pw

from tracker import db, prepared, vocabulary
from tracker.completeness.facts import SystemCompleteness
from tracker.completeness.overdue import ACTION_COUNTS
from tracker.models import PortfolioRow
from tracker.portfolio import summary
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
    """One page of the portfolio: its rows in order, and what the whole selection adds up to."""

    rows: list[PortfolioRow]
    total: int
    totals: dict[str, int]  # ACTION_COUNTS over every selected system
    freshness: Freshness = field(default_factory=Freshness)

    @property
    def system_ids(self) -> list[int]:
        return [row.system_id for row in self.rows]

    def results(self) -> list[SystemCompleteness]:
        """The page's summaries, as the engine gave them (sentences in the reader's language)."""
        return [summary.loads(row.summary) for row in self.rows]


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


def _order(query: Query) -> list:
    key = SORT_COLUMNS.get(query.sort, R.name_key)
    order = [key.desc() if query.descending else key.asc()]
    if query.sort != "name":
        order.append(R.name_key.asc())  # ties in a readable order, whichever the direction
    order.append(R.system_id.asc())
    return order


# (what, date, filters, version) -> an answer derived from every selected row (the count and
# totals, the frameworks): each costs a pass over the selection's rows, and stays what it is
# while the rows do. Bounded; shared by the threads of a process.
_KEPT: dict[tuple, Any] = {}
KEPT_MAX = 256


def _kept(what: str, as_of: date, query: Query, version: tuple | None, compute) -> Any:
    filters = (query.stage, query.risk, query.ready, query.text, query.include_retired)
    key = (what, as_of, filters, version)
    found = _KEPT.get(key) if version is not None else None
    if found is None:
        found = compute()
        if version is not None:
            if len(_KEPT) >= KEPT_MAX:
                _KEPT.clear()
            _KEPT[key] = found
    return found


def _sums(as_of: date, query: Query, version: tuple | None) -> tuple[int, dict[str, int]]:
    def compute() -> tuple[int, dict[str, int]]:
        values = (
            _selected(as_of, query)
            .select(
                pw.fn.COUNT(R.system_id),
                *(pw.fn.COALESCE(pw.fn.SUM(getattr(R, name)), 0) for name in ACTION_COUNTS),
            )
            .tuples()
            .get()
        )
        return values[0], dict(zip(ACTION_COUNTS, map(int, values[1:]), strict=True))

    return _kept("sums", as_of, query, version, compute)


def page(
    as_of: date,
    query: Query,
    offset: int = 0,
    limit: int | None = 50,
    freshness: Freshness | None = None,
    columns: tuple[pw.Field, ...] = (),
) -> Listing:
    """The page of ``limit`` systems from ``offset`` (``limit=None``: every one), with the
    selection's size and totals. The date's rows must be current (:func:`index.ensure`, whose
    answer ``freshness`` is). ``columns``: only those of each row (a page that reads the
    summary need not parse the frameworks' JSON too); every one by default."""
    freshness = freshness or Freshness()
    if limit is None:
        selected = _selected(as_of, query).order_by(*_order(query)).offset(offset)
    else:
        # The page's systems are chosen from the sort keys alone, then read by primary key and
        # put in that order: ordered and skipped whole, every row before the page went through
        # the sort with its summary (~10 KB of JSON); a deep page of 20,000 systems took
        # 110-1,100 ms on SQLite, 35-40 ms so.
        chosen = _chosen(as_of, query, offset, limit)
    if columns and not any(column is R.system_id for column in columns):
        # The page is put in order by system id (a field compared by identity: == builds SQL).
        columns = (R.system_id, *columns)
    total, totals = _sums(as_of, query, freshness.version)
    if limit is None:
        if columns:
            selected = selected.select(*columns)
        return Listing(list(selected), total, totals, freshness)

    def read(as_of: date, *system_ids: int) -> pw.ModelSelect:
        selected = R.select().where((R.as_of == as_of) & R.system_id.in_(list(system_ids)))
        return selected.select(*columns) if columns else selected

    # A page's two queries are built once per shape (tracker.prepared): building them was a
    # third of an API page's time.
    names = tuple(column.name for column in columns)
    found = prepared.select(("portfolio rows", names, len(chosen)), read, as_of, *chosen)
    by_id = {row.system_id: row for row in found} if chosen else {}
    return Listing([by_id[system_id] for system_id in chosen], total, totals, freshness)


def _chosen(as_of: date, query: Query, offset: int, limit: int) -> list[int]:
    """The ids of the page's systems, in order, chosen from the sort keys alone."""
    # Each value as the query compares it (a prepared query puts values in as they are given).
    given = {"stage": query.stage, "risk": query.risk, "text": query.text.casefold()}
    used = tuple(name for name, value in given.items() if value)

    def build(as_of: date, *values: Any) -> pw.Query:
        *filters, offset, limit = values
        chosen = Query(
            **dict(zip(used, filters, strict=True)),
            ready=query.ready,
            include_retired=query.include_retired,
            sort=query.sort,
            descending=query.descending,
        )
        return (
            _selected(as_of, chosen)
            .select(R.system_id)
            .order_by(*_order(chosen))
            .offset(offset)
            .limit(limit)
            .tuples()
        )

    shape = (
        "portfolio page",
        used,
        query.ready,
        query.include_retired,
        query.sort,
        query.descending,
    )
    values = [given[name] for name in used]
    return [
        system_id for (system_id,) in prepared.rows(shape, build, as_of, *values, offset, limit)
    ]


def rows(as_of: date, query: Query) -> pw.ModelSelect:
    """Every selected row, in order: what an export of the whole selection writes."""
    return _selected(as_of, query).order_by(*_order(query))


def frameworks(as_of: date, query: Query, freshness: Freshness | None = None) -> list[str]:
    """The frameworks that reach any selected system (the frameworks view's columns)."""

    def compute() -> list[str]:
        found: set[str] = set()
        for (scores,) in _selected(as_of, query).select(R.frameworks).distinct().tuples():
            found.update(scores if isinstance(scores, dict) else {})
        return sorted(found)

    return _kept("frameworks", as_of, query, (freshness or Freshness()).version, compute)
