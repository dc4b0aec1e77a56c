"""Marshmallow schemas for API input arguments and output documents.

Profile and evidence-metadata input rules live in the core (``tracker.profile``,
``tracker.evidence_items``) and are reused here, so the API documents exactly
the rules the core enforces.
"""

from __future__ import annotations

import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.api.fields import UtcDateTime, database_id
from tracker.completeness import STATUSES
from tracker.completeness.facts import EVENT_DUTY_STATUSES
from tracker.db import MAX_ID
from tracker.events.kinds import CORE_EVENT_KIND_IDS, unknown_kind
from tracker.evidence_items import EvidenceMetadataSchema
from tracker.portfolio.listing import SORTS as PORTFOLIO_SORTS
from tracker.profile import (
    ContactSchema,
    OperatorPatchSchema,
    OperatorSchema,
    SentFieldsOnly,
    SystemProfileSchema,
    choice,
)
from tracker.requirements import OWNERS, SCOPES, VERIFICATION


class SystemOut(SystemProfileSchema):
    id = fields.Integer()
    contacts = fields.List(fields.Nested(ContactSchema))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    retired_at = UtcDateTime(allow_none=True)
    retired_reason = fields.String()


class SystemPatch(SentFieldsOnly, SystemProfileSchema):
    """Any subset of the profile; the whole resulting profile must still be valid."""


class SystemFilters(ma.Schema):
    q = fields.String(metadata={"description": "Text searched in name, purpose and vendor"})
    lifecycle_stage = choice(vocab.LIFECYCLE_STAGES)
    risk_level = choice(vocab.RISK_LEVELS)
    purpose_type = choice(vocab.PURPOSE_TYPES)
    development_approach = choice(vocab.DEVELOPMENT_APPROACHES)
    biometric_identification = choice(vocab.BIOMETRIC_IDENTIFICATION)
    ai_act_roles = choice(
        vocab.AI_ACT_ROLES, description="Systems where the agency has this role (of its roles)"
    )
    annex_iii_areas = choice(vocab.ANNEX_III_AREAS, description="Systems in this Annex III area")
    people_affected = choice(vocab.PEOPLE_AFFECTED, description="Systems affecting these people")
    countries = fields.String(
        metadata={"description": "Systems also used in this country (ISO 3166-1 alpha-2)"}
    )
    public_facing = fields.Boolean()
    processes_personal_data = fields.Boolean()
    profiling = fields.Boolean()
    public_authority = fields.Boolean()
    include_retired = fields.Boolean(load_default=False)


class RetireIn(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class OperatorOut(OperatorSchema):
    id = fields.Integer()
    system_id = fields.Integer(attribute="system_id")
    added_at = UtcDateTime()
    removed_at = UtcDateTime(allow_none=True)


OperatorPatch = OperatorPatchSchema


class OperatorFilters(ma.Schema):
    include_removed = fields.Boolean(load_default=False)


class FileOut(ma.Schema):
    id = fields.Integer()
    name = fields.String(attribute="display_name")
    sha256 = fields.String(attribute="sha256")
    size = fields.Integer(attribute="blob.size")
    media_type = fields.String(attribute="blob.media_type")
    download_url = fields.Method("_download_url")

    def _download_url(self, obj) -> str:
        return url_for("evidence.EvidenceFileContent", evidence_id=obj.evidence_id, file_id=obj.id)


class EvidenceOut(EvidenceMetadataSchema):
    id = fields.Integer()
    lineage = fields.Integer()
    version = fields.Integer()
    system_ids = fields.Method("_system_ids")
    uploaded_by = fields.Function(lambda e: e.uploaded_by.username if e.uploaded_by_id else None)
    created_at = UtcDateTime()
    superseded_at = UtcDateTime(allow_none=True)
    files = fields.List(fields.Nested(FileOut))

    def _system_ids(self, obj) -> list[int]:
        return sorted(link.system_id for link in obj.system_links)


FILES = fields.List(
    Upload(), metadata={"description": "One or more evidence files (repeat the field)"}
)


class EvidenceUploadForm(EvidenceMetadataSchema):
    """A multipart body: the files and their metadata."""

    files = FILES


class EvidenceVersionForm(SentFieldsOnly, EvidenceMetadataSchema):
    """Metadata for a new version: anything left out is kept from the previous version,
    and without files the previous version's files are kept."""

    files = FILES


class EvidenceFilters(ma.Schema):
    q = fields.String(metadata={"description": "Text searched in the title"})
    kind = choice(vocab.EVIDENCE_KINDS)
    system_id = database_id(
        metadata={"description": "Evidence covering this system, agency-wide evidence included"}
    )
    requirement_id = fields.String()
    valid_on = fields.Date(
        metadata={"description": "Only evidence whose validity window includes this date"}
    )
    agency_wide = fields.Boolean()
    include_superseded = fields.Boolean(load_default=False)
    event_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only evidence linked to this recorded event"},
    )


class UserIn(ma.Schema):
    username = fields.String(required=True)
    role = choice(vocab.ROLES, required=True)
    full_name = fields.String(load_default="", validate=validate.Length(max=200))
    email = fields.Email(load_default="")


class UserFilters(ma.Schema):
    role = choice(vocab.ROLES)
    is_active = fields.Boolean()
    q = fields.String(metadata={"description": "Text searched in username, full name and e-mail"})


class TokenFilters(ma.Schema):
    include_revoked = fields.Boolean(load_default=False)


class UserOut(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String()
    role = fields.String()
    is_active = fields.Boolean()
    created_at = UtcDateTime()


class TokenIn(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    expires_at = UtcDateTime(load_default=None, allow_none=True, default_timezone=None)


class TokenOut(ma.Schema):
    id = fields.Integer()
    user = fields.Function(lambda t: t.user.username)
    name = fields.String()
    prefix = fields.String(
        metadata={"description": "The first characters of the secret, to recognise it"}
    )
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)


class IssuedTokenOut(TokenOut):
    secret = fields.String(metadata={"description": "Shown once; only its hash is stored"})


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


# Catalogue, completeness, reviews and waivers


class CitationOut(ma.Schema):
    instrument = fields.String()
    article = fields.String()
    url = fields.String()
    verification = fields.String(
        metadata={"description": "V, V2, P, U, interpretation or guidance"}
    )
    verification_meaning = fields.Function(lambda c: VERIFICATION[c.verification])
    note = fields.String()


class RequirementOut(ma.Schema):
    id = fields.String()
    framework = fields.String()
    title = fields.String()
    description = fields.String()
    citation = fields.Nested(CitationOut)
    evidence_kinds = fields.List(fields.String())
    scope = fields.String()
    applies_when = fields.String(
        metadata={"description": "Applicability rule over the system profile"}
    )
    due_before = fields.String(allow_none=True)
    valid_for_months = fields.Integer(allow_none=True)
    renew_on_change = fields.List(fields.String())
    recurrence = fields.String()
    in_force_from = fields.Date(allow_none=True)
    owner = fields.String()
    also_satisfied_by = fields.List(fields.String())
    lead_days = fields.List(fields.Integer())


class RequirementFilters(ma.Schema):
    framework = fields.String()
    scope = fields.String(validate=validate.OneOf(list(SCOPES)))
    kind = choice(vocab.EVIDENCE_KINDS)
    owner = fields.String(validate=validate.OneOf(list(OWNERS)))
    q = fields.String(metadata={"description": "Text searched in id, title and citation"})


class JurisdictionOut(ma.Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    url = fields.String()
    enabled = fields.Boolean()
    requirement_count = fields.Integer()


class PluginOut(ma.Schema):
    name = fields.String()
    module = fields.String()
    distribution = fields.String()
    version = fields.String()
    loaded = fields.Boolean()
    jurisdictions = fields.List(fields.String())
    requirement_count = fields.Integer()
    question_count = fields.Integer()
    problems = fields.List(fields.String())


class QuestionOut(ma.Schema):
    id = fields.String()
    label = fields.String()
    type = fields.String()
    choices = fields.List(fields.String())
    help = fields.String()
    default = fields.Raw(allow_none=True)


class FactOut(ma.Schema):
    id = fields.String()
    type = fields.String(
        metadata={"enum": ["text", "boolean", "choice", "set", "list", "country list"]}
    )
    values = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "value: meaning"}
    )
    help = fields.String()
    source = fields.String(metadata={"enum": ["profile", "question"]})
    default = fields.Raw(allow_none=True)


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


# Reminders


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
