"""Declining optional reminders from the link in an e-mail, without signing in.

The token in the link is the credential: it names one address's preferences and nothing else.
The page asks before it changes anything, because mail scanners follow links; the one-click
``List-Unsubscribe-Post`` header of RFC 8058 goes to the API instead.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from tracker import i18n
from tracker.reminders import planning
from tracker.reminders.kinds import KINDS, OPTIONAL_KINDS

bp = Blueprint("unsubscribe", __name__, template_folder="templates")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def page(token: str) -> Any:
    preference = planning.preference_by_token(token)
    done = request.method == "POST"
    if done:
        preference = planning.unsubscribe(token)
    return render_template(
        "unsubscribe.html",
        preference=preference,
        optional={kind: i18n.gettext(KINDS[kind]) for kind in sorted(OPTIONAL_KINDS)},
        done=done,
    )
