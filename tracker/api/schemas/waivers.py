"""API schemas for waivers: the request, the decision, list filters and the waiver out."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api.fields import UtcDateTime, database_id


class WaiverIn(ma.Schema):
    system_id = database_id(required=True)
    requirement_id = fields.String(required=True)
    justification = fields.String(required=True, validate=validate.Length(max=5000))
    expires_on = fields.Date(required=True)


class WaiverDecisionIn(ma.Schema):
    note = fields.String(load_default="", validate=validate.Length(max=5000))


class WaiverFilters(ma.Schema):
    system_id = database_id()
    requirement_id = fields.String()
    state = fields.String(validate=validate.OneOf(["requested", "approved", "rejected", "revoked"]))


class WaiverOut(ma.Schema):
    id = fields.Integer()
    system_id = fields.Integer(attribute="system_id")
    requirement_id = fields.String()
    justification = fields.String()
    state = fields.String()
    expires_on = fields.Date()
    requested_by = fields.Function(lambda w: w.requested_by.username)
    requested_at = UtcDateTime()
    decided_by = fields.Function(lambda w: w.decided_by.username if w.decided_by_id else None)
    decided_at = UtcDateTime(allow_none=True)
    decision_note = fields.String()
    revoked_at = UtcDateTime(allow_none=True)
