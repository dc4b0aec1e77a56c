"""Signing in and out, and who may see and do what on the web pages (the API's roles)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from tracker import accounts, i18n, sign_in, vocabulary
from tracker.i18n import gettext as _
from tracker.models import User

bp = Blueprint(
    "session",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
F = TypeVar("F", bound=Callable[..., Any])


class Account(UserMixin):
    """A signed-in user. The session id includes a fragment of the password hash, so changing
    the password signs out every other session."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{(self.user.password_hash or '')[-12:]}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.is_active)

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def language(self) -> str:
        return self.user.language  # the pages' language (tracker.web.languages reads it)


def load_account(session_id: str) -> Account | None:
    user_id, _colon, fragment = session_id.partition(":")
    user = User.get_or_none(User.id == int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or (user.password_hash or "")[-12:] != fragment:
        return None
    return Account(user)


def can(permission: str) -> bool:
    return current_user.is_authenticated and accounts.allowed(current_user.role, permission)


def requires(permission: str) -> Callable[[F], F]:
    """Signed-in users whose role grants ``permission`` only (others get 403)."""
    accounts.PERMISSIONS[permission]  # a misspelt permission fails at import time

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not can(permission):
                role = vocabulary.ROLES.get(current_user.role, current_user.role)
                abort(403, _("Your role (%(role)s) does not allow this.", role=_(role)))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def user() -> User:
    return current_user.user


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("portfolio.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_page() -> Any:
    error = None
    if request.method == "POST":
        try:
            found = sign_in.check_credentials(
                request.form.get("username", ""), request.form.get("password", "")
            )
        except sign_in.SignInRefused as refused:
            error = str(refused)
        else:
            login_user(Account(found))
            # in the language the next page will be in: the user's own, if they chose one
            with i18n.using(found.language or i18n.current_language()):
                flash(_("Signed in as %(name)s.", name=found.username))
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template(
        "sign_in.html", error=error, username=request.form.get("username", "")
    ), status


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    logout_user()
    flash(_("Signed out."))
    return redirect(url_for("session.sign_in_page"))
