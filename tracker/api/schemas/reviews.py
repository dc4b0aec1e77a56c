"""API schemas for evidence reviews: a reviewer's decision in, the recorded review out."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api.fields import UtcDateTime


class ReviewIn(ma.Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected"]))
    reason = fields.String(load_default="", validate=validate.Length(max=5000))


class ReviewOut(ma.Schema):
    id = fields.Integer()
    evidence_id = fields.Integer(attribute="evidence_id")
    decision = fields.String()
    reason = fields.String()
    reviewer = fields.Function(lambda r: r.reviewer.username)
    decided_at = UtcDateTime()
    approved_hashes = fields.List(fields.String())
