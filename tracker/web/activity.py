"""Reminders sent and failed, and the audit trail with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request

from tracker import audit
from tracker.reminders import ledger
from tracker.web.session import requires

bp = Blueprint("activity", __name__, template_folder="templates")
PAGE_SIZE = 100


def _page() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


@bp.route("/reminders")
@requires("audit:read")
def reminders() -> Any:
    filters = {name: request.args.get(name) or None for name in ("state", "kind", "recipient")}
    page = _page()
    rows = list(ledger.find(filters).paginate(page, PAGE_SIZE))
    return render_template(
        "reminders.html",
        rows=rows,
        filters=filters,
        counts=ledger.counts(),
        states=ledger.STATES,
        page=page,
        page_size=PAGE_SIZE,
    )


@bp.route("/audit")
@requires("audit:read")
def trail() -> Any:
    filters: dict[str, Any] = {
        name: request.args.get(name, "").strip()
        for name in ("entity_type", "entity_id", "actor", "action")
    }
    errors = {}
    for name in ("since", "until"):
        text = request.args.get(name, "").strip()
        filters[name] = None
        if text:
            try:
                filters[name] = datetime.fromisoformat(text)
            except ValueError:
                errors[name] = ["Must be a date or date and time, such as 2026-11-01."]
    page = _page()
    # Newest first on screen: an auditor usually looks at what just happened.
    query = audit.find_events(filters).order_by(audit.AuditEvent.id.desc())
    rows = list(query.paginate(page, PAGE_SIZE))
    return render_template(
        "audit.html", rows=rows, filters=request.args, errors=errors, page=page, page_size=PAGE_SIZE
    ), (422 if errors else 200)
