"""Reminders (one row per e-mail, with its items) and the audit trail (names, the chain's state,
filters, pages and a CSV export)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from tracker import audit
from tracker.audit import names as audit_names
from tracker.db import utcnow
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import AuditEvent, AuditHead
from tracker.reminders import history
from tracker.runtime import runtime
from tracker.web.csv_export import csv_response
from tracker.web.session import requires

bp = Blueprint("activity", __name__, template_folder="templates")
PAGE_SIZE = 50

# How the reminders page names the states of an e-mail and the kinds of its items.
EMAIL_STATES = {
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "pending": N_("Waiting to be sent"),
    "sending": N_("Being sent"),
    "obsolete": N_("Not sent: no longer due"),
}
REMINDER_KINDS = {
    "missing": N_("Missing before the next stage"),
    "rejected": N_("Rejected evidence to replace"),
    "expired": N_("Expired evidence"),
    "expiring": N_("Expiring soon"),
    "operator_certificate": N_("Operator certificate"),
    "review_overdue": N_("Waiting too long for review"),
    "waiver_expiring": N_("Waiver ending"),
    "event_deadline": N_("Deadline after an event"),
    "escalation": N_("Escalated: reminded repeatedly"),
}


def _page() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() and len(value) < 7 else 1


def _pages(total: int) -> int:
    return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


@bp.route("/reminders")
@requires("audit:read")
def reminders() -> Any:
    filters = {
        "state": request.args.get("state") if request.args.get("state") in EMAIL_STATES else None,
        "kind": request.args.get("kind") if request.args.get("kind") in REMINDER_KINDS else None,
        "recipient": request.args.get("recipient", "").strip() or None,
    }
    counts = history.counts(filters)
    total = counts.get(filters["state"], 0) if filters["state"] else sum(counts.values())
    page = min(_page(), _pages(total))
    catalogue = runtime().catalogue
    return render_template(
        "reminders.html",
        emails=history.emails(filters, page, PAGE_SIZE),
        filters=filters,
        kept={name: value for name, value in filters.items() if value},
        counts=counts,
        total=total,
        states=EMAIL_STATES,
        kinds=REMINDER_KINDS,
        requirements=catalogue.requirements,
        page=page,
        pages=_pages(total),
    )


AUDIT_TEXT_FILTERS = ("actor", "action", "entity_type", "entity_id")
AUDIT_FILTERS = (*AUDIT_TEXT_FILTERS, "since", "until")


def _audit_filters() -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """(filters for audit.find_events, the values as typed, errors by field)."""
    values = {name: request.args.get(name, "").strip() for name in AUDIT_FILTERS}
    filters: dict[str, Any] = {name: values[name] for name in AUDIT_TEXT_FILTERS}
    errors = {}
    for name in ("since", "until"):
        filters[name] = None
        if values[name]:
            try:
                filters[name] = datetime.fromisoformat(values[name])
            except ValueError:
                errors[name] = [_("Must be a date or a date and time, such as 2026-11-01.")]
    return filters, values, errors


@dataclass
class AuditRow:
    """One event as the page shows it."""

    event: AuditEvent
    when: datetime
    actor: str  # the person's name, or the actor as recorded ("system", "demo-seed")
    entity: audit_names.Named
    changes: list[tuple[str, str, str]]  # (field, before, after)
    link: str | None = None  # the entity's page, when it has one and still exists


# Entities with a page of their own: (endpoint, its id parameter).
ENTITY_PAGES = {
    "ai_system": ("system_pages.show", "system_id"),
    "evidence": ("evidence_pages.show", "evidence_id"),
    "waiver": ("review_pages.waiver_page", "waiver_id"),
}


def _link(event: AuditEvent, named: audit_names.Named) -> str | None:
    page = ENTITY_PAGES.get(event.entity_type)
    if page is None or not named.name or not str(event.entity_id).isdigit():
        return None
    return url_for(page[0], **{page[1]: int(event.entity_id)})


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    before, after = event.before or {}, event.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [(name, _shown(before.get(name)), _shown(after.get(name))) for name in fields]


def _rows(events: list[AuditEvent]) -> list[AuditRow]:
    """The events with their names: one query for the actors, one per kind of entity."""
    actors = audit_names.actor_names(e.actor for e in events)
    entities = audit_names.entity_names(events, runtime().catalogue)
    rows = []
    for e in events:
        named = entities[(e.entity_type, str(e.entity_id))]
        when = datetime.fromisoformat(e.occurred_at)
        rows.append(
            AuditRow(e, when, actors.get(e.actor, e.actor), named, _changes(e), _link(e, named))
        )
    return rows


# Walking the chain costs about 40 µs per event (0.4 s for 10,000): a check is reused for a
# minute while the head stays the same, and "Check again now" always walks it afresh.
CHAIN_CHECK_SECONDS = 60
_chain_checks: dict[tuple, tuple[float, audit.ChainReport, datetime]] = {}


def _chain_state(fresh: bool) -> tuple[audit.ChainReport, datetime]:
    head = AuditHead.select(AuditHead.last_id, AuditHead.last_hash).tuples().first()
    key = (runtime().settings.database_url, *(head or ()))
    found = _chain_checks.get(key)
    if fresh or found is None or time.monotonic() - found[0] > CHAIN_CHECK_SECONDS:
        if len(_chain_checks) > 64:
            _chain_checks.clear()
        found = _chain_checks[key] = (time.monotonic(), audit.verify(), utcnow())
    return found[1], found[2]


def _chain_text(report: audit.ChainReport) -> str:
    """The check's outcome, then what it does not prove (an unkeyed chain, no checkpoint yet)."""
    if report.ok:
        text = _("Chain verified: %(n)s events, the head matches.", n=report.events_checked)
        if report.protected:
            text += " " + _(
                "Keyed from event %(first)s; signed checkpoints verified: %(n)s.",
                first=report.protected_from,
                n=report.checkpoints,
            )
    elif report.first_broken_id is not None:
        text = _(
            "Chain broken at event %(id)s: %(problem)s",
            id=report.first_broken_id,
            problem=report.problem,
        )
    else:
        text = _("Chain broken: %(problem)s", problem=report.problem)
    # Every problem and note, so the page says all that `tracker audit verify` says.
    more = [str(item) for item in (*report.problems[1:], *report.notes)]
    return " ".join([text, *(f"{item[:1].upper()}{item[1:]}." for item in more)])


@bp.route("/audit")
@requires("audit:read")
def trail() -> Any:
    filters, values, errors = _audit_filters()
    kept = {name: value for name, value in values.items() if value}
    rows: list[AuditRow] = []
    total, page = 0, 1
    if not errors:
        query = audit.find_events(filters)
        total = query.count()
        page = min(_page(), _pages(total))
        # Newest first on screen: an auditor usually looks at what just happened.
        rows = _rows(list(query.order_by(AuditEvent.id.desc()).paginate(page, PAGE_SIZE)))
    chain, checked_at = _chain_state(fresh=request.args.get("verify") == "now")
    return render_template(
        "audit.html",
        rows=rows,
        values=values,
        kept=kept,
        errors=errors,
        total=total,
        page=page,
        pages=_pages(total),
        chain_ok=chain.ok,
        chain_text=_chain_text(chain),
        checked_at=checked_at,
        entity_types=_distinct(AuditEvent.entity_type),
        actions=_distinct(AuditEvent.action),
        type_labels={k: _(v) for k, v in audit_names.ENTITY_TYPES.items()},
        csv_url=url_for("activity.trail_csv", **kept),
    ), (422 if errors else 200)


def _distinct(column: Any) -> list[str]:
    return [value for (value,) in AuditEvent.select(column).distinct().order_by(column).tuples()]


CSV_BATCH = 1000


@bp.route("/audit.csv")
@requires("audit:read")
def trail_csv() -> Any:
    """Every event the page's filters match (not only one page), newest first."""
    filters, values, errors = _audit_filters()
    if errors:
        message = "; ".join(f"{name}: {' '.join(text)}" for name, text in errors.items())
        return Response(message + "\n", status=400, mimetype="text/plain")
    query = audit.find_events(filters).order_by(AuditEvent.id.desc())
    header = [
        _("Event"),
        _("When (UTC)"),
        _("Actor"),
        _("Actor's name"),
        _("Action"),
        _("Entity type"),
        _("Entity id"),
        _("Entity"),
        _("Before"),
        _("After"),
        _("Hash"),
    ]

    def lines() -> Any:
        last_id = None
        while True:  # in batches, so names are resolved per batch and memory stays flat
            batch_query = query.limit(CSV_BATCH)
            if last_id is not None:
                batch_query = batch_query.where(AuditEvent.id < last_id)
            batch = list(batch_query)
            if not batch:
                return
            for row in _rows(batch):
                e = row.event
                yield [
                    e.id,
                    e.occurred_at,
                    e.actor,
                    row.actor,
                    e.action,
                    e.entity_type,
                    e.entity_id,
                    row.entity.name,
                    _shown(e.before),
                    _shown(e.after),
                    e.hash,
                ]
            last_id = batch[-1].id

    suffix = "-filtered" if any(values.values()) else ""
    return csv_response(f"audit-trail{suffix}.csv", header, lines())
