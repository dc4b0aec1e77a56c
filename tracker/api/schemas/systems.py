"""API schemas for systems and their operators: outputs, patches, list filters, retirement.

The profile and operator input rules are the core's (``tracker.profile``), reused here so the
API documents exactly the rules the core enforces.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.api.fields import UtcDateTime
from tracker.profile import (
    ContactSchema,
    OperatorPatchSchema,
    OperatorSchema,
    SentFieldsOnly,
    SystemProfileSchema,
    choice,
)


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
