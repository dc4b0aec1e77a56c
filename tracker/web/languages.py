"""Flask-Babel for the pages: each request's language and time zone, and the formats templates use.

The language is the signed-in user's choice, else the one picked on a public page (kept in the
session), else the browser's best match; the time zone is the agency's. The same language is made
current in :mod:`tracker.i18n`, so messages built by domain code during the request match the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, redirect, request, session, url_for
from flask_babel import Babel, get_locale
from flask_login import current_user

from tracker import accounts, i18n
from tracker.runtime import runtime

babel = Babel()
bp = Blueprint("languages", __name__)


def select_language() -> str:
    chosen = getattr(current_user, "language", "") if current_user else ""
    if chosen in i18n.LANGUAGES:
        return chosen
    if session.get("language") in i18n.LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(list(i18n.LANGUAGES)) or i18n.DEFAULT_LANGUAGE


def select_timezone() -> str:
    return runtime().settings.timezone


def init_languages(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(i18n.CATALOGUES)
    app.config["BABEL_DEFAULT_LOCALE"] = i18n.DEFAULT_LANGUAGE
    babel.init_app(app, locale_selector=select_language, timezone_selector=select_timezone)
    app.jinja_env.globals.update(
        languages=i18n.LANGUAGES, current_language=lambda: str(get_locale())
    )
    app.jinja_env.filters.update(size=i18n.format_size, number=i18n.format_number)

    @app.before_request
    def language_for_domain_messages() -> None:
        # The API speaks English whoever calls it: its texts are data a program keeps and compares
        # (ids and statuses are language-neutral anyway); people read the pages.
        api = request.path == "/api" or request.path.startswith("/api/")
        g.language_token = i18n.enter_language(i18n.DEFAULT_LANGUAGE if api else str(get_locale()))

    @app.teardown_request
    def language_back(_error: BaseException | None) -> None:
        # the thread goes back to the default: nothing after the request inherits its language
        token = g.pop("language_token", None)
        if token is not None:
            i18n.leave_language(token)


@bp.route("/language", methods=["POST"])
def choose() -> Any:
    """The language switcher in the footer: kept for this browser's session."""
    language = request.form.get("language", "")
    if language in i18n.LANGUAGES:
        session["language"] = language
        if current_user.is_authenticated:  # a signed-in user's stored choice would win
            accounts.set_language(current_user.user, language, current_user.username)
    target = request.form.get("next", "")
    # only a path on this site: never an open redirect
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.index")
    return redirect(target)
