"""API: completeness per system and for the portfolio, as JSON or CSV, as of any date.

The portfolio is listed from its index (:mod:`tracker.portfolio`): filtered, sorted and paged
in SQL, each system's summary read as the engine last gave it. While thousands of rows are being
recomputed in the background (after an agency-wide item or a catalogue change), the answer
says so in the ``X-Portfolio-Refreshing`` header. One system's answer for today is sent as it
was kept (:mod:`tracker.portfolio.answers`) while it is current, and computed otherwise.
"""

from __future__ import annotations

from datetime import date

from flask import Response, jsonify
from flask.views import MethodView

from tracker import completeness, portfolio
from tracker.api.auth import require
from tracker.api.blueprint import Blueprint
from tracker.api.schemas import AsOfArgs, CompletenessOut, CompletenessSummaryOut, PortfolioArgs
from tracker.completeness import export
from tracker.portfolio import answers, listing, summary
from tracker.runtime import runtime

blp = Blueprint(
    "completeness",
    __name__,
    url_prefix="/api",
    description="What each system needs, what it has, what is missing, and whether it is ready.",
)
REFRESHING = "X-Portfolio-Refreshing"


def _system(system_id: int, args: dict):
    state = runtime()
    return completeness.for_system(
        system_id,
        args.get("as_of") or date.today(),
        state.catalogue,
        state.settings.expiring_soon_days,
    )


def _query(args: dict) -> listing.Query:
    return listing.Query(
        stage=args.get("lifecycle_stage") or "",
        risk=args.get("risk_level") or "",
        ready=args.get("ready"),
        text=args.get("name_contains") or "",
        include_retired=args["include_retired"],
        sort=args["sort"],
        descending=args["order"] == "desc",
    )


def _headers(freshness: portfolio.Freshness) -> dict[str, str]:
    return {REFRESHING: str(freshness.stale_systems)} if freshness.refreshing else {}


def _csv(text: str, name: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **(headers or {})},
    )


@blp.route("/systems/<int:system_id>/completeness")
class SystemCompleteness(MethodView):
    @require("completeness:read")
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, CompletenessOut)
    def get(self, args, system_id):
        """Each applicable requirement's status, the blocking items and readiness for the next stage."""
        # The export is already exactly CompletenessOut's dump (tests/api/test_completeness.py
        # checks so on every demo system): sent as it is, not through marshmallow a second time,
        # field by field, which was an eighth of the request.
        state = runtime()
        body = answers.for_system(
            system_id,
            args.get("as_of") or date.today(),
            state.catalogue,
            state.settings.expiring_soon_days,
        )
        return Response(body, mimetype="application/json")


@blp.route("/systems/<int:system_id>/completeness.csv")
class SystemCompletenessCsv(MethodView):
    @require("completeness:read")
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, content_type="text/csv", description="One row per applicable requirement")
    def get(self, args, system_id):
        """The same as CSV."""
        result = _system(system_id, args)
        return _csv(
            export.system_csv(result), f"completeness-system-{system_id}-{result.as_of}.csv"
        )


@blp.route("/completeness")
class Portfolio(MethodView):
    @require("completeness:read")
    @blp.arguments(PortfolioArgs, location="query")
    @blp.response(200, CompletenessSummaryOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Every system's completeness summary: per framework, counts, stage and readiness.

        Filtered, sorted and paged over the whole portfolio. While many systems are being
        recomputed in the background (after an agency-wide item or a catalogue change), the
        answer is the one before the change and the ``X-Portfolio-Refreshing`` header gives how
        many systems are being recomputed."""
        state = runtime()
        as_of = args.get("as_of") or date.today()
        days = state.settings.expiring_soon_days
        freshness = portfolio.ensure(as_of, state.catalogue, days)
        page = listing.page(
            as_of,
            _query(args),
            offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size,
            freshness=freshness,
        )
        pagination_parameters.item_count = page.total
        # Already CompletenessSummaryOut's dump, as for one system above (the pagination header
        # is still set on the response).
        return (
            jsonify([export.system_dict(r, with_items=False) for r in page.results()]),
            200,
            _headers(freshness),
        )


@blp.route("/completeness.csv")
class PortfolioCsv(MethodView):
    @require("completeness:read")
    @blp.arguments(PortfolioArgs, location="query")
    @blp.response(200, content_type="text/csv", description="One row per system")
    def get(self, args):
        """The portfolio as CSV: every selected system, in the same order as the JSON listing."""
        state = runtime()
        as_of = args.get("as_of") or date.today()
        days = state.settings.expiring_soon_days
        freshness = portfolio.ensure(as_of, state.catalogue, days)
        query = _query(args)
        results = (summary.loads(row.summary) for row in listing.rows(as_of, query).iterator())
        return _csv(
            export.portfolio_csv(results, listing.frameworks(as_of, query, freshness)),
            f"completeness-{as_of}.csv",
            _headers(freshness),
        )
