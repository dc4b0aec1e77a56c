"""Bearer-token authentication and role checks for API views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from tracker import accounts
from tracker.models import User

F = TypeVar("F", bound=Callable[..., Any])


class Unauthenticated(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, role: str, permission: str) -> None:
        super().__init__(f"the {role} role does not allow {permission}")


def current_user() -> User:
    return g.user


def actor() -> str:
    """How the audit trail names whoever makes this request."""
    return g.user.username


def _bearer_token() -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def require(permission: str) -> Callable[[F], F]:
    """Only users whose role grants ``permission`` may call the decorated view."""
    accounts.PERMISSIONS[permission]  # fail at import time on a misspelt permission

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = accounts.authenticate(_bearer_token())
            if user is None:
                raise Unauthenticated()
            if not accounts.allowed(user.role, permission):
                raise Forbidden(user.role, permission)
            g.user = user
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
