"""API schemas for the catalogue the plugins provide: requirements and their citations,
jurisdictions, plugins, profile questions and the facts rules read."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.profile import choice
from tracker.requirements import OWNERS, SCOPES, VERIFICATION


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
