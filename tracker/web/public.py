"""The public transparency register at ``/public``: no sign-in, public fields only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template

from tracker import publication

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/public")
def index() -> Any:
    return render_template(
        "public/index.html", entries=publication.register(), labels=publication.PUBLIC_FIELDS
    )


@bp.route("/public.json")
def index_json() -> Any:
    return jsonify(systems=[entry.as_json() for entry in publication.register()])


def _entry(system_id: int) -> publication.Entry:
    found = publication.register_entry(system_id)
    if found is None:
        abort(404, "No such system in the public register.")
    return found


@bp.route("/public/systems/<int:system_id>")
def system(system_id: int) -> Any:
    return render_template(
        "public/system.html", entry=_entry(system_id), labels=publication.PUBLIC_FIELDS
    )


@bp.route("/public/systems/<int:system_id>.json")
def system_json(system_id: int) -> Any:
    return jsonify(_entry(system_id).as_json())


@bp.route("/public/systems/<int:system_id>/statement.pdf")
def statement(system_id: int) -> Response:
    data = publication.statement_pdf(_entry(system_id))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="public-statement-{system_id}.pdf"'},
    )
