"""The portfolio dashboard: where to act, per system, at a glance; filtered, sorted, as of a date.

The main table shows, per system, what needs doing (overdue, missing, expiring soon, pending
review, expired), its risk level and stage; the frameworks' percentages are a secondary view
(``view=frameworks``). ``/portfolio.csv`` exports exactly the rows and columns shown, with the
same filters, sort and date, for every page. The portfolio's index (:mod:`tracker.portfolio`)
filters, sorts, counts and pages the systems in SQL and holds each one's summary: a page costs
what it shows, whatever the number of systems.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_translations
from markupsafe import Markup, escape

from tracker import i18n, portfolio, vocabulary
from tracker.completeness.facts import Score, SystemCompleteness
from tracker.completeness.overdue import ACTION_COUNTS, action_counts, stage_overdue
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.i18n.text import Kept
from tracker.models import PortfolioRow
from tracker.plugin_host import Catalogue
from tracker.portfolio import listing
from tracker.runtime import runtime
from tracker.web import pack_view, page_formats
from tracker.web.csv_export import cell as _cell
from tracker.web.session import requires

bp = Blueprint("portfolio", __name__, template_folder="templates")

STAGE_INDEX = {stage: index for index, stage in enumerate(vocabulary.LIFECYCLE_STAGES)}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
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


PAGE_SIZE = 50  # systems per page


def _query() -> dict[str, Any]:
    """The page's parameters, as given (the CSV link and sort links repeat them)."""
    names = ("q", "stage", "risk", "ready", "as_of", "sort", "order", "view")
    return {name: request.args.get(name, "") for name in names}


def _selection(query: dict[str, str]) -> listing.Query:
    return listing.Query(
        stage=query["stage"] if query["stage"] in vocabulary.LIFECYCLE_STAGES else "",
        risk=query["risk"] if query["risk"] in vocabulary.RISK_LEVELS else "",
        ready={"yes": True, "no": False}.get(query["ready"]),
        text=query["q"],
        sort=query["sort"] if query["sort"] in listing.SORTS else "name",
        descending=query["order"] == "desc",
    )


def _page_number() -> int:
    text = request.args.get("page", "")
    return int(text) if text.isdigit() and 0 < int(text) <= 10**6 else 1


def _rows(
    query: dict[str, str], as_of: date, page: int
) -> tuple[list[Shown], listing.Listing, Words]:
    """The page's rows as it writes them, the listing they come from, and the page's words."""
    state = runtime()
    catalogue, days = state.catalogue, state.settings.expiring_soon_days
    freshness = portfolio.ensure(as_of, catalogue, days)
    found = listing.page(
        as_of,
        _selection(query),
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
        freshness=freshness,
        columns=(R.system_id, R.risk_level, R.summary, *KEY_COLUMNS),
    )
    words = Words.now()
    frameworks = query["view"] == "frameworks"
    rows = [shown_once(row, as_of, words, catalogue, frameworks) for row in found.rows]
    return rows, found, words


R = PortfolioRow
# What identifies an index row's content: the row is rewritten whole, with a new computed_at,
# whenever its answer changes (tracker.portfolio.index).
KEY_COLUMNS = (R.computed_at, R.stamp, R.agency_stamp, R.catalogue_key)
# Rows as already shown, by their content and how they are shown (language, links, view): the
# first page is the one everybody opens, and its rows change only when their systems do.
# Bounded; shared by the threads of a process; never changed once made.
_SHOWN: dict[tuple, Shown] = {}
SHOWN_KEPT = 2048


def shown_once(
    row: PortfolioRow, as_of: date, words: Words, catalogue: Catalogue, frameworks: bool = False
) -> Shown:
    """:func:`shown`, remembered by what identifies the row's content."""
    key = (
        as_of,
        row.system_id,
        row.computed_at,
        row.stamp,
        row.agency_stamp,
        row.catalogue_key,
        row.risk_level,
        i18n.current_language(),
        words.system_url,
        frameworks,
    )
    found = _SHOWN.get(key)
    if found is None:
        found = shown(row, words, catalogue, frameworks)
        if len(_SHOWN) >= SHOWN_KEPT:
            _SHOWN.clear()
        _SHOWN[key] = found
    return found


# Rows as already written (HTML), by the row as shown and the frameworks' columns: a page of fifty
# rows spent half its time writing them, the same rows for every reader of the first page. The
# row shown is kept with its HTML: its id is only its own while it lives. Bounded; shared by the
# threads of a process.
_WRITTEN: dict[tuple, tuple[Shown, Markup]] = {}


def written(rows: list[Shown], view: str, frameworks: list[str]) -> list[Markup]:
    """Each row's HTML (``_portfolio_rows.html``), written once per row as shown and kept."""
    macros = percent = None
    found = []
    for row in rows:
        key = (id(row), view, tuple(frameworks) if view == "frameworks" else ())
        kept = _WRITTEN.get(key)
        if kept is None or kept[0] is not row:
            if macros is None:
                macros = current_app.jinja_env.get_template("_portfolio_rows.html").module
            if view == "frameworks":
                percent = percent or page_formats.percent_formatter()
                html = macros.frameworks_row(row, frameworks, percent)
            else:
                html = macros.act_row(row)
            if len(_WRITTEN) >= 2 * SHOWN_KEPT:
                _WRITTEN.clear()
            kept = _WRITTEN[key] = (row, Markup(html))
        found.append(kept[1])
    return found


# One row of the page: what it writes, worked out in Python once per row (a page of fifty rows
# spent more on translating, formatting and building links through the template than on the rest).


@dataclass(frozen=True, slots=True)
class Cell:
    key: str  # a COUNTS key
    number: int
    link: str  # where the number leads on the system page
    label: Markup  # "Overdue for Payroll bot: 2"
    title: Markup | None  # overdue only: by stage and by event deadline


@dataclass(frozen=True, slots=True)
class Shown:
    system_id: int
    name: str
    url: str  # the system page
    risk: str  # in words
    stage: str  # in words
    cells: tuple[Cell, ...]
    has_overdue: bool
    ready: bool | None
    nothing_applies: str  # why nothing applies (a sentence in the reader's language), else ""
    reasons: Markup  # "not ready": the first reasons, and how many more the system page has
    percent: float | None
    met: str  # the percent in words
    not_applicable: Markup  # no percent: why (nothing applies, or nothing in force)
    frameworks: dict[str, float | None]  # the frameworks view: each framework's percent


@dataclass(frozen=True, slots=True)
class Words:
    """What the rows repeat, in the reader's language, once per page. Messages the template
    translated are translated the way it does (Flask-Babel's catalogue, then Markup ``%``
    escaping the values), so the rows read exactly as before."""

    system_url: str  # the system page's address without its id
    risks: dict[str, str]
    stages: dict[str, str]
    headings: dict[str, str]  # COUNTS key -> its column heading
    count_label: Markup  # "%(heading)s for %(system)s: %(num)s"
    overdue_title: Markup
    separator: Markup  # between the reasons
    nothing_in_force: Markup
    percent: Any  # the page's percent formatter (page_formats.percent_formatter)
    translations: Any  # Flask-Babel's, as the template's ``ngettext``

    @classmethod
    def now(cls) -> Words:
        text = get_translations()
        return cls(
            url_for("system_pages.show", system_id=1).removesuffix("1"),
            _Labels("RISK_LEVELS"),
            _Labels("LIFECYCLE_STAGES"),
            {key: _(heading) for key, heading, _meaning in COUNTS},
            Markup(text.ugettext("%(heading)s for %(system)s: %(num)s")),
            Markup(
                text.ugettext("%(stages)s past their due stage, %(events)s event deadlines passed")
            ),
            Markup(text.ugettext("; ")),
            Markup(text.ugettext("no requirement is in force")),
            page_formats.percent_formatter(),
            text,
        )

    def more(self, n: int) -> Markup:
        """ "and 3 more on the system page", as the template's ``ngettext`` wrote it."""
        message = "and %(num)s more on the system page"
        return Markup(self.translations.ungettext(message, message, n)) % {"num": n}


class _Labels(dict):
    """A vocabulary's labels as the ``label`` filter gives them, each translated once per page."""

    def __init__(self, vocabulary_name: str) -> None:
        super().__init__()
        self.words = getattr(vocabulary, vocabulary_name)

    def __missing__(self, code: str | None) -> str:
        text = self.words.get(code)
        found = self[code] = i18n.gettext(text) if text else (code or "")
        return found


def shown(row: PortfolioRow, words: Words, catalogue: Catalogue, frameworks: bool = False) -> Shown:
    """One row of the page from the index: its summary read for what the page shows only (the
    reasons past the third are counted, not made sentences), counted by :func:`row_of`."""
    data = json.loads(row.summary)
    overall = Score.of(data["overall"])
    result = SystemCompleteness(
        data["system_id"],
        data["name"],
        data["lifecycle_stage"],
        data["next_stage"],
        date.fromisoformat(data["as_of"]),
        [],
        {},
        overall,
        data["ready"],
        [],
        data["retired"],
        event_counts=data["event_counts"],
        blocking_statuses=data["blocking_statuses"],
    )
    counted = row_of(result, row.risk_level, catalogue)
    name, url = result.name, f"{words.system_url}{result.system_id}"
    cells = []
    for key, _heading, _meaning in COUNTS:
        n = counted.counts[key]
        if not n:
            cells.append(Cell(key, 0, "", Markup(), None))
            continue
        label = words.count_label % {"heading": words.headings[key], "system": name, "num": n}
        if key == "overdue":
            anchor = "blocking" if counted.stage_overdue else "events"
            title = words.overdue_title % {
                "stages": counted.stage_overdue,
                "events": counted.event_overdue,
            }
            cells.append(Cell(key, n, f"{url}#{anchor}", label, title))
        else:
            cells.append(Cell(key, n, f"{url}#requirements", label, None))
    why_nothing = Kept(*data["nothing_applies"])
    nothing_applies = str(why_nothing) if why_nothing else ""
    reasons = Markup()
    if not nothing_applies and result.ready is False:
        stated = data["reasons"]
        reasons = words.separator.join(Kept(*reason) for reason in stated[:3])
        if len(stated) > 3:
            reasons += words.separator + words.more(len(stated) - 3)
    percent = overall.percent
    return Shown(
        result.system_id,
        name,
        url,
        words.risks[row.risk_level],
        words.stages[result.lifecycle_stage],
        tuple(cells),
        bool(counted.counts["overdue"]),
        result.ready,
        nothing_applies,
        reasons,
        percent,
        words.percent(percent),
        escape(nothing_applies) if nothing_applies else words.nothing_in_force,
        {name: Score.of(counts).percent for name, counts in data["frameworks"].items()}
        if frameworks
        else {},
    )


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
    page = _page_number()
    rows, found, words = _rows(query, as_of, page)
    gettext, ngettext = page_formats.page_gettext(words.translations)
    return render_template(
        "portfolio.html",
        error="",
        # Each message and score on the page translated or formatted once: the template's
        # gettext, ngettext and percent() shadowed (same words, same escaping).
        gettext=gettext,
        ngettext=ngettext,
        percent=words.percent,
        **_page(query, rows, as_of, found, page),
    )


def _page(
    query: dict[str, str],
    rows: list[Shown],
    as_of: date | None,
    found: listing.Listing | None = None,
    page: int = 1,
) -> dict[str, Any]:
    found = found or listing.Listing([], 0, dict.fromkeys(ACTION_COUNTS, 0))
    if as_of is not None and query["view"] == "frameworks":
        frameworks = listing.frameworks(as_of, _selection(query), found.freshness)
    else:
        frameworks = []
    filters = {k: v for k, v in query.items() if k not in ("sort", "order") and v}
    pages = max(1, -(-found.total // PAGE_SIZE))
    view = "frameworks" if query["view"] == "frameworks" else "act"
    return {
        "rows": rows,
        "written": written(rows, view, frameworks),
        "as_of": as_of,
        "today": as_of == date.today(),
        "frameworks": frameworks,
        "jurisdictions": runtime().catalogue.jurisdictions,
        "total": found.total,
        "totals": found.totals,
        "refreshing": found.freshness.refreshing,
        "page": page,
        "pages": pages,
        "first": (page - 1) * PAGE_SIZE + 1,
        "last": (page - 1) * PAGE_SIZE + len(rows),
        "count_columns": [(key, _(heading), _(meaning)) for key, heading, meaning in COUNTS],
        "sort_of_count": SORT_OF_COUNT,
        "query": query,
        "filters": filters,
        "sort": query["sort"] if query["sort"] in listing.SORTS else "name",
        "descending": query["order"] == "desc",
        "view": view,
        **pack_view.agency_section(date.today()),
    }


@bp.route("/portfolio.csv")
@requires("completeness:read")
def export_csv() -> Any:
    """Exactly the columns the page shows, for every system the filters select (every page),
    in the same order; read from the portfolio's index alone."""
    query = _query()
    try:
        as_of = as_of_from(query["as_of"])
    except BadDate as bad:
        return Response(str(bad) + "\n", status=400, mimetype="text/plain")
    state = runtime()
    freshness = portfolio.ensure(as_of, state.catalogue, state.settings.expiring_soon_days)
    selection = _selection(query)
    rows = listing.rows(as_of, selection)
    frameworks_view = query["view"] == "frameworks"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The page's headings and words, in the reader's language.
    if frameworks_view:
        frameworks = listing.frameworks(as_of, selection, freshness)
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
        stage = _(vocabulary.LIFECYCLE_STAGES[r.lifecycle_stage])
        if frameworks_view:
            scores = r.frameworks
            writer.writerow(
                [
                    _cell(r.name),
                    stage,
                    i18n.format_percent(r.percent),
                    *(i18n.format_percent(scores[f]) if f in scores else "" for f in frameworks),
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
                    *(getattr(r, key) for key, _heading, _meaning in COUNTS),
                    _ready_text(r),
                    i18n.format_percent(r.percent),
                ]
            )
    name = f"portfolio-{as_of.isoformat()}{'-frameworks' if frameworks_view else ''}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _ready_text(result: SystemCompleteness | PortfolioRow) -> str:
    if result.nothing_applies:
        return _("nothing applies")
    if result.ready is None:
        return "—"
    return _("ready") if result.ready else _("not ready")
