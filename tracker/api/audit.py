"""API: read and verify the hash-chained audit trail."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from tracker import audit
from tracker.api.auth import require
from tracker.api.pagination import QueryPage
from tracker.api.schemas import AuditEventOut, AuditFilters, ChainReportOut
from tracker.models import AuditEvent

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
        query = AuditEvent.select().order_by(AuditEvent.id)
        for name in ("entity_type", "entity_id", "actor", "action"):
            if filters.get(name):
                query = query.where(getattr(AuditEvent, name) == filters[name])
        if filters.get("since"):
            query = query.where(
                AuditEvent.occurred_at >= filters["since"].isoformat(timespec="microseconds")
            )
        if filters.get("until"):
            query = query.where(
                AuditEvent.occurred_at < filters["until"].isoformat(timespec="microseconds")
            )
        return query


@blp.route("/verify")
class VerifyChain(MethodView):
    @require("audit:read")
    @blp.response(200, ChainReportOut)
    def get(self):
        """Re-compute the whole chain and name the first broken link, if any."""
        return audit.verify()
