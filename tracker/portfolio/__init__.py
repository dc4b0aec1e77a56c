"""The portfolio at national scale: every system's completeness as one indexed query.

A portfolio of 20,000 systems cannot be recomputed per request. Each system's summary on a
date is kept in ``portfolio_row`` (:mod:`.index`) with the stamps it was computed at; database
triggers bump a system's stamp on every write to a fact completeness reads (:mod:`.stamps`),
so a row is stale exactly when something it depends on changed. A request brings the date's
rows up to date (the few systems written to since, at once; thousands at once, such as after
an agency-wide item, in the background, the answer marked as being refreshed), then sorts,
filters, counts and pages them in SQL (:mod:`.listing`). The rows a page shows are evaluated
again by the completeness engine itself, so what a reader sees is always the engine's answer,
in the reader's language.
"""

from __future__ import annotations

from tracker.portfolio.index import Freshness, catalogue_key, ensure, refresh, stale

__all__ = [
    "Freshness",
    "catalogue_key",
    "ensure",
    "refresh",
    "stale",
]
