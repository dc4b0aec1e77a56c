"""API: the DPO's review of evidence, and the queue of evidence awaiting review."""

from __future__ import annotations

from flask.views import MethodView

from tracker import evidence_items, reviews
from tracker.api.auth import actor, current_user, require
from tracker.api.blueprint import Blueprint
from tracker.api.evidence import EvidencePage
from tracker.api.pagination import QueryPage
from tracker.api.schemas import EvidenceOut, ReviewIn, ReviewOut

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api",
    description="Accept or reject evidence; only accepted evidence counts.",
)


@blp.route("/evidence/<int:evidence_id>/reviews")
class EvidenceReviews(MethodView):
    @require("evidence:read")
    @blp.response(200, ReviewOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, evidence_id):
        """The review history of one evidence version."""
        return reviews.reviews_of(evidence_items.get_evidence(evidence_id))

    @require("evidence:review")
    @blp.arguments(ReviewIn)
    @blp.response(201, ReviewOut)
    def post(self, body, evidence_id):
        """Accept or reject (with a reason) this evidence version; records the approved file hashes."""
        item = evidence_items.get_evidence(evidence_id)
        return reviews.review_evidence(
            item, body["decision"], body["reason"], current_user(), actor()
        )


@blp.route("/reviews/queue")
class ReviewQueue(MethodView):
    @require("evidence:read")
    @blp.response(200, EvidenceOut(many=True))
    @blp.paginate(EvidencePage)
    def get(self):
        """Current evidence versions awaiting a decision, oldest first."""
        return reviews.review_queue()
