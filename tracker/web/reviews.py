"""The DPO's work: the review queue (accept, or reject with a reason) and waivers.

Both pages name systems, requirements and people, never bare ids, and offer a decision only
where the domain would accept it: evidence still awaiting its first decision, by someone other
than its uploader; a waiver still requested (approve, reject) or approved and running (revoke),
by a DPO other than its requester.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import peewee as pw
from flask import Blueprint, flash, redirect, render_template, request, url_for

from tracker import register, reviews, waivers
from tracker.audit.names import person
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import AISystem, Evidence, EvidenceSystem, User, Waiver
from tracker.runtime import runtime
from tracker.web.session import requires, user

bp = Blueprint("review_pages", __name__, template_folder="templates")

WAIVER_STATES = {
    "requested": N_("Requested"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "revoked": N_("Revoked"),
}


def systems_of(evidence_ids: Iterable[int]) -> dict[int, list[AISystem]]:
    """evidence id -> the systems it covers, by name: one query for all of them."""
    ids = list(evidence_ids)
    covered: dict[int, list[AISystem]] = defaultdict(list)
    if not ids:
        return covered
    query = (
        EvidenceSystem.select(EvidenceSystem.evidence, AISystem.id, AISystem.name)
        .join(AISystem)
        .where(EvidenceSystem.evidence.in_(ids))
        .order_by(AISystem.name)
    )
    for link in query:
        covered[link.evidence_id].append(link.system)
    return covered


@bp.route("/reviews")
@requires("evidence:read")
def queue() -> Any:
    items = list(
        reviews.review_queue()
        .select_extend(User)
        .join(User, pw.JOIN.LEFT_OUTER, on=(Evidence.uploaded_by == User.id), attr="uploaded_by")
    )
    return render_template(
        "reviews.html",
        items=items,
        covered=systems_of(item.id for item in items),
        requirements=runtime().catalogue.requirements,
        me=user(),
        person=person,
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
            system = _system(values.get("system_id", ""))
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
            flash(_("Waiver requested; another DPO decides it."))
            return redirect(url_for("review_pages.waiver_list"))
    state = request.args.get("state") if request.args.get("state") in WAIVER_STATES else None
    return _waivers_page(
        list(waivers.find_waivers({"state": state})), state, values, errors
    ), status


def _system(text: str) -> AISystem:
    if not text.isdigit():
        raise ValidationFailed({"system_id": [_("Choose the AI system the waiver is for.")]})
    return register.get_system(int(text))


@bp.route("/waivers/<int:waiver_id>")
@requires("systems:read")
def waiver_page(waiver_id: int) -> Any:
    """One waiver, with its decision buttons: where a reminder about it leads."""
    waiver = waivers.find_waivers({}).where(Waiver.id == waiver_id).first()
    if waiver is None:
        waiver = Waiver.find_by_id(waiver_id)  # NotFound, named
    return _waivers_page([waiver], None, {}, {}, single=waiver)


def _waivers_page(
    shown: list[Waiver], state: str | None, values: dict, errors: dict, single: Waiver | None = None
) -> str:
    catalogue = runtime().catalogue
    systems = list(register.find_systems({}))
    names = {s.id: s.name for s in systems}
    missing = {w.system_id for w in shown} - names.keys()  # retired systems keep their waivers
    if missing:
        names.update(
            AISystem.select(AISystem.id, AISystem.name).where(AISystem.id.in_(missing)).tuples()
        )
    return render_template(
        "waivers.html",
        waivers=shown,
        single=single,
        state=state,
        states=WAIVER_STATES,
        system_names=names,
        systems=systems,
        requirements=catalogue.requirements,
        requirement_choices=sorted(
            catalogue.requirements.values(), key=lambda r: (r.framework, r.title)
        ),
        jurisdictions=catalogue.jurisdictions,
        values=values,
        errors=errors,
        today=date.today(),
        me=user(),
        person=person,
    )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"expires_on": [_("Must be a date (YYYY-MM-DD).")]}) from None


DONE = {
    "approve": N_("Waiver %(id)s approved."),
    "reject": N_("Waiver %(id)s rejected."),
    "revoke": N_("Waiver %(id)s revoked."),
}


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
        flash(_("Not recorded: %(reason)s", reason=refused), "error")
    else:
        flash(_(DONE[action], id=waiver.id))
    back = url_for("review_pages.waiver_page", waiver_id=waiver.id)
    if request.form.get("back") == "list":
        back = url_for("review_pages.waiver_list") + f"#waiver-{waiver.id}"
    return redirect(back)
