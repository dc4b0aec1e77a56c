"""API: completeness per system and for the portfolio, as JSON or CSV, as of any date."""

from __future__ import annotations

from datetime import date

from flask import Response
from flask.views import MethodView
from flask_smorest import Page

from tracker import completeness
from tracker.api.auth import require
from tracker.api.blueprint import Blueprint
from tracker.api.schemas import AsOfArgs, CompletenessOut, CompletenessSummaryOut, PortfolioArgs
from tracker.app import runtime
from tracker.completeness import export

blp = Blueprint(
    "completeness",
    __name__,
    url_prefix="/api",
    description="What each system needs, what it has, what is missing, and whether it is ready.",
)


def _system(system_id: int, args: dict):
    state = runtime()
    return completeness.for_system(
        system_id,
        args.get("as_of") or date.today(),
        state.catalogue,
        state.settings.expiring_soon_days,
    )


def _portfolio(args: dict):
    state = runtime()
    results = completeness.for_portfolio(
        args.get("as_of") or date.today(),
        state.catalogue,
        state.settings.expiring_soon_days,
        args["include_retired"],
    )
    if args.get("lifecycle_stage"):
        results = [r for r in results if r.lifecycle_stage == args["lifecycle_stage"]]
    if args.get("ready") is not None:
        results = [r for r in results if r.ready is args["ready"]]
    return results


def _csv(text: str, name: str) -> Response:
    return Response(
        text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@blp.route("/systems/<int:system_id>/completeness")
class SystemCompleteness(MethodView):
    @require("completeness:read")
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, CompletenessOut)
    def get(self, args, system_id):
        """Each applicable requirement's status, the blocking items and readiness for the next stage."""
        return export.system_dict(_system(system_id, args))


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
    @blp.paginate(Page)
    def get(self, args):
        """Every system's completeness summary: per framework, counts, stage and readiness."""
        return [export.system_dict(r, with_items=False) for r in _portfolio(args)]


@blp.route("/completeness.csv")
class PortfolioCsv(MethodView):
    @require("completeness:read")
    @blp.arguments(PortfolioArgs, location="query")
    @blp.response(200, content_type="text/csv", description="One row per system")
    def get(self, args):
        """The portfolio as CSV."""
        results = _portfolio(args)
        return _csv(
            export.portfolio_csv(results), f"completeness-{args.get('as_of') or date.today()}.csv"
        )
