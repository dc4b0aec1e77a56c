"""API: waivers, requested by the legal team or a DPO and decided by another DPO."""

from __future__ import annotations

from flask.views import MethodView

from tracker import register, waivers
from tracker.api.auth import actor, current_user, require
from tracker.api.blueprint import Blueprint
from tracker.api.pagination import QueryPage
from tracker.api.schemas import WaiverDecisionIn, WaiverFilters, WaiverIn, WaiverOut
from tracker.models import Waiver
from tracker.runtime import runtime

blp = Blueprint(
    "waivers",
    __name__,
    url_prefix="/api/waivers",
    description="Time-limited waivers with a justification and an approver who is not the requester.",
)


@blp.route("")
class Waivers(MethodView):
    @require("completeness:read")
    @blp.arguments(WaiverFilters, location="query")
    @blp.response(200, WaiverOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters):
        """Waivers, with filters."""
        return waivers.find_waivers(filters)

    @require("waivers:request")
    @blp.arguments(WaiverIn)
    @blp.response(201, WaiverOut)
    def post(self, body):
        """Request a waiver of one requirement for one system, until a date."""
        system = register.get_system(body["system_id"])
        return waivers.request_waiver(
            system,
            body["requirement_id"],
            body["justification"],
            body["expires_on"],
            current_user(),
            actor(),
            runtime().catalogue,
        )


@blp.route("/<int:waiver_id>")
class WaiverItem(MethodView):
    @require("completeness:read")
    @blp.response(200, WaiverOut)
    def get(self, waiver_id):
        """One waiver."""
        return Waiver.find_by_id(waiver_id)


def _decision(name: str, decide, summary: str) -> None:
    class Decision(MethodView):
        @require("waivers:decide")
        @blp.arguments(WaiverDecisionIn)
        @blp.response(200, WaiverOut)
        def post(self, body, waiver_id):
            return decide(Waiver.find_by_id(waiver_id), current_user(), body["note"], actor())

    Decision.post.__doc__ = summary
    Decision.__name__ = f"Waiver{name.title()}"
    blp.route(f"/<int:waiver_id>/{name}")(Decision)


_decision(
    "approve",
    waivers.approve_waiver,
    "Approve a requested waiver (a DPO other than the requester).",
)
_decision("reject", waivers.reject_waiver, "Reject a requested waiver, with a note saying why.")
_decision("revoke", waivers.revoke_waiver, "End an approved waiver early.")
