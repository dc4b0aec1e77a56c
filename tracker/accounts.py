"""Users, roles and API tokens.

A token is shown once when issued; only its SHA-256 is stored (a random
256-bit secret needs no slow hash), so a database leak reveals no usable
credential. What each role may do is the single table ``PERMISSIONS``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import peewee as pw
from marshmallow import ValidationError, validate

from tracker import audit
from tracker.db import utcnow, write_transaction
from tracker.errors import Conflict, ValidationFailed
from tracker.models import ApiToken, User
from tracker.vocabulary import ROLES

TOKEN_PREFIX = "tet_"
USERNAME_RULE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")

READ_ROLES = frozenset(ROLES)
WRITE_ROLES = frozenset({"admin", "legal", "dpo"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "systems:read": READ_ROLES,
    "systems:write": WRITE_ROLES,
    "evidence:read": READ_ROLES,
    "evidence:write": WRITE_ROLES,
    "evidence:download": frozenset({"admin", "legal", "dpo", "auditor"}),
    "audit:read": frozenset({"admin", "dpo", "auditor"}),
    "users:manage": frozenset({"admin"}),
    "catalogue:read": READ_ROLES,
    "completeness:read": READ_ROLES,
    "evidence:review": frozenset({"dpo"}),
    "waivers:request": WRITE_ROLES,
    "waivers:decide": frozenset({"dpo"}),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(username: str, role: str, actor: str, full_name: str = "", email: str = "") -> User:
    errors = {}
    if not USERNAME_RULE.match(username):
        errors["username"] = [
            "Must be 2-80 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        ]
    if role not in ROLES:
        errors["role"] = [f"Must be one of: {', '.join(ROLES)}."]
    # The API's rules (UserIn) and the columns' sizes, so a user made from the shell fits too.
    if len(full_name) > 200:
        errors["full_name"] = ["Must be at most 200 characters."]
    if email:
        try:
            validate.Email()(email)
            validate.Length(max=254)(email)
        except ValidationError as error:
            errors["email"] = error.messages
    if errors:
        raise ValidationFailed(errors)
    if User.select().where(User.username == username).exists():
        raise ValidationFailed({"username": [f"A user named {username!r} already exists."]})
    with write_transaction():
        user = User.create(username=username, role=role, full_name=full_name, email=email)
        audit.record(
            actor,
            "user.created",
            "user",
            user.id,
            after={"username": username, "role": role, "full_name": full_name, "email": email},
        )
    return user


def get_user(username_or_id: str | int) -> User:
    key = str(username_or_id)
    if key.isdigit():
        return User.find_by_id(int(key))
    return User.find(User.username == key, identifier=username_or_id)


def issue_token(
    user: User, name: str, actor: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it and its secret (shown once, never stored)."""
    if not name.strip():
        raise ValidationFailed({"name": ["A token needs a name saying what it is for."]})
    if len(name.strip()) > 120:  # the column's size, as the API's TokenIn says
        raise ValidationFailed({"name": ["Must be at most 120 characters."]})
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed({"expires_at": ["Must be in the future."]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        token = ApiToken.create(
            user=user,
            name=name.strip(),
            token_hash=_hash_token(secret),
            prefix=secret[:12],
            expires_at=expires_at,
        )
        audit.record(
            actor,
            "token.issued",
            "api_token",
            token.id,
            after={
                "user": user.username,
                "name": token.name,
                "prefix": token.prefix,
                "expires_at": expires_at,
            },
        )
    return token, secret


def revoke_token(token_id: int, actor: str) -> ApiToken:
    token = ApiToken.find_by_id(token_id)
    if token.revoked_at is not None:
        raise Conflict(f"API token {token_id} was already revoked")
    with write_transaction():
        token.revoked_at = utcnow()
        token.save()
        audit.record(
            actor,
            "token.revoked",
            "api_token",
            token.id,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at},
        )
    return token


def authenticate(secret: str) -> User | None:
    """The active user owning this unrevoked, unexpired token, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = utcnow()
    return (
        User.select()
        .join(ApiToken)
        .where(
            (ApiToken.token_hash == _hash_token(secret))
            & ApiToken.revoked_at.is_null()
            & (ApiToken.expires_at.is_null() | (ApiToken.expires_at > now))
            & (User.is_active == True)
        )
        .first()
    )


def find_users(filters: dict) -> pw.ModelSelect:
    """Users matching ``filters``: role, is_active, q (username, full name or e-mail)."""
    query = User.select().order_by(User.id)
    if filters.get("role"):
        query = query.where(User.role == filters["role"])
    if filters.get("is_active") is not None:
        query = query.where(User.is_active == filters["is_active"])
    if text := filters.get("q"):
        pattern = f"%{text}%"
        query = query.where(
            User.username.ilike(pattern) | User.full_name.ilike(pattern) | User.email.ilike(pattern)
        )
    return query


def list_tokens(user: User | None = None, include_revoked: bool = True) -> pw.ModelSelect:
    query = ApiToken.select(ApiToken, User).join(User).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_null())
    return query.where(ApiToken.user == user) if user is not None else query
