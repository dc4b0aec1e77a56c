"""Signing in and out, and who may see and do what on the web pages (the API's roles).

The signed session cookie carries a random session key; the database holds its hash
(``tracker.accounts.start_session``). Every request looks the key up, so signing out, a new
password or a deactivation ends the session even for a copy of the cookie. Signing in starts a
new key and a new CSRF token, so nothing from before sign-in carries over.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from tracker import accounts, i18n, sign_in, vocabulary
from tracker.i18n import gettext as _
from tracker.models import User
from tracker.runtime import runtime

bp = Blueprint(
    "session",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
F = TypeVar("F", bound=Callable[..., Any])


class Account(UserMixin):
    """A signed-in user and the key of their session (what Flask-Login keeps in the cookie)."""

    def __init__(self, user: User, session_key: str) -> None:
        self.user = user
        self.session_key = session_key

    def get_id(self) -> str:
        return self.session_key

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


def load_account(session_key: str) -> Account | None:
    user = accounts.session_user(session_key)
    return Account(user, session_key) if user is not None else None


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser: a new session key and a new CSRF token."""
    # A token a page showed before sign-in (possibly to someone else on a shared machine, or
    # planted) is not valid after it.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    key = accounts.start_session(user, runtime().settings.session_hours)
    login_user(Account(user, key))


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
            start_session(found)
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
    if current_user.is_authenticated:
        accounts.end_session(current_user.session_key)
    logout_user()
    flash(_("Signed out."))
    return redirect(url_for("session.sign_in_page"))
