"""Registering AI systems in the browser: the registration form (the editing form, empty),
retiring a system after a confirmation, and importing an existing register from CSV with a
dry run first.

Every action is the register's own function (``register.create_system``,
``register.retire_system``, ``tracker.imports.register``), as the API and the CLI call them;
a refused form comes back with each message beside its field and nothing saved.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from tracker import profile, publication, register, vocabulary
from tracker.errors import ValidationFailed
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.imports import csvfile
from tracker.imports import register as register_import
from tracker.profile import CHOICE_FACTS, PROFILE_FIELDS, SET_FACTS, SystemProfileSchema
from tracker.runtime import runtime
from tracker.web import csv_upload
from tracker.web.session import requires, user
from tracker.web.systems import profile_from_form

bp = Blueprint("registration_pages", __name__, template_folder="templates")

# Every profile field's label on the form, the publication grid and the import's column list.
FIELD_LABELS = {
    "name": N_("Name"),
    "version": N_("Version"),
    "vendor": N_("Vendor"),
    "purpose": N_("Purpose"),
    "authorised_use_cases": N_("Authorised use cases"),
    "development_approach": N_("How it was developed"),
    "lifecycle_stage": N_("Life-cycle stage"),
    "risk_level": N_("Risk level"),
    "processes_personal_data": N_("Processes personal data"),
    "purpose_type": N_("Kind of purpose"),
    "biometric_identification": N_("Biometric identification"),
    "ai_act_roles": N_("Roles under the AI Act"),
    "profiling": N_("Profiles natural persons"),
    "people_affected": N_("People affected"),
    "annex_iii_areas": N_("AI Act Annex III areas"),
    "public_authority": N_("Run by a public authority"),
    "countries": N_("Also used in (countries)"),
    "public_facing": N_("Interacts with the public"),
    "units_with_access": N_("Units with access"),
    "data_sharing": N_("Data-sharing policy"),
    "usage_description": N_("How it is used"),
    "personal_data_handling": N_("How personal data is collected, processed and stored"),
    "published": N_("Listed in the public register"),
    "publication": N_("Publication levels"),
    "contacts": N_("Contacts"),
    "jurisdictions": N_("Jurisdictions"),
    "answers": N_("Answers to the plugins' questions"),
}
# The publication grid's options: short words, the long meanings stand above the grid.
LEVEL_WORDS = {
    "public": N_("Public"),
    "authority": N_("Authority only"),
    "internal": N_("Internal"),
}
# How each import column is written, beyond its vocabulary.
COLUMN_FORMATS = {
    "authorised_use_cases": N_("one cell, entries separated by ;"),
    "units_with_access": N_("one cell, entries separated by ;"),
    "countries": N_("ISO codes separated by ; (e.g. BE; NL)"),
    "jurisdictions": N_("jurisdiction ids separated by ; (empty: by territory)"),
    "contacts": N_("Name <email>, separated by ;"),
    "publication": N_("field=level separated by ; (e.g. risk_level=internal)"),
}
FLAG_FIELDS = (
    "processes_personal_data",
    "profiling",
    "public_authority",
    "public_facing",
    "published",
)

bp.add_app_template_global(FIELD_LABELS, "field_labels")
bp.add_app_template_global(LEVEL_WORDS, "level_words")
bp.add_app_template_global(publication.DEFAULT_LEVELS, "default_levels")


def blank_profile() -> dict[str, Any]:
    """The registration form before anything is entered: each field's default, and no
    choice made where the profile requires one."""
    values: dict[str, Any] = {}
    for name, field in SystemProfileSchema().fields.items():
        default = field.load_default
        if default is ma.missing:
            values[name] = False if name in FLAG_FIELDS else ""
        else:
            values[name] = default() if callable(default) else default
    return values


def form_context(values: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    """What system_edit.html needs besides the system (as the editing route gives it)."""
    catalogue = runtime().catalogue
    return {
        "values": values,
        "errors": errors,
        "choices": CHOICE_FACTS,
        "sets": SET_FACTS,
        "help": profile.fact_help(),
        "public_fields": publication.PUBLIC_FIELDS,
        "questions": catalogue.questions,
        "jurisdictions": catalogue.jurisdictions,
        "levels": {
            name: (values.get("publication") or {}).get(name)
            or publication.DEFAULT_LEVELS.get(name, "internal")
            for name in PROFILE_FIELDS
        },
        "fields": [name for name in PROFILE_FIELDS if name != "publication"],
    }


@bp.route("/systems/new", methods=["GET", "POST"])
@requires("systems:write")
def new() -> Any:
    """Register a system: the whole profile, each fact with its help; errors beside fields."""
    values, errors = blank_profile(), {}
    if request.method == "POST":
        values = profile_from_form(request.form)
        try:
            system = register.create_system(values, user().username, runtime().catalogue)
        except ValidationFailed as failed:
            errors = failed.errors
            for name in CHOICE_FACTS:  # a choice left unmade: say so, not the list of codes
                if name in errors and not values.get(name):
                    errors[name] = [_("Choose one.")]
        else:
            flash(_("%(name)s is registered as AI system %(id)s.", name=system.name, id=system.id))
            return redirect(url_for("system_pages.show", system_id=system.id))
    return render_template("system_edit.html", system=None, **form_context(values, errors)), (
        422 if errors else 200
    )


@bp.route("/systems/<int:system_id>/retire", methods=["GET", "POST"])
@requires("systems:write")
def retire(system_id: int) -> Any:
    """Retire a system in two steps: the reason, then a confirmation naming what happens."""
    system = register.get_system(system_id)
    reason = request.form.get("reason", "").strip()
    errors: dict[str, list[str]] = {}
    confirming = False
    if request.method == "POST" and system.retired_at is None:
        if not reason:
            errors["reason"] = [_("Give the reason the system is retired.")]
        elif request.form.get("confirm") != "yes":
            confirming = True
        else:
            register.retire_system(system, reason, user().username)
            flash(_("%(name)s is retired; its record and history stay.", name=system.name))
            return redirect(url_for("system_pages.show", system_id=system.id))
    return render_template(
        "retire.html", system=system, reason=reason, errors=errors, confirming=confirming
    ), (422 if errors else 200)


# Importing a register.


def column_help() -> list[dict[str, Any]]:
    """Each template column: its label, whether required, its values and how to write it."""
    catalogue = runtime().catalogue
    fact_help = profile.fact_help()
    questions = {q.id: q for q in catalogue.questions}
    out = []
    for column in register_import.columns(catalogue):
        question = questions.get(column)
        if question is not None:
            values = dict.fromkeys(question.choices, "")
            if question.type == "boolean":
                values = {"yes": N_("Yes"), "no": N_("No")}
            out.append(
                {
                    "column": column,
                    "label": question.label,
                    "required": False,
                    "choices": values,
                    "help": question.help,
                    "format": "",
                }
            )
            continue
        values = CHOICE_FACTS.get(column) or SET_FACTS.get(column) or {}
        if column in FLAG_FIELDS:
            values = {"yes": N_("Yes"), "no": N_("No")}
        out.append(
            {
                "column": column,
                "label": FIELD_LABELS.get(column, column),
                "required": column in register_import.REQUIRED_COLUMNS,
                "choices": values,
                "help": fact_help.get(column, ""),
                "format": COLUMN_FORMATS.get(column)
                or (N_("one or more, separated by ;") if column in SET_FACTS else ""),
            }
        )
    return out


@bp.route("/systems/import/template.csv")
@requires("systems:write")
def import_template() -> Response:
    return Response(
        register_import.template(runtime().catalogue),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=ai-register-template.csv"},
    )


@bp.route("/systems/import", methods=["GET", "POST"])
@requires("systems:write")
def import_register() -> Any:
    """Upload a register, see the dry run (every row's outcome and errors), then import it."""
    plan, errors, data, filename = None, {}, b"", ""
    if request.method == "POST":
        try:
            data, filename = csv_upload.read(request.form, request.files)
            if request.form.get("action") == "import":
                created = register_import.commit(data, user().username, runtime().catalogue)
                flash(
                    _(
                        "Imported %(count)s AI systems from %(file)s.",
                        count=len(created),
                        file=filename or _("the file"),
                    )
                )
                return redirect(url_for("portfolio.dashboard"))
            plan = register_import.plan(data, runtime().catalogue)
        except csv_upload.NoFile as missing:
            errors = {"file": [str(missing)]}
        except csvfile.FileRefused as refused:
            errors = refused.errors
        except csvfile.ImportRefused as refused:
            plan = refused.plan
    return render_template(
        "register_import.html",
        plan=plan,
        errors=errors,
        filename=filename,
        content=csv_upload.carry(data) if plan is not None and plan.ok else "",
        columns=column_help(),
        limits={"rows": csvfile.MAX_ROWS, "bytes": csvfile.MAX_BYTES},
        stages=vocabulary.LIFECYCLE_STAGES,
    ), (422 if errors or (plan is not None and not plan.ok) else 200)


def field_messages(errors: dict[str, Any], name: str) -> list[str]:
    """The messages about one form field as sentences (list entries counted from 1)."""
    if not errors or errors.get(name) is None:
        return []
    return register_import.readable_messages(errors[name])


bp.add_app_template_global(field_messages, "field_messages")
