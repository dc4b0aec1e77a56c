"""API schemas for user accounts and their API tokens."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.api.fields import UtcDateTime
from tracker.profile import choice


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
