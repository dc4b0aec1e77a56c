"""API schemas for reminders: notification filters and rows, and a person's reminder preferences."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api.fields import UtcDateTime, database_id


class NotificationFilters(ma.Schema):
    state = fields.String(
        validate=validate.OneOf(["pending", "sending", "sent", "failed", "obsolete"])
    )
    kind = fields.String()
    recipient = fields.String()
    system_id = database_id()
    sweep_date = fields.Date()


class NotificationOut(ma.Schema):
    id = fields.Integer()
    recipient = fields.String()
    recipient_name = fields.String()
    kind = fields.String()
    window = fields.String()
    system_id = fields.Integer(allow_none=True)
    requirement_id = fields.String(allow_none=True)
    mandatory = fields.Boolean()
    sweep_date = fields.Date()
    state = fields.String()
    attempts = fields.Integer()
    last_error = fields.String()
    message_id = fields.String()
    created_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)
    listed = fields.Boolean(
        metadata={
            "description": "False: sent in a digest that counted this item without naming it "
            "(over TRACKER_DIGEST_MAX_ITEMS items); not counted as a reminder by escalation"
        }
    )
    payload = fields.Raw()


class PreferenceIn(ma.Schema):
    frequency = fields.String(validate=validate.OneOf(["daily", "weekly", "immediate"]))
    weekly_day = fields.Integer(
        validate=validate.Range(min=0, max=6), metadata={"description": "0 = Monday"}
    )
    opted_out = fields.List(fields.String(), metadata={"description": "Optional kinds declined"})


class PreferenceOut(ma.Schema):
    email = fields.String()
    frequency = fields.String()
    weekly_day = fields.Integer()
    opted_out = fields.List(fields.String())
