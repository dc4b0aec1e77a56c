"""API schemas for evidence: its versions and files out, the multipart upload forms, list filters.

The metadata rules are the core's (``tracker.evidence_items``), reused here so the API
documents exactly the rules the core enforces.
"""

from __future__ import annotations

import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.api.fields import UtcDateTime, database_id
from tracker.db import MAX_ID
from tracker.evidence_items import EvidenceMetadataSchema
from tracker.profile import SentFieldsOnly, choice


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
