"""API schemas for the audit trail: its filters, its events and the hash chain's check."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from tracker.api.fields import UtcDateTime


class AuditFilters(ma.Schema):
    entity_type = fields.String()
    entity_id = fields.String()
    actor = fields.String()
    action = fields.String()
    since = UtcDateTime(metadata={"description": "UTC, inclusive"})
    until = UtcDateTime(metadata={"description": "UTC, exclusive"})


class AuditEventOut(ma.Schema):
    id = fields.Integer()
    occurred_at = fields.String()
    actor = fields.String()
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


class ChainReportOut(ma.Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    first_broken_id = fields.Integer(allow_none=True)
    problem = fields.String()
