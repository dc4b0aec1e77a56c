"""Evidence review: a data protection officer accepts or rejects each evidence version.

Only accepted evidence counts towards completeness. A decision records the
exact file hashes it approved, a rejection needs a reason, and nobody reviews
evidence they uploaded themselves.
"""

from __future__ import annotations

import peewee as pw

from tracker import audit
from tracker.db import write_transaction
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n.text import Phrase, joined
from tracker.models import Evidence, EvidenceReview, User

DECISIONS = ("accepted", "rejected")


def review_evidence(
    item: Evidence, decision: str, reason: str, reviewer: User, actor: str
) -> EvidenceReview:
    """Record a DPO's decision on one evidence version; the newest decision is the one that counts."""
    errors = {}
    if decision not in DECISIONS:
        errors["decision"] = [
            Phrase("Must be one of: %(choices)s.", choices=joined(DECISIONS, ", "))
        ]
    if decision == "rejected" and not reason.strip():
        errors["reason"] = [Phrase("A rejection must give its reason.")]
    if reviewer.role != "dpo":
        errors["reviewer"] = [
            Phrase(
                "Only a data protection officer reviews evidence; %(user)s is %(role)s.",
                user=reviewer.username,
                role=reviewer.role,
            )
        ]
    if errors:
        raise ValidationFailed(errors)
    if item.superseded_at is not None:
        raise Conflict(
            Phrase(
                "evidence %(id)s has been superseded by a newer version; review that one",
                id=item.id,
            )
        )
    if item.uploaded_by_id == reviewer.id:
        raise Conflict(
            Phrase(
                "%(user)s uploaded evidence %(id)s and cannot also review it",
                user=reviewer.username,
                id=item.id,
            )
        )
    hashes = [f.sha256 for f in item.files.order_by(pw.SQL("position"))]
    with write_transaction():
        review = EvidenceReview.create(
            evidence=item,
            decision=decision,
            reason=reason.strip(),
            reviewer=reviewer,
            approved_hashes=hashes if decision == "accepted" else [],
        )
        audit.record(
            actor,
            f"evidence.{decision}",
            "evidence",
            item.id,
            after={
                "decision": decision,
                "reason": review.reason,
                "reviewer": reviewer.username,
                "approved_hashes": review.approved_hashes,
            },
        )
    return review


def reviews_of(item: Evidence) -> pw.ModelSelect:
    return (
        EvidenceReview.select(EvidenceReview, User)
        .join(User)
        .where(EvidenceReview.evidence == item)
        .order_by(EvidenceReview.id)
    )


def review_queue() -> pw.ModelSelect:
    """Current evidence versions nobody has reviewed yet, oldest first."""
    reviewed = EvidenceReview.select(EvidenceReview.evidence)
    return (
        Evidence.select()
        .where(Evidence.superseded_at.is_null() & Evidence.id.not_in(reviewed))
        .order_by(Evidence.created_at, Evidence.id)
    )
