"""System pages: the profile, the requirements with their evidence, operators, completeness
over time, editing the profile and filing the public statement."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from tracker import completeness, profile, publication, register
from tracker.app import runtime
from tracker.completeness.assess import add_months
from tracker.completeness.facts import EventDuty, SystemCompleteness
from tracker.db import utcnow
from tracker.errors import NotFound, ValidationFailed
from tracker.profile import CHOICE_FACTS, PROFILE_FIELDS, SET_FACTS
from tracker.web import forms
from tracker.web.session import requires, user

bp = Blueprint("system_pages", __name__, template_folder="templates")

CHART_MONTHS = 12
TEXT_FIELDS = ("name", "version", "vendor")
LONG_TEXT_FIELDS = ("purpose", "usage_description", "personal_data_handling", "data_sharing")
CHOICE_FIELDS = CHOICE_FACTS  # a select per fact, in the profile's own order
SET_FIELDS = SET_FACTS  # a checkbox per choice
FLAG_FIELDS = (
    "processes_personal_data",
    "profiling",
    "public_authority",
    "public_facing",
    "published",
)
LIST_FIELDS = ("authorised_use_cases", "units_with_access")


def history(system_id: int, today: date) -> list[tuple[date, float | None]]:
    """Overall completeness at the start of each of the last months, and today (replayed)."""
    catalogue, days = runtime().catalogue, runtime().settings.expiring_soon_days
    points = []
    for months_back in range(CHART_MONTHS, 0, -1):
        day = add_months(today.replace(day=1), -months_back + 1)
        try:
            result = completeness.for_system(system_id, day, catalogue, days)
        except NotFound:  # not registered yet on that day
            continue
        points.append((day, result.overall.percent))
    points.append(
        (today, completeness.for_system(system_id, today, catalogue, days).overall.percent)
    )
    return points


@bp.route("/systems/<int:system_id>")
@requires("completeness:read")
def show(system_id: int) -> Any:
    system = register.get_system(system_id)
    today = date.today()
    result = completeness.for_system(
        system_id, today, runtime().catalogue, runtime().settings.expiring_soon_days
    )
    by_framework = defaultdict(list)
    for item in result.items:
        by_framework[item.framework].append(item)
    operator_items = [item for item in result.items if item.scope == "operator"]
    # A reminder's link names the requirement it is about: shown first, with what to do.
    focus_id = request.args.get("requirement", "")
    focus = next((item for item in result.items if item.requirement_id == focus_id), None)
    return render_template(
        "system.html",
        system=system,
        result=result,
        focus=focus,
        focus_id=focus_id,
        by_framework=dict(by_framework),
        jurisdictions=runtime().catalogue.jurisdictions,
        operators=list(register.list_operators(system)),
        operator_items=operator_items,
        levels=publication.levels(system),
        public_fields=publication.PUBLIC_FIELDS,
        chart=history(system_id, today),
        **events_section(system, result),
    )


# Events: the form that records one, and each recent event with the duties it started.

RECENT_EVENTS = 20
EVENT_FIELDS = ("kind", "occurred_at", "description")


def events_section(system: Any, result: SystemCompleteness) -> dict[str, Any]:
    """What the system page shows about events: open and overdue duties first, then recent
    events with their duties, and the recording form (with what was entered and its errors
    after a refused submission)."""
    by_event: dict[int, list[EventDuty]] = defaultdict(list)
    for duty in result.events:
        by_event[duty.event_id].append(duty)
    form = g.get("event_form") or {
        "kind": "use",
        "occurred_at": f"{utcnow():%Y-%m-%dT%H:%M}",
        "description": "",
    }
    return {
        "event_kinds": runtime().catalogue.event_kinds,
        "duties_to_act_on": [d for d in result.events if d.status in ("open", "overdue")],
        "recent_events": [
            (event, by_event.get(event.id, []))
            for event in register.events_of(system).limit(RECENT_EVENTS)
        ],
        "event_form": form,
        "event_errors": g.get("event_errors") or {},
    }


@bp.route("/systems/<int:system_id>/events", methods=["POST"])
@requires("systems:write")
def record_event(system_id: int) -> Any:
    """Record an event from the system page; a refused one is shown again with its errors."""
    system = register.get_system(system_id)
    values = {name: request.form.get(name, "") for name in EVENT_FIELDS}
    try:
        occurred_at = datetime.fromisoformat(values["occurred_at"])
    except ValueError:
        errors: dict[str, Any] = {
            "occurred_at": ["Give a date and time, e.g. 2026-05-01T14:30 (UTC)."]
        }
    else:
        try:
            event = register.record_event(
                system,
                values["kind"],
                occurred_at,
                values["description"],
                user(),
                user().username,
                runtime().catalogue,
            )
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            flash(f"Event {event.id} recorded; the duties it starts are listed under Events.")
            return redirect(url_for("system_pages.show", system_id=system.id, _anchor="events"))
    g.event_form, g.event_errors = values, errors
    return show(system_id), 422


@bp.route("/systems/<int:system_id>/edit", methods=["GET", "POST"])
@requires("systems:write")
def edit(system_id: int) -> Any:
    system = register.get_system(system_id)
    errors: dict[str, Any] = {}
    values = register.profile_of(system)
    if request.method == "POST":
        values = profile_from_form(request.form)
        try:
            register.update_system(system, values, user().username, runtime().catalogue)
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            flash("Profile saved.")
            return redirect(url_for("system_pages.show", system_id=system.id))
    return render_template(
        "system_edit.html",
        system=system,
        values=values,
        errors=errors,
        choices=CHOICE_FIELDS,
        sets=SET_FIELDS,
        help=profile.fact_help(),
        public_fields=publication.PUBLIC_FIELDS,
        questions=runtime().catalogue.questions,
        jurisdictions=runtime().catalogue.jurisdictions,
        levels={
            name: (values.get("publication") or {}).get(name)
            or publication.DEFAULT_LEVELS.get(name, "internal")
            for name in PROFILE_FIELDS
        },
        fields=[name for name in PROFILE_FIELDS if name != "publication"],
    ), (422 if errors else 200)


def profile_from_form(form: Any) -> dict[str, Any]:
    """The profile as the form gives it; the register validates it like any other input."""
    values: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS + LONG_TEXT_FIELDS}
    values.update({name: form.get(name, "") for name in CHOICE_FIELDS})
    values.update({name: name in form for name in FLAG_FIELDS})
    values.update({name: forms.lines(form.get(name, "")) for name in LIST_FIELDS})
    values.update({name: form.getlist(name) for name in SET_FIELDS})
    values["countries"] = form.get("countries", "").replace(",", " ").upper().split()
    values["jurisdictions"] = form.getlist("jurisdictions")
    values["contacts"] = forms.contacts(form.get("contacts", ""))
    answers: dict[str, Any] = {}
    for question in runtime().catalogue.questions:
        raw = form.get(f"answer_{question.id}", "")
        if question.type == "boolean":
            answers[question.id] = raw == "yes" if raw in ("yes", "no") else raw
        elif raw != "":
            answers[question.id] = raw
    values["answers"] = {k: v for k, v in answers.items() if v != ""}
    values["publication"] = {
        name: form[f"level_{name}"]
        for name in PROFILE_FIELDS
        if form.get(f"level_{name}")
        and form[f"level_{name}"] != publication.DEFAULT_LEVELS.get(name, "internal")
    }
    return values


@bp.route("/systems/<int:system_id>/statement", methods=["POST"])
@requires("evidence:write")
def file_statement(system_id: int) -> Any:
    """File the current public statement as public-communication evidence, for the DPO to accept."""
    system = register.get_system(system_id)
    item = publication.file_statement(
        system, runtime().store, user(), user().username, runtime().catalogue
    )
    flash(
        f"The public statement was filed as evidence {item.id}; it counts once the DPO accepts it."
    )
    return redirect(url_for("evidence_pages.show", evidence_id=item.id))


def chart_points(
    points: list[tuple[date, float | None]], width: int = 640, height: int = 180
) -> str:
    """SVG polyline coordinates for the completeness chart (0-100 % on the y axis); days when
    nothing was in force have no score and no point."""
    points = [(day, percent) for day, percent in points if percent is not None]
    if not points:
        return ""
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    return " ".join(
        f"{40 + (day - first).days / span * (width - 60):.1f},{10 + (100 - percent) / 100 * (height - 40):.1f}"
        for day, percent in points
    )


bp.add_app_template_filter(chart_points)
