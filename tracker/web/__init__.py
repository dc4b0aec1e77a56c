"""The web interface for legal teams, DPOs and auditors, and the public transparency register.

Server-rendered pages on the same Flask app as the API. Every page calls the same domain
functions as the API and the CLI; this package only reads forms, renders templates and maps
errors to messages beside the field they concern.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, render_template, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from tracker import agency, i18n, vocabulary
from tracker.errors import TrackerError
from tracker.runtime import runtime
from tracker.web import (
    account,
    activity,
    agency_pages,
    evidence,
    forms,
    headers,
    languages,
    limits,
    operators,
    packs,
    portfolio,
    public,
    registration,
    reviews,
    session,
    systems,
    unsubscribe,
    users,
)

csrf = CSRFProtect()
login_manager = LoginManager()


def init_web(app: Flask) -> None:
    settings = runtime().settings  # create_app sets the runtime up before the pages
    secure = settings.base_url.startswith("https://") or settings.env == "production"
    app.config.update(
        # Forms are checked in the web blueprints only: the API authenticates with bearer
        # tokens, which a cross-site page cannot send.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure whenever the tracker is served over HTTPS (always in production).
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="tracker_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
    )
    languages.init_languages(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "session.sign_in_page"
    login_manager.login_message = i18n.N_("Sign in to see this page.")
    login_manager.localize_callback = i18n.gettext  # flashed in the reader's language
    login_manager.session_protection = "strong"
    login_manager.user_loader(session.load_account)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.jinja_env.filters.update(local_time=local_time, day=day, label=label, sentence=sentence)
    app.jinja_env.globals.update(
        vocabulary=vocabulary, can=session.can, percent=i18n.format_percent, agency=agency.current
    )

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> tuple[str, int]:
        message = i18n.gettext(
            "This form was open too long, or was sent from another page. "
            "Go back, reload the page and send it again."
        )
        title = i18n.gettext("Form expired")
        return render_template("error.html", title=title, message=message), 400

    headers.install(app)  # on the API and its docs too
    limits.install(app, settings)  # sign-in and the API


def _check_csrf() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


BLUEPRINTS = [
    m.bp
    for m in (
        session,
        languages,
        portfolio,
        systems,
        packs,
        evidence,
        reviews,
        activity,
        agency_pages,
        public,
        unsubscribe,
        registration,
        operators,
        users,
        account,
    )
]
for _blueprint in BLUEPRINTS:  # once, at import: blueprints are shared by every app made
    _blueprint.before_request(_check_csrf)
    _blueprint.register_error_handler(TrackerError, forms.domain_error_page)
    _blueprint.register_error_handler(HTTPException, forms.http_error_page)


def local_time(moment: datetime | None) -> str:
    """A stored UTC time in the agency's time zone and the reader's language."""
    return i18n.format_moment(moment, runtime().settings.timezone)


def day(value: date | None) -> str:
    return i18n.format_day(value)


def label(code: str | None, vocabulary_name: str) -> str:
    """The reader's-language label of an enum value (stage, role, status...), else the code."""
    text = getattr(vocabulary, vocabulary_name).get(code)
    return i18n.gettext(text) if text else (code or "")


def sentence(text: object) -> str:
    """``text`` in the reader's language, starting with a capital: Jinja's ``capitalize`` would
    work on a Phrase's English (and lower the rest, such as TRACKER_BINDING)."""
    shown = str(text)
    return shown[:1].upper() + shown[1:]
