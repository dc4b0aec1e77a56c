"""Evidence pages: upload (several files, drag and drop, progress), detail with files, hashes,
versions and review history, and verified download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from evidence import IntegrityError
from tracker import evidence_items, register, reviews, vocabulary
from tracker.app import runtime
from tracker.db import MAX_ID
from tracker.downloads import verified_download
from tracker.errors import Conflict, ValidationFailed
from tracker.evidence_items import IncomingFile
from tracker.models import AISystem, EvidenceFile, EvidenceSystem, SystemEvent
from tracker.web.session import requires, user

bp = Blueprint("evidence_pages", __name__, template_folder="templates")


def _metadata(form: Any) -> dict[str, Any]:
    """The upload form as evidence metadata; empty dates mean none."""
    data: dict[str, Any] = {
        name: form.get(name, "")
        for name in ("kind", "title", "description", "issuer", "certified_person")
    }
    for name in ("issued_on", "valid_from", "valid_until"):
        data[name] = form.get(name) or None
    data["requirement_ids"] = form.getlist("requirement_ids")
    data["system_ids"] = form.getlist("system_ids")
    data["agency_wide"] = "agency_wide" in form
    data["event_id"] = form.get("event_id") or None
    return data


RECENT_EVENTS = 50


def _events_to_answer(values: dict) -> list[SystemEvent]:
    """Events the evidence may answer: the chosen systems' recent ones, and the event asked for
    (a system page's "Upload evidence for this event" link names it)."""
    system_ids = [int(i) for i in values.get("system_ids") or () if str(i).isdigit()]
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


def _upload_page(values: dict, errors: dict, status: int = 200) -> Any:
    return render_template(
        "evidence_upload.html",
        values=values,
        errors=errors,
        systems=list(register.find_systems({})),
        events=_events_to_answer(values),
        event_kinds=runtime().catalogue.event_kinds,
        requirements=sorted(runtime().catalogue.requirements.values(), key=lambda r: r.id),
        kinds=vocabulary.EVIDENCE_KINDS,
    ), status


@bp.route("/evidence/new", methods=["GET", "POST"])
@requires("evidence:write")
def upload() -> Any:
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if request.method == "GET":
        values = {
            "system_ids": request.args.getlist("system_id"),
            "requirement_ids": request.args.getlist("requirement_id"),
            "event_id": request.args.get("event_id", ""),
        }
        return _upload_page(values, {})
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
        if wants_json:
            return jsonify(errors=failed.errors), 422
        return _upload_page(values, failed.errors, 422)
    target = url_for("evidence_pages.show", evidence_id=item.id)
    flash(f"Evidence {item.id} uploaded with {len(files)} file(s); it awaits the DPO's review.")
    return jsonify(redirect=target) if wants_json else redirect(target)


@bp.route("/evidence/<int:evidence_id>")
@requires("evidence:read")
def show(evidence_id: int) -> Any:
    item = evidence_items.get_evidence(evidence_id)
    return render_template(
        "evidence_detail.html",
        item=item,
        files=list(item.files.order_by(EvidenceFile.position)),
        # One query for the covered systems, not one per link.
        systems=list(
            AISystem.select()
            .join(EvidenceSystem)
            .where(EvidenceSystem.evidence == item)
            .order_by(AISystem.name)
        ),
        versions=list(evidence_items.versions(item)),
        history=list(reviews.reviews_of(item)),
        requirements=runtime().catalogue.requirements,
    )


@bp.route("/evidence/<int:evidence_id>/files/<int:file_id>")
@requires("evidence:download")
def download(evidence_id: int, file_id: int) -> Any:
    stored = evidence_items.get_file(evidence_items.get_evidence(evidence_id), file_id)
    try:
        return verified_download(runtime().store, stored, user().username)
    except IntegrityError as failure:
        message = (
            f"The stored file failed its integrity check ({failure.problem}); it was not served "
            "and the failure was recorded in the audit trail."
        )
        return render_template("error.html", title="Integrity failure", message=message), 500


@bp.route("/evidence/<int:evidence_id>/review", methods=["POST"])
@requires("evidence:review")
def review(evidence_id: int) -> Any:
    item = evidence_items.get_evidence(evidence_id)
    decision = request.form.get("decision", "")
    try:
        reviews.review_evidence(
            item, decision, request.form.get("reason", ""), user(), user().username
        )
    except (ValidationFailed, Conflict) as refused:
        flash(f"Not recorded: {refused}", "error")
    else:
        flash(f"Evidence {item.id} {decision}.")
    return redirect(request.form.get("back") or url_for("evidence_pages.show", evidence_id=item.id))
