"""System pages: the profile, the requirements with their evidence, operators, completeness
over time, editing the profile and filing the public statement."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_translations
from markupsafe import Markup

from tracker import i18n, portfolio, profile, publication, register
from tracker.completeness import history
from tracker.completeness.facts import EventDuty, ItemStatus, OperatorFact, SystemCompleteness
from tracker.completeness.overdue import stage_overdue
from tracker.db import utcnow
from tracker.errors import NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.portfolio import answers
from tracker.portfolio.chart_points import kept as kept_chart_points
from tracker.profile import CHOICE_FACTS, PROFILE_FIELDS, SET_FACTS
from tracker.runtime import runtime
from tracker.web import forms, pack_view, page_formats, system_view
from tracker.web.session import requires, user

bp = Blueprint("system_pages", __name__, template_folder="templates")

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


@bp.route("/systems/<int:system_id>")
@requires("completeness:read")
def show(system_id: int) -> Any:
    """The system ordered by what to do next: the summary, the blocking requirements by owner,
    event duties, every requirement, operators, completeness over time, the profile.

    Today's answer and the operators it counted are read as the last refresh kept them
    (:mod:`tracker.portfolio.answers`) while they are current, as are the chart's other points
    (:mod:`tracker.portfolio.chart_points`). When any of them is not, all that is missing comes
    from one load of the system's facts (:mod:`tracker.completeness.history`): a fixed number
    of queries, however many points the chart has."""
    system = register.get_system(system_id)
    today = date.today()
    catalogue, days = runtime().catalogue, runtime().settings.expiring_soon_days
    dates = history.chart_dates(system.created_at.date(), today)
    kept = kept_chart_points(system_id, dates[:-1], portfolio.catalogue_key(catalogue, days))
    # Today's kept answer only serves when the chart has nothing to replay either.
    found = (
        answers.kept_page(system_id, today, answers.answer_key(catalogue, days))
        if len(kept) == len(dates) - 1
        else None
    )
    if found is not None:
        result, operators = found
        results = {today: result}
    else:
        timeline = history.load_timeline(system_id, dates[0], today, catalogue, system)
        results = history.evaluate_timeline(
            timeline, [day for day in dates if day not in kept], catalogue, days, detailed=[today]
        )
        if today not in results:  # registered "tomorrow" by the server's clock
            raise NotFound(
                "AI system", f"{system_id} on {today.isoformat()} (not registered by then)"
            )
        result = results[today]
        operators = history.operators_on(timeline, today)
    overdue = stage_overdue(result, catalogue)
    by_framework = defaultdict(list)
    # A count at the top links to the requirements it counts: ?status=missing shows those only.
    shown = request.args.get("status", "")
    shown = shown if shown in system_view.SUMMARY_ORDER else ""
    for item in result.items:
        if not shown or system_view.bucket(item, overdue) == shown:
            by_framework[item.framework].append(item)
    operator_items = [item for item in result.items if item.scope == "operator"]
    # A reminder's link names the requirement it is about: shown first, with what to do.
    focus_id = request.args.get("requirement", "")
    focus = next((item for item in result.items if item.requirement_id == focus_id), None)
    levels = publication.levels(system)
    chart = sorted([*kept.items(), *((day, r.overall.percent) for day, r in results.items())])
    w = system_view.words()
    day_text = page_formats.day_formatter()
    gettext, ngettext = page_formats.page_gettext(get_translations())
    timezone = runtime().settings.timezone
    return render_template(
        "system.html",
        # The page's messages, scores, dates and times, each translated or formatted once: the
        # template's gettext, ngettext and percent() shadowed (same words, same escaping).
        gettext=gettext,
        ngettext=ngettext,
        percent=page_formats.percent_formatter(),
        moment_text=page_formats.Memo(lambda moment: i18n.format_moment(moment, timezone)),
        valid_until=page_formats.Memo(lambda day: w.valid_until(day_text(day))),
        system=system,
        result=result,
        focus=focus,
        focus_id=focus_id,
        readiness=system_view.readiness(result, overdue),
        counts=system_view.summary_counts(result, overdue),
        overdue_anchor="blocking" if overdue else "events",
        next_steps=system_view.next_steps(result, overdue, catalogue),
        shown_status=shown,
        by_framework=dict(by_framework),
        jurisdictions=catalogue.jurisdictions,
        # Those completeness counts today, as the certificate columns do.
        operators=operators,
        operator_items=operator_items,
        operator_cells=operator_cells(operators, operator_items, w),
        manage_operators=MANAGE_OPERATORS in current_app.view_functions,
        profile_rows=system_view.profile_rows(system, catalogue, levels),
        chart=chart,
        scored=[(day, score) for day, score in chart if score is not None],
        chart_dots=chart_coordinates(chart),
        w=w,
        short_citation=functools.partial(system_view.short_citation, catalogue),
        # Formatted once per date: a hundred rows share a few dozen dates.
        day_text=day_text,
        # Evidence links are this stem and the id, built once (url_for per row is not free).
        evidence_url=url_for("evidence_pages.show", evidence_id=1).removesuffix("1"),
        **events_section(system, result),
        **pack_view.system_section(system, today, g.get("pack_form"), g.get("pack_errors")),
    )


def operator_cells(
    operators: list[OperatorFact], items: list[ItemStatus], w: system_view.Words
) -> dict[int, list[Markup | str]]:
    """Operator id -> its cell under each operator requirement: the badge of each status the
    requirement gives it, else a dash."""
    cells: dict[int, list[Markup | str]] = {op.id: [] for op in operators}
    for item in items:
        statuses: dict[int, list[str]] = {}
        for found in item.operators:
            statuses.setdefault(found.id, []).append(found.status)
        for op_id, row in cells.items():
            mine = statuses.get(op_id)
            row.append(Markup("").join(w.badges[s] for s in mine) if mine else "—")
    return cells


# Another page manages operators (add, remove, import): linked when this installation has it.
MANAGE_OPERATORS = "operator_pages.manage"


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
            for event in register.recent_events(system.id, RECENT_EVENTS)
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
            "occurred_at": [_("Give a date and time, e.g. 2026-05-01T14:30 (UTC).")]
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
            flash(
                _(
                    "Event %(id)s recorded; the duties it starts are listed under Events.",
                    id=event.id,
                )
            )
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
            flash(_("Profile saved."))
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
        _(
            "The public statement was filed as evidence %(id)s; it counts once the DPO accepts it.",
            id=item.id,
        )
    )
    return redirect(url_for("evidence_pages.show", evidence_id=item.id))


# The chart's plot area in SVG units (system.html draws the axes and labels around it).
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 624, 12, 150


def chart_coordinates(points: list[tuple[date, float | None]]) -> list[tuple[float, float]]:
    """Where each point goes on the completeness chart (0-100 % on the y axis, dates spread
    over the x axis); days when nothing was in force have no score and no point."""
    points = [(day, percent) for day, percent in points if percent is not None]
    if not points:
        return []
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    return [
        (
            round(CHART_LEFT + (day - first).days / span * (CHART_RIGHT - CHART_LEFT), 1),
            round(CHART_TOP + (100 - percent) / 100 * (CHART_BOTTOM - CHART_TOP), 1),
        )
        for day, percent in points
    ]


def chart_points(points: list[tuple[date, float | None]]) -> str:
    """SVG polyline coordinates for the completeness chart."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in chart_coordinates(points))


bp.add_app_template_filter(chart_points)
