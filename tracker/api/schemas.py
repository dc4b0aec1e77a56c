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
from tracker.evidence_items import EvidenceMetadataSchema
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
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    retired_at = fields.DateTime(allow_none=True)
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
    ai_act_role = choice(vocab.AI_ACT_ROLES)
    public_facing = fields.Boolean()
    processes_personal_data = fields.Boolean()
    include_retired = fields.Boolean(load_default=False)


class RetireIn(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class OperatorOut(OperatorSchema):
    id = fields.Integer()
    system_id = fields.Integer(attribute="system_id")
    added_at = fields.DateTime()
    removed_at = fields.DateTime(allow_none=True)


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
    created_at = fields.DateTime()
    superseded_at = fields.DateTime(allow_none=True)
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
    system_id = fields.Integer(
        metadata={"description": "Evidence covering this system, agency-wide evidence included"}
    )
    requirement_id = fields.String()
    valid_on = fields.Date(
        metadata={"description": "Only evidence whose validity window includes this date"}
    )
    agency_wide = fields.Boolean()
    include_superseded = fields.Boolean(load_default=False)


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
    created_at = fields.DateTime()


class TokenIn(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)


class TokenOut(ma.Schema):
    id = fields.Integer()
    user = fields.Function(lambda t: t.user.username)
    name = fields.String()
    prefix = fields.String(
        metadata={"description": "The first characters of the secret, to recognise it"}
    )
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenOut(TokenOut):
    secret = fields.String(metadata={"description": "Shown once; only its hash is stored"})


class AuditFilters(ma.Schema):
    entity_type = fields.String()
    entity_id = fields.String()
    actor = fields.String()
    action = fields.String()
    since = fields.DateTime(metadata={"description": "UTC, inclusive"})
    until = fields.DateTime(metadata={"description": "UTC, exclusive"})


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
