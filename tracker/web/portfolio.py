"""The portfolio dashboard: where to act, per system, at a glance; filtered, sorted, as of a date.

The main table shows, per system, what needs doing (overdue, missing, expiring soon, pending
review, expired), its risk level and stage; the frameworks' percentages are a secondary view
(``view=frameworks``). ``/portfolio.csv`` exports exactly the rows and columns shown, with the
same filters, sort and date. Everything comes from one :func:`completeness.for_portfolio` call
(summaries) and one query for the systems' risk levels: nothing is read per system.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from tracker import completeness, i18n, vocabulary
from tracker.app import runtime
from tracker.completeness.facts import SystemCompleteness
from tracker.completeness.overdue import action_counts, stage_overdue
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import AISystem
from tracker.plugin_host import Catalogue
from tracker.web.csv_export import cell as _cell
from tracker.web.session import requires

bp = Blueprint("portfolio", __name__, template_folder="templates")

STAGE_INDEX = {stage: index for index, stage in enumerate(vocabulary.LIFECYCLE_STAGES)}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
RISK_ORDER = {level: index for index, level in enumerate(vocabulary.RISK_LEVELS)}
# The counts shown, in order: (key, column heading, what it counts), translated where shown.
COUNTS = (
    (
        "overdue",
        N_("Overdue"),
        N_(
            "Requirements due before a stage the system has already reached and not met, "
            "plus event deadlines passed without accepted evidence"
        ),
    ),
    ("missing", N_("Missing"), N_("No evidence yet, not overdue")),
    (
        "expiring_soon",
        N_("Expiring soon"),
        N_("Accepted evidence that expires within the lead time"),
    ),
    ("pending_review", N_("Pending review"), N_("Uploaded, waiting for the DPO, not overdue")),
    ("expired", N_("Expired"), N_("Lapsed or stale evidence, not overdue")),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One system as the portfolio shows it: each requirement counted once."""

    result: SystemCompleteness
    risk_level: str
    stage_overdue: int  # requirements past their due stage
    event_overdue: int  # event duties past their deadline
    counts: dict[str, int]  # COUNTS keys -> number

    @property
    def name(self) -> str:
        return self.result.name


def row_of(result: SystemCompleteness, risk_level: str, catalogue: Catalogue) -> Row:
    """The portfolio's counts for one system: an overdue requirement is counted as overdue
    only, never again as missing, pending or expired."""
    overdue = stage_overdue(result, catalogue)
    event_overdue = result.event_counts.get("overdue", 0)
    return Row(result, risk_level, len(overdue), event_overdue, action_counts(result, overdue))


SORTS = {
    "name": lambda r: r.name.casefold(),
    # Nothing in force sorts below 0 %: it is the least known, not the best.
    "percent": lambda r: -1.0 if r.result.overall.percent is None else r.result.overall.percent,
    "overdue": lambda r: r.counts["overdue"],
    "missing": lambda r: r.counts["missing"],
    "expiring": lambda r: r.counts["expiring_soon"],
    "pending": lambda r: r.counts["pending_review"],
    "expired": lambda r: r.counts["expired"],
    "stage": lambda r: STAGE_INDEX[r.result.lifecycle_stage],
    "risk": lambda r: RISK_ORDER.get(r.risk_level, -1),
}
SORT_OF_COUNT = {
    "overdue": "overdue",
    "missing": "missing",
    "expiring_soon": "expiring",
    "pending_review": "pending",
    "expired": "expired",
}


class BadDate(ValueError):
    pass


def as_of_from(text: str) -> date:
    """The ``as_of`` parameter: empty means today; anything but YYYY-MM-DD is refused."""
    if not text:
        return date.today()
    try:
        # fromisoformat alone would also take "20260101" or week dates: the form sends ISO days.
        if not ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadDate(
            _(
                "as_of: '%(text)s' is not a date; give it as YYYY-MM-DD, e.g. %(example)s",
                text=text,
                example=date.today().isoformat(),
            )
        ) from None


def _query() -> dict[str, Any]:
    """The page's parameters, as given (the CSV link and sort links repeat them)."""
    names = ("q", "stage", "risk", "ready", "as_of", "sort", "order", "view")
    return {name: request.args.get(name, "") for name in names}


def _rows(query: dict[str, str], as_of: date) -> list[Row]:
    catalogue = runtime().catalogue
    results = completeness.for_portfolio(as_of, catalogue, runtime().settings.expiring_soon_days)
    # One query for every system's risk level (the summaries do not carry it).
    risks = dict(AISystem.select(AISystem.id, AISystem.risk_level).tuples())
    rows = [row_of(r, risks.get(r.system_id, ""), catalogue) for r in results]
    if query["stage"]:
        rows = [r for r in rows if r.result.lifecycle_stage == query["stage"]]
    if query["risk"]:
        rows = [r for r in rows if r.risk_level == query["risk"]]
    if query["ready"] in ("yes", "no"):
        rows = [r for r in rows if r.result.ready is (query["ready"] == "yes")]
    if query["q"]:
        rows = [r for r in rows if query["q"].casefold() in r.name.casefold()]
    # Sorted by name first, so that ties keep a stable, readable order.
    rows.sort(key=SORTS["name"])
    sort = query["sort"] if query["sort"] in SORTS else "name"
    rows.sort(key=SORTS[sort], reverse=query["order"] == "desc")
    return rows


@bp.route("/")
def home() -> Any:
    return redirect(url_for("portfolio.dashboard"))


@bp.route("/portfolio")
@requires("completeness:read")
def dashboard() -> Any:
    query = _query()
    try:
        as_of = as_of_from(query["as_of"])
    except BadDate as bad:
        return render_template("portfolio.html", error=str(bad), **_page(query, [], None)), 400
    rows = _rows(query, as_of)
    return render_template("portfolio.html", error="", **_page(query, rows, as_of))


def _page(query: dict[str, str], rows: list[Row], as_of: date | None) -> dict[str, Any]:
    frameworks = sorted({name for r in rows for name in r.result.frameworks})
    filters = {k: v for k, v in query.items() if k not in ("sort", "order") and v}
    return {
        "rows": rows,
        "as_of": as_of,
        "today": as_of == date.today(),
        "frameworks": frameworks,
        "jurisdictions": runtime().catalogue.jurisdictions,
        "totals": {key: sum(r.counts[key] for r in rows) for key, _heading, _meaning in COUNTS},
        "count_columns": [(key, _(heading), _(meaning)) for key, heading, meaning in COUNTS],
        "sort_of_count": SORT_OF_COUNT,
        "query": query,
        "filters": filters,
        "sort": query["sort"] if query["sort"] in SORTS else "name",
        "descending": query["order"] == "desc",
        "view": "frameworks" if query["view"] == "frameworks" else "act",
    }


@bp.route("/portfolio.csv")
@requires("completeness:read")
def export_csv() -> Any:
    """Exactly the rows and columns the page shows for the same parameters."""
    query = _query()
    try:
        as_of = as_of_from(query["as_of"])
    except BadDate as bad:
        return Response(str(bad) + "\n", status=400, mimetype="text/plain")
    rows = _rows(query, as_of)
    frameworks_view = query["view"] == "frameworks"
    frameworks = sorted({name for r in rows for name in r.result.frameworks})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The page's headings and words, in the reader's language.
    if frameworks_view:
        writer.writerow([_("System"), _("Stage"), _("Overall"), *frameworks])
    else:
        # "Next stage" is the readiness column, "Met" the overall share.
        writer.writerow(
            [
                _("System"),
                _("Risk"),
                _("Stage"),
                *(_(heading) for _key, heading, _meaning in COUNTS),
                _("Next stage"),
                _("Met"),
            ]
        )
    for r in rows:
        stage = _(vocabulary.LIFECYCLE_STAGES[r.result.lifecycle_stage])
        if frameworks_view:
            scores = r.result.frameworks
            writer.writerow(
                [
                    _cell(r.name),
                    stage,
                    i18n.format_percent(r.result.overall.percent),
                    *(
                        i18n.format_percent(scores[f].percent) if f in scores else ""
                        for f in frameworks
                    ),
                ]
            )
        else:
            writer.writerow(
                [
                    _cell(r.name),
                    _(vocabulary.RISK_LEVELS[r.risk_level])
                    if r.risk_level in vocabulary.RISK_LEVELS
                    else r.risk_level,
                    stage,
                    *(r.counts[key] for key, _heading, _meaning in COUNTS),
                    _ready_text(r.result),
                    i18n.format_percent(r.result.overall.percent),
                ]
            )
    name = f"portfolio-{as_of.isoformat()}{'-frameworks' if frameworks_view else ''}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _ready_text(result: SystemCompleteness) -> str:
    if result.nothing_applies:
        return _("nothing applies")
    if result.ready is None:
        return "—"
    return _("ready") if result.ready else _("not ready")
