"""API schemas for completeness: a system's (or the portfolio's) status as of a date, with its
scores, requirement rows and event duties."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.completeness import STATUSES
from tracker.completeness.facts import EVENT_DUTY_STATUSES
from tracker.portfolio.listing import SORTS as PORTFOLIO_SORTS
from tracker.profile import choice


class AsOfArgs(ma.Schema):
    as_of = fields.Date(metadata={"description": "Replay as of this date (default: today)"})


class PortfolioArgs(AsOfArgs):
    include_retired = fields.Boolean(load_default=False)
    lifecycle_stage = choice(vocab.LIFECYCLE_STAGES)
    ready = fields.Boolean(
        metadata={"description": "Only systems (not) ready for their next stage"}
    )
    risk_level = choice(vocab.RISK_LEVELS)
    name_contains = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Only systems whose name contains this text, in any case"},
    )
    sort = fields.String(
        load_default="name",
        validate=validate.OneOf(PORTFOLIO_SORTS),
        metadata={
            "description": "Order of the systems: by name, share met, a count of what needs "
            "doing (overdue, missing, expiring, pending, expired), stage or risk level"
        },
    )
    order = fields.String(load_default="asc", validate=validate.OneOf(("asc", "desc")))


class ScoreOut(ma.Schema):
    percent = fields.Float(
        allow_none=True,
        metadata={"description": "Met as a share of what is in force; null when nothing is"},
    )
    applicable = fields.Integer()
    met = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class EvidenceRefOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    version = fields.Integer()
    status = fields.String()
    valid_until = fields.String(allow_none=True)
    note = fields.String()


class OperatorStatusOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()


class ItemStatusOut(ma.Schema):
    requirement_id = fields.String()
    framework = fields.String()
    title = fields.String()
    scope = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    blocking = fields.Boolean()
    due_before = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    in_force_from = fields.String(allow_none=True)
    citation = fields.String()
    verification = fields.String()
    owner = fields.String()
    detail = fields.String()
    why = fields.String(
        metadata={
            "description": "Why the requirement applies: the jurisdiction's reason, then each "
            "fact or answer that made its rule true, with its value, separated by '; ' (e.g. "
            "'eu-led: listed in the system's jurisdictions (override: eu-led); "
            "processes_personal_data is true; purpose_type is law_enforcement')"
        }
    )
    waiver_id = fields.Integer(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceRefOut))
    operators = fields.List(fields.Nested(OperatorStatusOut))
    operators_missing = fields.List(fields.String())


class CompletenessSummaryOut(ma.Schema):
    system_id = fields.Integer()
    name = fields.String()
    as_of = fields.String()
    lifecycle_stage = fields.String()
    next_stage = fields.String(allow_none=True)
    ready_for_next_stage = fields.Boolean(allow_none=True)
    reasons = fields.List(fields.String())
    nothing_applies = fields.String(
        metadata={
            "description": "Why no requirement applies to the system (empty when some do); "
            "such a system is never ready"
        }
    )
    retired = fields.Boolean()
    overall = fields.Nested(ScoreOut)
    frameworks = fields.Dict(keys=fields.String(), values=fields.Nested(ScoreOut))
    blocking = fields.List(fields.String())
    event_counts = fields.Dict(
        keys=fields.String(metadata={"enum": list(EVENT_DUTY_STATUSES)}),
        values=fields.Integer(),
        metadata={
            "description": "How many event duties (what each recorded event owes, by its own "
            "deadline) are in each state: "
            + "; ".join(f"{k}: {v}" for k, v in EVENT_DUTY_STATUSES.items())
        },
    )


class EventDutyOut(ma.Schema):
    event_id = fields.Integer()
    kind = fields.String()
    occurred_at = fields.String(metadata={"description": "UTC; deadlines count from it"})
    description = fields.String()
    requirement_id = fields.String()
    framework = fields.String()
    title = fields.String()
    citation = fields.String()
    verification = fields.String()
    owner = fields.String()
    deadline = fields.String(metadata={"description": "UTC"})
    status = fields.String(metadata={"enum": list(EVENT_DUTY_STATUSES)})
    late = fields.Boolean(
        metadata={"description": "Satisfied by evidence filed after the deadline"}
    )
    evidence = fields.List(
        fields.Nested(EvidenceRefOut),
        metadata={"description": "Evidence linked to this event and meant for the requirement"},
    )
    waiver_id = fields.Integer(allow_none=True)
    detail = fields.String()


class CompletenessOut(CompletenessSummaryOut):
    requirements = fields.List(fields.Nested(ItemStatusOut))
    events = fields.List(
        fields.Nested(EventDutyOut),
        metadata={
            "description": "Each recorded event's duties, newest event first. A requirement "
            "counted from events is satisfied only by evidence linked to the event; its own row "
            "in requirements summarises its duties (not_triggered while no event is recorded)."
        },
    )
