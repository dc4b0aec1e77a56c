"""Users, roles, API tokens and web sessions.

A token is shown once when issued; only its SHA-256 is stored (a random
256-bit secret needs no slow hash), so a database leak reveals no usable
credential. A web session is the same kind of secret, held in the signed
session cookie, its SHA-256 in ``web_session``: ending a session deletes the
row, so a copy of the cookie taken before stops working. What each role may
do is the single table ``PERMISSIONS``.

Administrators change roles, deactivate and unlock accounts here; the rules that keep the
installation manageable (someone must stay an active administrator, nobody deactivates their
own account) live here too, so the web pages, the API and the CLI cannot differ.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import peewee as pw
from marshmallow import ValidationError, validate

from tracker import audit, i18n, prepared, sign_in
from tracker.db import is_postgres, utcnow, write_transaction
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import ApiToken, AuditEvent, User, WebSession
from tracker.vocabulary import ROLES

TOKEN_PREFIX = "tet_"
TOKEN_STATES = ("active", "expired", "revoked")
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
    "agency:manage": frozenset({"admin"}),
    # An evidence pack holds evidence files: whoever may download them may have one built.
    "packs:build": frozenset({"admin", "legal", "dpo", "auditor"}),
}

# What a role may do, in words people choosing a role read (the users page, ``tracker users
# roles``). Derived from PERMISSIONS, so the words cannot drift from the rules; the read
# permissions every role has are said once, by the first.
ABILITIES: dict[str, str] = {
    "systems:read": N_("See AI systems, evidence details, requirements and completeness"),
    "systems:write": N_("Register and edit AI systems"),
    "evidence:write": N_("Upload evidence"),
    "evidence:download": N_("Download evidence files"),
    "packs:build": N_("Build signed evidence packs for auditors"),
    "evidence:review": N_("Accept or reject evidence"),
    "waivers:request": N_("Request waivers"),
    "waivers:decide": N_("Decide waivers"),
    "audit:read": N_("Read the audit trail and the reminders sent"),
    "users:manage": N_("Manage users, roles and API tokens"),
    "agency:manage": N_("Set the agency's name, logo and contacts"),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def abilities(role: str) -> list[str]:
    """What ``role`` may do, one sentence per ability, in the current language."""
    return [_(text) for permission, text in ABILITIES.items() if allowed(role, permission)]


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _role_errors(role: str) -> dict[str, list[str]]:
    if role in ROLES:
        return {}
    return {"role": [_("Must be one of: %(roles)s.", roles=", ".join(ROLES))]}


def _details_errors(full_name: str, email: str) -> dict[str, list[str]]:
    # The API's rules (UserIn) and the columns' sizes, so a user made from the shell fits too.
    errors: dict[str, list[str]] = {}
    if len(full_name) > 200:
        errors["full_name"] = [_("Must be at most %(n)s characters.", n=200)]
    if email:
        try:
            validate.Email(error=_("Not a valid email address."))(email)
            validate.Length(max=254)(email)
        except ValidationError as error:
            errors["email"] = error.messages
    return errors


def create_user(username: str, role: str, actor: str, full_name: str = "", email: str = "") -> User:
    errors = {}
    if not USERNAME_RULE.match(username):
        errors["username"] = [
            _(
                "Must be 2-80 characters: lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit."
            )
        ]
    errors.update(_role_errors(role))
    errors.update(_details_errors(full_name, email))
    if errors:
        raise ValidationFailed(errors)
    if User.select().where(User.username == username).exists():
        raise ValidationFailed(
            {"username": [_("A user named %(name)r already exists.", name=username)]}
        )
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
        raise ValidationFailed({"name": [_("A token needs a name saying what it is for.")]})
    if len(name.strip()) > 120:  # the column's size, as the API's TokenIn says
        raise ValidationFailed({"name": [_("Must be at most %(n)s characters.", n=120)]})
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed({"expires_at": [_("Must be in the future.")]})
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
        raise Conflict(_("API token %(id)s was already revoked", id=token_id))
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
    # Every API request asks: its SQL is built once (tracker.prepared).
    return prepared.first(("token's user",), _token_user, _hash_token(secret), utcnow())


def _token_user(token_hash: str, now: datetime) -> pw.Query:
    return (
        User.select()
        .join(ApiToken)
        .where(
            (ApiToken.token_hash == token_hash)
            & ApiToken.revoked_at.is_null()
            & (ApiToken.expires_at.is_null() | (ApiToken.expires_at > now))
            & (User.is_active == True)
        )
        .limit(1)
    )


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """``revoked``, ``expired`` (its end has passed) or ``active``: what ``authenticate`` does."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def start_session(user: User, hours: int) -> str:
    """A new web session for ``user``, ending after ``hours``; return its key (for the cookie)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction():
        # Sessions nobody signed out of: gone once they could no longer be used.
        WebSession.delete().where(WebSession.expires_at <= now).execute()
        WebSession.create(
            user=user,
            key_hash=_hash_token(key),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    return key


def session_user(key: str) -> User | None:
    """The active user of this unexpired, unended web session, or None."""
    if not key:
        return None
    # Every page asks: its SQL is built once (tracker.prepared).
    return prepared.first(("session's user",), _session_user, _hash_token(key), utcnow())


def _session_user(key_hash: str, now: datetime) -> pw.Query:
    return (
        User.select()
        .join(WebSession)
        .where(
            (WebSession.key_hash == key_hash)
            & (WebSession.expires_at > now)
            & (User.is_active == True)
        )
        .limit(1)
    )


def end_session(key: str) -> None:
    """Sign out: this session's key stops working, wherever a copy of the cookie is."""
    WebSession.delete().where(WebSession.key_hash == _hash_token(key)).execute()


def end_sessions(user: User) -> int:
    """End every web session of ``user`` (a new password, a deactivation); return how many."""
    return WebSession.delete().where(WebSession.user == user).execute()


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


def is_locked(user: User) -> bool:
    """Whether sign-in is refused for now after too many wrong passwords."""
    return user.locked_until is not None and user.locked_until > utcnow()


def _other_active_admins(user: User) -> int:
    query = User.select(User.id).where(
        (User.role == "admin") & (User.is_active == True) & (User.id != user.id)
    )
    if is_postgres():
        # Two administrators demoting each other at once must not both succeed.
        query = query.for_update()
    return len(list(query))


def _keeps_an_admin(user: User, field: str, message: str) -> None:
    """Refuse a change that would leave no active administrator (run inside the transaction)."""
    if user.role == "admin" and user.is_active and _other_active_admins(user) == 0:
        raise ValidationFailed({field: [message]})


def change_role(user: User, role: str, actor: str) -> User:
    """Give ``user`` another role (audited); the last active administrator keeps theirs."""
    if errors := _role_errors(role):
        raise ValidationFailed(errors)
    if role == user.role:
        return user
    with write_transaction():
        if role != "admin":
            _keeps_an_admin(
                user,
                "role",
                _(
                    "%(name)s is the last active administrator: make another user an "
                    "administrator first.",
                    name=user.username,
                ),
            )
        before = user.role
        user.role = role
        user.save()
        audit.record(
            actor,
            "user.role_changed",
            "user",
            user.id,
            before={"role": before},
            after={"username": user.username, "role": role},
        )
    return user


def set_active(user: User, active: bool, actor: str, by: User | None = None) -> User:
    """Deactivate or reactivate ``user`` (audited).

    Deactivating ends every web session of the user and revokes every API token they hold, so
    a reactivated user signs in again and needs new tokens. ``by`` is the user acting, when
    there is one: nobody deactivates their own account, and the last active administrator stays
    active.
    """
    if bool(user.is_active) == active:
        return user
    if not active and by is not None and by.id == user.id:
        raise ValidationFailed(
            {"is_active": [_("You cannot deactivate your own account: another administrator can.")]}
        )
    with write_transaction():
        if not active:
            _keeps_an_admin(
                user,
                "is_active",
                _(
                    "%(name)s is the last active administrator: make another user an "
                    "administrator first.",
                    name=user.username,
                ),
            )
        user.is_active = active
        user.save()
        after: dict = {"username": user.username, "is_active": active}
        if not active:
            after["sessions_ended"] = end_sessions(user)
            after["tokens_revoked"] = _revoke_all_tokens(user)
        audit.record(
            actor,
            "user.reactivated" if active else "user.deactivated",
            "user",
            user.id,
            before={"is_active": not active},
            after=after,
        )
    return user


def _revoke_all_tokens(user: User) -> list[int]:
    """Revoke the user's unrevoked tokens (inside the caller's transaction); return their ids."""
    ids = [
        token_id
        for (token_id,) in ApiToken.select(ApiToken.id)
        .where((ApiToken.user == user) & ApiToken.revoked_at.is_null())
        .order_by(ApiToken.id)
        .tuples()
    ]
    if ids:
        ApiToken.update(revoked_at=utcnow()).where(ApiToken.id.in_(ids)).execute()
    return ids


def unlock(user: User, actor: str) -> User:
    """Lift the lock after too many wrong passwords before it ends by itself (audited)."""
    if not is_locked(user) and not user.failed_sign_ins:
        raise Conflict(_("%(name)s is not locked.", name=user.username))
    with write_transaction():
        before = {"locked_until": user.locked_until, "failed_sign_ins": user.failed_sign_ins}
        user.locked_until, user.failed_sign_ins = None, 0
        user.save()
        audit.record(
            actor,
            "user.unlocked",
            "user",
            user.id,
            before=before,
            after={"username": user.username},
        )
    return user


def update_details(user: User, actor: str, full_name: str, email: str) -> User:
    """Change a user's full name and e-mail address (where reminders go); audited."""
    full_name, email = full_name.strip(), email.strip()
    if errors := _details_errors(full_name, email):
        raise ValidationFailed(errors)
    before = {"full_name": user.full_name, "email": user.email}
    after = {"full_name": full_name, "email": email}
    if before == after:
        return user
    with write_transaction():
        user.full_name, user.email = full_name, email
        user.save()
        audit.record(
            actor,
            "user.updated",
            "user",
            user.id,
            before=before,
            after=dict(after, username=user.username),
        )
    return user


def set_language(user: User, language: str, actor: str) -> User:
    """The language of the user's pages and e-mails ("" = the browser's choice); audited."""
    language = language.strip()
    if language and language not in i18n.LANGUAGES:
        raise ValidationFailed(
            {"language": [_("Must be one of: %(codes)s.", codes=", ".join(i18n.LANGUAGES))]}
        )
    if language == user.language:
        return user
    with write_transaction():
        before = user.language
        user.language = language
        user.save()
        audit.record(
            actor,
            "user.language_set",
            "user",
            user.id,
            before={"language": before},
            after={"username": user.username, "language": language},
        )
    return user


def change_own_password(user: User, current: str, new: str) -> User:
    """A user's own password change: the current password first, counted like a sign-in so the
    form cannot be used to guess it. Every session of the user ends (see sign_in): the caller
    starts a new one for the user changing it."""
    if is_locked(user):
        raise ValidationFailed(
            {"current_password": [_("Too many wrong passwords: try again later.")]}
        )
    try:
        sign_in.check_credentials(user.username, current)
    except sign_in.SignInRefused:
        raise ValidationFailed(
            {"current_password": [_("This is not your current password.")]}
        ) from None
    user = User.get_by_id(user.id)  # the successful check saved the row
    sign_in.set_password(user, new, user.username)
    return user


def generate_password() -> str:
    """A random password an administrator hands over (shown once, never stored in clear)."""
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


def last_changed() -> dict[int, datetime]:
    """When each user's record last changed (created, role, password, state...), from the trail."""
    rows = (
        AuditEvent.select(AuditEvent.entity_id, pw.fn.MAX(AuditEvent.occurred_at))
        .where(AuditEvent.entity_type == "user")
        .group_by(AuditEvent.entity_id)
        .tuples()
    )
    return {int(entity): datetime.fromisoformat(moment) for entity, moment in rows}
