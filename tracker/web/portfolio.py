"""The portfolio dashboard: every system's completeness at a glance, filtered and sorted."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from tracker import completeness, vocabulary
from tracker.app import runtime
from tracker.web.session import requires

bp = Blueprint("portfolio", __name__, template_folder="templates")

SORTS = {
    "name": lambda r: r.name.casefold(),
    # Nothing in force sorts below 0 %: it is the least known, not the best.
    "percent": lambda r: -1.0 if r.overall.percent is None else r.overall.percent,
    "missing": lambda r: r.overall.counts["missing"],
    "expiring": lambda r: r.overall.counts["expiring_soon"],
    "pending": lambda r: r.overall.counts["pending_review"],
    "expired": lambda r: r.overall.counts["expired"],
    "stage": lambda r: list(vocabulary.LIFECYCLE_STAGES).index(r.lifecycle_stage),
}


@bp.route("/")
def home() -> Any:
    return redirect(url_for("portfolio.dashboard"))


@bp.route("/portfolio")
@requires("completeness:read")
def dashboard() -> Any:
    settings = runtime().settings
    results = completeness.for_portfolio(
        date.today(), runtime().catalogue, settings.expiring_soon_days
    )
    stage, ready, text = (request.args.get(k, "") for k in ("stage", "ready", "q"))
    if stage:
        results = [r for r in results if r.lifecycle_stage == stage]
    if ready in ("yes", "no"):
        results = [r for r in results if r.ready is (ready == "yes")]
    if text:
        results = [r for r in results if text.casefold() in r.name.casefold()]
    sort = request.args.get("sort", "name")
    descending = request.args.get("order") == "desc"
    results.sort(key=SORTS.get(sort, SORTS["name"]), reverse=descending)
    frameworks = sorted({name for r in results for name in r.frameworks})
    totals = {
        status: sum(r.overall.counts[status] for r in results)
        for status in ("missing", "expiring_soon", "pending_review", "expired")
    }
    return render_template(
        "portfolio.html",
        results=results,
        frameworks=frameworks,
        jurisdictions=runtime().catalogue.jurisdictions,
        totals=totals,
        filters={"stage": stage, "ready": ready, "q": text},
        sort=sort,
        descending=descending,
    )
