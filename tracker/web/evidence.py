"""Evidence pages: upload (systems first, then only their requirements; several files, drag and
drop, progress), detail with files, hashes, versions and review history, the DPO's decision while
one is open, and verified download.

The upload form works without JavaScript: "Next" sends the chosen systems with a GET and the
page comes back with their requirements. With JavaScript, upload.js fetches the same fragment
(``/evidence/new/choices``) whenever the systems change.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from evidence import IntegrityError
from tracker import evidence_choices, evidence_items, register, reviews, vocabulary
from tracker.audit.names import person
from tracker.db import MAX_ID
from tracker.downloads import verified_download
from tracker.errors import Conflict, ValidationFailed
from tracker.evidence_items import IncomingFile
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import AISystem, Blob, Evidence, EvidenceFile, EvidenceSystem, SystemEvent
from tracker.runtime import runtime
from tracker.web.session import requires, user

bp = Blueprint("evidence_pages", __name__, template_folder="templates")

TEXT_FIELDS = ("kind", "title", "description", "issuer", "certified_person")
DATE_FIELDS = ("issued_on", "valid_from", "valid_until")


def _metadata(form: MultiDict) -> dict[str, Any]:
    """The upload form as evidence metadata; empty dates mean none."""
    data: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    for name in DATE_FIELDS:
        data[name] = form.get(name) or None
    data["requirement_ids"] = form.getlist("requirement_ids")
    data["system_ids"] = form.getlist("system_ids")
    data["agency_wide"] = "agency_wide" in form
    data["event_id"] = form.get("event_id") or None
    return data


def _values_from_query(args: MultiDict) -> dict[str, Any]:
    """What a GET asks for: a system page's link (system_id, requirement_id, event_id), or the
    form itself sent back by "Next" (every field under its own name)."""
    values = _metadata(args)
    values["system_ids"] = args.getlist("system_id") + values["system_ids"]
    values["requirement_ids"] = args.getlist("requirement_id") + values["requirement_ids"]
    values["event_id"] = args.get("event_id", "")
    return values


RECENT_EVENTS = 50


def _events_to_answer(values: dict) -> list[SystemEvent]:
    """Events the evidence may answer: the chosen systems' recent ones, and the event asked for
    (a system page's "Upload evidence for this event" link names it)."""
    system_ids = [int(i) for i in values.get("system_ids") or () if str(i).isdigit()]
    system_ids = [i for i in system_ids if i <= MAX_ID]
    query = (
        SystemEvent.select(SystemEvent, AISystem)
        .join(AISystem)
        .where(SystemEvent.system.in_(system_ids))
        .order_by(SystemEvent.occurred_at.desc(), SystemEvent.id.desc())
        .limit(RECENT_EVENTS)
    )
    events = list(query) if system_ids else []
    wanted = str(values.get("event_id") or "")
    if wanted.isdigit() and int(wanted) <= MAX_ID and all(e.id != int(wanted) for e in events):
        found = SystemEvent.get_or_none(SystemEvent.id == int(wanted))
        if found is not None:
            events.insert(0, found)
    return events


def _choices_context(values: dict, errors: dict) -> dict[str, Any]:
    """What the requirements-and-event fragment needs (the page, and the live update)."""
    catalogue = runtime().catalogue
    return {
        "values": values,
        "errors": errors,
        "choices": evidence_choices.requirement_choices(
            values["system_ids"],
            values["agency_wide"],
            catalogue,
            wanted=values["requirement_ids"],
        ),
        "events": _events_to_answer(values),
        "event_kinds": catalogue.event_kinds,
    }


def _upload_page(values: dict, errors: dict, status: int = 200) -> Any:
    return render_template(
        "evidence_upload.html",
        systems=list(register.find_systems({}).order_by(AISystem.name)),
        kinds=vocabulary.EVIDENCE_KINDS,
        **_choices_context(values, errors),
    ), status


def _shown_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """Errors as the form shows them, in the reader's language: the files' messages (kept per
    file by the upload's rules, each naming its file) as one list beside the file field."""
    shown: dict[str, Any] = {}
    for name, messages in errors.items():
        if isinstance(messages, dict):
            messages = [m for per_file in messages.values() for m in per_file]
        if isinstance(messages, list):
            messages = [str(m) for m in messages]
        shown[name] = messages
    return shown


@bp.route("/evidence/new", methods=["GET", "POST"])
@requires("evidence:write")
def upload() -> Any:
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if request.method == "GET":
        if "csrf_token" in request.args:
            # "Next" without JavaScript sends the whole form: keep the choices, drop the token
            # (and empty fields) from the address, and open the page at the requirements.
            kept = [(k, v) for k, v in request.args.items(multi=True) if v and k != "csrf_token"]
            return redirect(
                f"{url_for('evidence_pages.upload')}?{urlencode(kept)}#requirements-step", 303
            )
        return _upload_page(_values_from_query(request.args), {})
    values = _metadata(request.form)
    files = [IncomingFile(f.stream, f.filename or "") for f in request.files.getlist("files")]
    try:
        item = evidence_items.add_evidence(
            runtime().store,
            values,
            files,
            user(),
            user().username,
            known_requirements=runtime().catalogue.requirements,
        )
    except ValidationFailed as failed:
        errors = _shown_errors(failed.errors)
        if wants_json:
            return jsonify(errors=errors), 422
        return _upload_page(values, errors, 422)
    target = url_for("evidence_pages.show", evidence_id=item.id)
    flash(
        _(
            "Evidence %(id)s uploaded with %(files)s file(s); it awaits the DPO's review.",
            id=item.id,
            files=len(files),
        )
    )
    return jsonify(redirect=target) if wants_json else redirect(target)


@bp.route("/evidence/new/choices")
@requires("evidence:write")
def choices() -> Any:
    """The requirements (and events) of the systems in the query: the form's live update."""
    return render_template(
        "evidence_choices.html", **_choices_context(_values_from_query(request.args), {})
    )


def decision_open(item: Evidence, history: list) -> bool:
    """Whether this version still awaits its decision: current, and never decided."""
    return item.superseded_at is None and not history


def _detail(item: Evidence, errors: dict | None = None, status: int = 200) -> Any:
    history = list(reviews.reviews_of(item))
    versions = list(evidence_items.versions(item))
    return render_template(
        "evidence_detail.html",
        item=item,
        files=list(
            EvidenceFile.select(EvidenceFile, Blob)
            .join(Blob)
            .where(EvidenceFile.evidence == item)
            .order_by(EvidenceFile.position)
        ),
        # One query for the covered systems, not one per link.
        systems=list(
            AISystem.select()
            .join(EvidenceSystem)
            .where(EvidenceSystem.evidence == item)
            .order_by(AISystem.name)
        ),
        versions=versions,
        newest=versions[-1] if versions else item,
        history=history,
        open=decision_open(item, history),
        own=item.uploaded_by_id == user().id,
        requirements=runtime().catalogue.requirements,
        errors=errors or {},
        values=request.form if errors else {},
        person=person,
    ), status


@bp.route("/evidence/<int:evidence_id>")
@requires("evidence:read")
def show(evidence_id: int) -> Any:
    return _detail(evidence_items.get_evidence(evidence_id))


@bp.route("/evidence/<int:evidence_id>/files/<int:file_id>")
@requires("evidence:download")
def download(evidence_id: int, file_id: int) -> Any:
    stored = evidence_items.get_file(evidence_items.get_evidence(evidence_id), file_id)
    try:
        return verified_download(runtime().store, stored, user().username)
    except IntegrityError as failure:
        message = _(
            "The stored file failed its integrity check (%(problem)s); it was not served "
            "and the failure was recorded in the audit trail.",
            problem=failure.problem,
        )
        return render_template("error.html", title=_("Integrity failure"), message=message), 500


DECIDED = {"accepted": N_("Evidence %(id)s accepted."), "rejected": N_("Evidence %(id)s rejected.")}
DECISIONS = {"accepted": N_("accepted"), "rejected": N_("rejected")}


def _back(target: str | None, item: Evidence) -> str:
    # Only a path on this site: never an open redirect.
    local = target and target.startswith("/") and not target.startswith("//")
    if local and not urlsplit(target).netloc:
        return target
    return url_for("evidence_pages.show", evidence_id=item.id)


@bp.route("/evidence/<int:evidence_id>/review", methods=["POST"])
@requires("evidence:review")
def review(evidence_id: int) -> Any:
    item = evidence_items.get_evidence(evidence_id)
    decision = request.form.get("decision", "")
    history = list(reviews.reviews_of(item))
    if history and item.superseded_at is None:
        # A page left open while someone else decided: never overwrite that decision from it.
        last = history[-1]
        flash(
            _(
                "Not recorded: evidence %(id)s was already %(decision)s by %(name)s.",
                id=item.id,
                decision=_(DECISIONS.get(last.decision, last.decision)),
                name=person(last.reviewer.username, last.reviewer.full_name),
            ),
            "error",
        )
        return redirect(url_for("evidence_pages.show", evidence_id=item.id))
    try:
        reviews.review_evidence(
            item, decision, request.form.get("reason", ""), user(), user().username
        )
    except ValidationFailed as failed:
        return _detail(item, failed.errors, 422)
    except Conflict as refused:
        flash(_("Not recorded: %(reason)s", reason=refused), "error")
    else:
        flash(_(DECIDED[decision], id=item.id))
    return redirect(_back(request.form.get("back"), item))
