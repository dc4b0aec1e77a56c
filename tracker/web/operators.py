"""A system's operators in the browser: who may use it and for which period, their
certificates, adding one, changing one's details and dates, removing one after a
confirmation, and importing many from CSV after a dry run.

Every change is the register's own function (``register.add_operator``, ``update_operator``,
``remove_operator``, ``tracker.imports.operators``), audited there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from tracker import completeness, register
from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _
from tracker.imports import csvfile
from tracker.imports import operators as operator_import
from tracker.models import AISystem, Operator
from tracker.runtime import runtime
from tracker.web import csv_upload
from tracker.web.session import requires, user

bp = Blueprint("operator_pages", __name__, template_folder="templates")

FIELDS = ("name", "email", "unit", "authorised_from", "authorised_until")


def _values(form: Any) -> dict[str, str]:
    return {name: form.get(name, "").strip() for name in FIELDS}


def _input(values: dict[str, str], *, editing: bool = False) -> dict[str, Any]:
    """What the register takes: an empty first day keeps the default (now, or the stored
    one); an empty last day means no end (when editing, it removes a last day set before)."""
    data: dict[str, Any] = {name: values[name] for name in ("name", "email", "unit")}
    if values["authorised_from"]:
        data["authorised_from"] = values["authorised_from"]
    if values["authorised_until"]:
        data["authorised_until"] = values["authorised_until"]
    elif editing:
        data["authorised_until"] = None
    return data


def _certificates(system: AISystem) -> tuple[list[str], dict[int, dict[str, str]]]:
    """The operator requirements in force (their titles) and each operator's status in each."""
    result = completeness.for_system(
        system.id, date.today(), runtime().catalogue, runtime().settings.expiring_soon_days
    )
    items = [item for item in result.items if item.scope == "operator"]
    statuses: dict[int, dict[str, str]] = {}
    for item in items:
        for status in item.operators:
            statuses.setdefault(status.id, {})[item.title] = status.status
    return [item.title for item in items], statuses


def _page(
    system: AISystem,
    values: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    everyone = list(register.list_operators(system, include_removed=True))
    titles, statuses = _certificates(system)
    return render_template(
        "operators.html",
        system=system,
        current=[op for op in everyone if not register.has_ended(op)],
        removed=[op for op in everyone if register.has_ended(op)],
        last_day=register.last_day,
        titles=titles,
        statuses=statuses,
        values=values or dict.fromkeys(FIELDS, ""),
        errors=errors or {},
        limits={"rows": csvfile.MAX_ROWS, "bytes": csvfile.MAX_BYTES},
    ), status


@bp.route("/systems/<int:system_id>/operators")
@requires("systems:read")
def manage(system_id: int) -> Any:
    return _page(register.get_system(system_id))


@bp.route("/systems/<int:system_id>/operators", methods=["POST"])
@requires("systems:write")
def add(system_id: int) -> Any:
    system = register.get_system(system_id)
    values = _values(request.form)
    try:
        operator = register.add_operator(system, _input(values), user().username)
    except ValidationFailed as failed:
        return _page(system, values, failed.errors, 422)
    flash(_("%(name)s is an operator of %(system)s.", name=operator.name, system=system.name))
    return redirect(url_for("operator_pages.manage", system_id=system.id, _anchor="current"))


def _operator(system_id: int, operator_id: int) -> tuple[AISystem, Operator]:
    system = register.get_system(system_id)
    return system, register.get_operator(system, operator_id)


@bp.route("/systems/<int:system_id>/operators/<int:operator_id>/edit", methods=["GET", "POST"])
@requires("systems:write")
def edit(system_id: int, operator_id: int) -> Any:
    """Change an operator's details or the dates of the authorisation."""
    system, operator = _operator(system_id, operator_id)
    last = register.last_day(operator)
    values = {
        "name": operator.name,
        "email": operator.email,
        "unit": operator.unit,
        "authorised_from": operator.added_at.date().isoformat(),
        "authorised_until": last.isoformat() if last else "",
    }
    errors: dict[str, Any] = {}
    if request.method == "POST":
        values = _values(request.form)
        try:
            register.update_operator(operator, _input(values, editing=True), user().username)
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            flash(_("The details of %(name)s are saved.", name=values["name"]))
            return redirect(url_for("operator_pages.manage", system_id=system.id))
    return render_template(
        "operator_edit.html", system=system, operator=operator, values=values, errors=errors
    ), (422 if errors else 200)


@bp.route("/systems/<int:system_id>/operators/<int:operator_id>/remove", methods=["GET", "POST"])
@requires("systems:write")
def remove(system_id: int, operator_id: int) -> Any:
    """Ask, then end the authorisation today; the record stays for past completeness."""
    system, operator = _operator(system_id, operator_id)
    if request.method == "POST":
        register.remove_operator(operator, user().username)
        flash(_("%(name)s is no longer an operator of %(system)s.", name=operator.name,
                system=system.name))  # fmt: skip
        return redirect(url_for("operator_pages.manage", system_id=system.id))
    return render_template("operator_remove.html", system=system, operator=operator)


@bp.route("/systems/<int:system_id>/operators/template.csv")
@requires("systems:write")
def template(system_id: int) -> Response:
    register.get_system(system_id)
    return Response(
        operator_import.template(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=operators-template.csv"},
    )


@bp.route("/systems/<int:system_id>/operators/import", methods=["GET", "POST"])
@requires("systems:write")
def import_operators(system_id: int) -> Any:
    """Upload a CSV of operators, see the dry run, then import it all or nothing."""
    system = register.get_system(system_id)
    if request.method == "GET":
        return redirect(url_for("operator_pages.manage", system_id=system.id, _anchor="import"))
    plan, errors, data, filename = None, {}, b"", ""
    try:
        data, filename = csv_upload.read(request.form, request.files)
        if request.form.get("action") == "import":
            done = operator_import.commit(system, data, user().username)
            flash(
                _(
                    "Imported %(file)s: %(created)s operators added, %(updated)s updated.",
                    file=filename or _("the file"),
                    created=len(done.created),
                    updated=len(done.updated),
                )
            )
            return redirect(url_for("operator_pages.manage", system_id=system.id))
        plan = operator_import.plan(system, data)
    except csv_upload.NoFile as missing:
        errors = {"file": [str(missing)]}
    except csvfile.FileRefused as refused:
        errors = refused.errors
    except csvfile.ImportRefused as refused:
        plan = refused.plan
    return render_template(
        "operators_import.html",
        system=system,
        plan=plan,
        errors=errors,
        filename=filename,
        content=csv_upload.carry(data) if plan is not None and plan.ok and plan.writes else "",
        limits={"rows": csvfile.MAX_ROWS, "bytes": csvfile.MAX_BYTES},
    ), (422 if errors or (plan is not None and not plan.ok) else 200)
