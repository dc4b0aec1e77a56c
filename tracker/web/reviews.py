"""The DPO's work: the review queue (accept, or reject with a reason) and waivers."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from tracker import register, reviews, waivers
from tracker.app import runtime
from tracker.errors import Conflict, ValidationFailed
from tracker.models import Waiver
from tracker.web.session import requires, user

bp = Blueprint("review_pages", __name__, template_folder="templates")


@bp.route("/reviews")
@requires("evidence:read")
def queue() -> Any:
    items = list(reviews.review_queue())
    return render_template(
        "reviews.html", items=items, requirements=runtime().catalogue.requirements
    )


@bp.route("/waivers", methods=["GET", "POST"])
@requires("systems:read")
def waiver_list() -> Any:
    errors: dict[str, Any] = {}
    values = {
        "system_id": request.args.get("system_id", ""),
        "requirement_id": request.args.get("requirement_id", ""),
    }
    status = 200
    if request.method == "POST":
        values = dict(request.form)
        try:
            system = register.get_system(int(values.get("system_id") or 0))
            expires = _date(values.get("expires_on", ""))
            waivers.request_waiver(
                system,
                values.get("requirement_id", ""),
                values.get("justification", ""),
                expires,
                user(),
                user().username,
                runtime().catalogue,
            )
        except ValidationFailed as failed:
            errors, status = failed.errors, 422
        except Conflict as conflict:
            errors, status = {"requirement_id": [str(conflict)]}, 409
        else:
            flash("Waiver requested; a DPO decides it.")
            return redirect(url_for("review_pages.waiver_list"))
    state = request.args.get("state") or None
    return _waivers_page(
        list(waivers.find_waivers({"state": state})), state, values, errors
    ), status


@bp.route("/waivers/<int:waiver_id>")
@requires("systems:read")
def waiver_page(waiver_id: int) -> Any:
    """One waiver, with its decision buttons: where a reminder about it leads."""
    waiver = Waiver.find_by_id(waiver_id)
    return _waivers_page([waiver], None, {}, {}, single=waiver)


def _waivers_page(
    shown: list[Waiver], state: str | None, values: dict, errors: dict, single: Waiver | None = None
) -> str:
    return render_template(
        "waivers.html",
        waivers=shown,
        single=single,
        state=state,
        systems=list(register.find_systems({})),
        requirements=sorted(runtime().catalogue.requirements),
        values=values,
        errors=errors,
        today=date.today(),
    )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"expires_on": ["Must be a date (YYYY-MM-DD)."]}) from None


DONE = {"approve": "approved", "reject": "rejected", "revoke": "revoked"}


@bp.route("/waivers/<int:waiver_id>/<any(approve, reject, revoke):action>", methods=["POST"])
@requires("waivers:decide")
def decide(waiver_id: int, action: str) -> Any:
    waiver = Waiver.find_by_id(waiver_id)
    decide_with = {
        "approve": waivers.approve_waiver,
        "reject": waivers.reject_waiver,
        "revoke": waivers.revoke_waiver,
    }[action]
    try:
        decide_with(waiver, user(), request.form.get("note", ""), user().username)
    except (ValidationFailed, Conflict) as refused:
        flash(f"Not recorded: {refused}", "error")
    else:
        flash(f"Waiver {waiver.id} {DONE[action]}.")
    return redirect(url_for("review_pages.waiver_list"))
