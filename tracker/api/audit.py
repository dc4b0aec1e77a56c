"""API: read and verify the hash-chained audit trail."""

from __future__ import annotations

from flask.views import MethodView

from tracker import audit
from tracker.api.auth import require
from tracker.api.blueprint import Blueprint
from tracker.api.pagination import QueryPage
from tracker.api.schemas import AuditEventOut, AuditFilters, ChainReportOut

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/audit",
    description="Every change, who made it and when, in a tamper-evident chain.",
)


@blp.route("")
class AuditTrail(MethodView):
    @require("audit:read")
    @blp.arguments(AuditFilters, location="query")
    @blp.response(200, AuditEventOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters):
        """Audit events, oldest first, with filters."""
        return audit.find_events(filters)


@blp.route("/verify")
class VerifyChain(MethodView):
    @require("audit:read")
    @blp.response(200, ChainReportOut)
    def get(self):
        """Re-compute the whole chain and name the first broken link, if any."""
        return audit.verify()
