"""Passwords and sign-in: argon2id hashes, and a lock after repeated failures.

After ``MAX_FAILURES`` wrong passwords in a row an account refuses every sign-in for
``LOCK_MINUTES``, even with the right password; each lock is in the audit trail.

Nothing tells which usernames exist: an unknown username, a wrong password and a locked
account get the same answer (which names the lock as a possible cause, so that its owner
knows to wait), and each costs one argon2 verification, of a dummy hash for an unknown user.
Which of these it was is only in the audit trail (``user.locked``). A new password ends
every web session of the user.
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker import audit
from tracker.db import utcnow, write_transaction
from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _
from tracker.models import User, WebSession

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_LENGTH = 12

_hasher = PasswordHasher()
_UNKNOWN_USER_HASH = _hasher.hash("no such user: spend the same time")


class SignInRefused(Exception):
    """Refused credentials: one message whatever the cause (see the module's docstring); only a
    deactivated account that gave its right password is told so."""


def refusal() -> str:
    return _(
        "Wrong username or password. After %(n)s failed sign-ins in a row an account is locked "
        "for %(minutes)s minutes: wait, or ask an administrator to unlock it.",
        n=MAX_FAILURES,
        minutes=LOCK_MINUTES,
    )


def set_password(user: User, password: str, actor: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed({"password": [f"Must be at least {MIN_LENGTH} characters."]})
    if password.strip() != password or password.casefold() == user.username.casefold():
        raise ValidationFailed(
            {"password": ["Must not start or end with spaces, nor be the username."]}
        )
    with write_transaction():
        user.password_hash = _hasher.hash(password)
        user.failed_sign_ins, user.locked_until = 0, None
        user.save()
        # Whoever knew the old password may hold a session: none survives the new one.
        ended = WebSession.delete().where(WebSession.user == user).execute()
        audit.record(
            actor,
            "user.password_set",
            "user",
            user.id,
            after={"username": user.username, "sessions_ended": ended},
        )


def check_credentials(username: str, password: str) -> User:
    """The user these credentials sign in, or SignInRefused."""
    user = User.get_or_none(User.username == username.strip().casefold())
    if user is None or not user.password_hash:
        _verify(_UNKNOWN_USER_HASH, password)
        raise SignInRefused(refusal())
    locked = user.locked_until is not None and user.locked_until > utcnow()
    # Verified even when locked, and the result thrown away: a locked account takes the time an
    # unknown one takes, and does not tell whether the password was right.
    right = _verify(user.password_hash, password)
    if locked:
        raise SignInRefused(refusal())
    if not right:
        _count_failure(user)
        raise SignInRefused(refusal())
    if not user.is_active:
        raise SignInRefused(_("This account is deactivated."))
    with write_transaction():
        user.failed_sign_ins, user.locked_until = 0, None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.save()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(user: User) -> None:
    with write_transaction():
        # Counted in SQL: two failures at once must both count.
        User.update(failed_sign_ins=User.failed_sign_ins + 1).where(User.id == user.id).execute()
        failures = User.get_by_id(user.id).failed_sign_ins
        if failures >= MAX_FAILURES:
            until = utcnow() + timedelta(minutes=LOCK_MINUTES)
            User.update(failed_sign_ins=0, locked_until=until).where(User.id == user.id).execute()
            audit.record(
                "system",
                "user.locked",
                "user",
                user.id,
                after={"username": user.username, "locked_until": until, "failures": failures},
            )
