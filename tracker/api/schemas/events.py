"""API schemas for recorded events (what event deadlines count from) and the kinds they may have."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api.fields import UtcDateTime
from tracker.events.kinds import CORE_EVENT_KIND_IDS, unknown_kind


def _known_event_kind(kind: str) -> None:
    """A kind the running tracker knows: the core ones, and those its plugins declare."""
    from tracker.runtime import runtime  # the app's catalogue, read when a request is checked

    kinds = runtime().catalogue.event_kinds
    if kind not in kinds:
        raise ma.ValidationError(f"{unknown_kind(kind, kinds)}.")


class EventIn(ma.Schema):
    kind = fields.String(
        required=True,
        validate=_known_event_kind,
        metadata={
            "description": "The event kind: one of "
            + ", ".join(sorted(CORE_EVENT_KIND_IDS))
            + ", or one an enabled plugin declares (GET /api/event-kinds)"
        },
    )
    occurred_at = UtcDateTime(
        required=True,
        default_timezone=None,
        metadata={
            "description": "The moment its deadlines count from (UTC if no offset): when it "
            "happened or, for an incident, when the agency became aware of it; not in the future"
        },
    )
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class EventKindOut(ma.Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    counted_from = fields.String(metadata={"description": "What the recorded time means"})


class EventOut(ma.Schema):
    id = fields.Integer()
    system_id = fields.Integer(attribute="system_id")
    kind = fields.String()
    occurred_at = UtcDateTime()
    description = fields.String()
    recorded_by = fields.Function(lambda e: e.recorded_by.username if e.recorded_by_id else None)
    recorded_at = UtcDateTime()
