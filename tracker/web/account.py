"""My account (every signed-in user): my password, my API tokens, how reminders reach me, and
the language of my pages.

The same domain functions as the API (``/api/me/...``) and the CLI. Changing the password ends
every session of the user, and this browser carries on in a new one.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from babel import dates
from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from tracker import accounts, i18n
from tracker.db import utcnow
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.models import ApiToken, User
from tracker.reminders import planning
from tracker.reminders.kinds import KINDS, OPTIONAL_KINDS
from tracker.web.session import requires, start_session, user

bp = Blueprint("account", __name__, template_folder="templates")


def secret_response(page: str) -> Response:
    """A page showing a secret once: never stored by the browser or a proxy."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def expiry(text: str) -> datetime | None:
    """A token's expiry from a date field: the start of that day, UTC (as ``tracker tokens``)."""
    if not text.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time())
    except ValueError:
        raise ValidationFailed({"expires_at": [_("Must be a date (YYYY-MM-DD).")]}) from None


def issue_token_from(values: dict[str, Any], owner: User, actor: str) -> tuple[ApiToken, str]:
    """Issue a token from a form's ``name`` and ``expires_at``; the secret is the caller's to show."""
    return accounts.issue_token(
        owner, values.get("name", ""), actor, expiry(values.get("expires_at", ""))
    )


@bp.route("/account")
@requires("systems:read")
def page() -> Any:
    return _page()


def _page(
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    shown: dict[str, str] | None = None,
) -> str:
    me = User.get_by_id(user().id)
    preference = planning.preference_for(me.email) if me.email else None
    return render_template(
        "account.html",
        me=me,
        abilities=accounts.abilities(me.role),
        tokens=list(accounts.list_tokens(me)),
        preference=preference,
        frequencies=_frequencies(),
        weekdays=dates.get_day_names("wide", locale=i18n.locale()),
        optional={kind: KINDS[kind] for kind in KINDS if kind in OPTIONAL_KINDS},
        mandatory={kind: KINDS[kind] for kind in KINDS if kind not in OPTIONAL_KINDS},
        errors=errors or {},
        values=values or {},
        shown=shown,
        now=utcnow(),
    )


def _frequencies() -> dict[str, str]:
    return {
        "daily": _("A daily digest"),
        "weekly": _("A weekly digest"),
        "immediate": _("Each reminder as it comes"),
    }


@bp.route("/account/password", methods=["POST"])
@requires("systems:read")
def password() -> Any:
    form = request.form
    try:
        if form.get("password", "") != form.get("password_again", ""):
            raise ValidationFailed({"password_again": [_("The two new passwords differ.")]})
        changed = accounts.change_own_password(
            user(), form.get("current_password", ""), form.get("password", "")
        )
    except ValidationFailed as failed:
        return _page(failed.errors), 422
    # The new password ended every session, this one included: this browser carries on.
    start_session(changed)
    flash(_("Password changed. You were signed out everywhere else."))
    return redirect(url_for("account.page"))


@bp.route("/account/language", methods=["POST"])
@requires("systems:read")
def language() -> Any:
    try:
        accounts.set_language(user(), request.form.get("language", ""), user().username)
    except ValidationFailed as failed:
        return _page(failed.errors), 422
    with i18n.using(user().language or None):  # the message in the language just chosen
        flash(_("Language saved."))
    return redirect(url_for("account.page"))


@bp.route("/account/notifications", methods=["POST"])
@requires("systems:read")
def notifications() -> Any:
    me = user()
    form = request.form
    values = {
        "frequency": form.get("frequency", ""),
        "weekly_day": form.get("weekly_day", ""),
        "opted_out": form.getlist("opted_out"),
    }
    try:
        if not me.email:
            raise ValidationFailed(
                {
                    "email": [
                        _("Your account has no e-mail address; ask an administrator to add one.")
                    ]
                }
            )
        try:
            weekly_day = int(values["weekly_day"])
        except ValueError:
            raise ValidationFailed(
                {"weekly_day": [_("Must be 0 (Monday) to 6 (Sunday).")]}
            ) from None
        planning.set_preference(me.email, values["frequency"], weekly_day, values["opted_out"])
    except ValidationFailed as failed:
        return _page(failed.errors, values), 422
    flash(_("Reminder preferences saved."))
    return redirect(url_for("account.page"))


@bp.route("/account/tokens", methods=["POST"])
@requires("systems:read")
def issue() -> Any:
    values = request.form.to_dict()
    try:
        _token, secret = issue_token_from(values, user(), user().username)
    except ValidationFailed as failed:
        return _page(failed.errors, values), 422
    return secret_response(_page(shown={"kind": "token", "value": secret}))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("systems:read")
def revoke(token_id: int) -> Any:
    token = ApiToken.find_by_id(token_id)
    if token.user_id != user().id:  # another's token: as if it did not exist
        raise NotFound("API token", token_id)
    try:
        accounts.revoke_token(token.id, user().username)
    except Conflict as conflict:
        flash(str(conflict), "error")
    else:
        flash(_("Revoked the API token %(name)s.", name=token.name))
    return redirect(url_for("account.page"))
