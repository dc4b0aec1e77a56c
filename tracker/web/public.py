"""The public transparency register at ``/register``: no sign-in, public fields only.

The pack signing key (``/register/pack-signing-key.pem``, and on the about page) is the public
half of the key evidence packs are signed with: an auditor compares it with the key in a pack.

The page, ``/register.json`` and ``/register.csv`` take the same search and filters (GET
parameters ``q``, ``purpose_type``, ``lifecycle_stage``, ``risk_level``, ``unit``) and return
the same systems. ``/register/schema.json`` describes the JSON; ``/register/about`` says what
the register is. The first addresses, under ``/public``, keep working.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from tracker import agency, publication
from tracker.db import utcnow
from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _
from tracker.packs import signing
from tracker.publication import open_data
from tracker.publication import statement as pdf_statement
from tracker.runtime import runtime

bp = Blueprint("public", __name__, template_folder="templates")

# Open data: any site may read it from a browser.
OPEN = {"Access-Control-Allow-Origin": "*"}


@bp.context_processor
def register_helpers() -> dict[str, Any]:
    return {
        "public_labels": publication.PUBLIC_FIELDS,
        "field_vocabularies": publication.FIELD_VOCABULARIES,
        "value_text": pdf_statement.value_text,
        "country_name": pdf_statement.country_name,
    }


def _json(document: Any, mimetype: str = "application/json", status: int = 200) -> Response:
    """JSON in the documented key order (Flask would sort the keys), readable by any site."""
    body = current_app.json.dumps(document, sort_keys=False, ensure_ascii=False)
    return Response(body + "\n", status=status, mimetype=mimetype, headers=OPEN)


def _links() -> open_data.Links:
    the_agency = agency.current()
    return open_data.Links(
        page=lambda i: url_for("public.system", system_id=i, _external=True),
        statement=lambda i: url_for("public.statement", system_id=i, _external=True),
        register=url_for("public.index", _external=True),
        about=url_for("public.about", _external=True),
        schema=url_for("public.schema", _external=True),
        logo=url_for("agency_pages.logo", _external=True) if the_agency.has_logo else None,
    )


def _search() -> tuple[
    publication.RegisterFilter, list[publication.Entry], list[publication.Entry]
]:
    """The filter the query string asks for, the whole register, and the entries it selects;
    ValidationFailed when a parameter is bad."""
    wanted = publication.read_filter(request.args)
    entries = publication.register()
    return wanted, entries, publication.search(entries, wanted)


@bp.route("/register")
def index() -> Any:
    try:
        wanted, entries, shown = _search()
    except ValidationFailed as error:
        return render_template(
            "public/index.html",
            errors=error.errors,
            wanted=request.args,
            entries=[],
            facets=publication.facets(publication.register()),
            total=0,
        ), 400
    return render_template(
        "public/index.html",
        errors={},
        wanted=wanted.as_dict(),
        filtered=not wanted.is_empty(),
        entries=shown,
        facets=publication.facets(entries),
        total=len(entries),
        query={k: v for k, v in wanted.as_dict().items() if v},
    )


def _problem(error: ValidationFailed) -> Response:
    body = {
        "type": "about:blank",
        "title": _("Invalid search or filter"),
        "status": 400,
        "detail": str(error),
        "errors": error.errors,
    }
    return _json(body, "application/problem+json", 400)


@bp.route("/register.json")
@bp.route("/public.json", endpoint="legacy_index_json")
def index_json() -> Any:
    try:
        wanted, _entries, shown = _search()
    except ValidationFailed as error:
        return _problem(error)
    document = open_data.register_document(
        shown, agency.current(), wanted, _links(), generated_at=utcnow()
    )
    return _json(document)


@bp.route("/register.csv")
def index_csv() -> Any:
    try:
        _wanted, _entries, shown = _search()
    except ValidationFailed as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain", headers=OPEN)
    return Response(
        open_data.register_csv(shown, _links()),
        mimetype="text/csv",
        headers={**OPEN, "Content-Disposition": 'attachment; filename="register.csv"'},
    )


@bp.route("/register/schema.json")
def schema() -> Any:
    return _json(
        open_data.json_schema(url_for("public.schema", _external=True)), "application/schema+json"
    )


def pack_key() -> signing.PackKey | None:
    """The key packs are signed with; None when production has none configured yet (the
    about page then says nothing of it). Development and tests make one on first use."""
    try:
        return signing.key_for(runtime().settings, create=True)
    except signing.PackKeyError:
        return None


@bp.route("/register/pack-signing-key.pem")
def pack_signing_key() -> Any:
    """The public key evidence packs are signed with, as PEM text."""
    key = pack_key()
    if key is None:
        abort(404, _("No pack signing key is configured yet."))
    return Response(
        key.public_pem,
        mimetype="text/plain",
        headers={
            **OPEN,
            "Content-Disposition": 'inline; filename="pack-signing-key.pem"',
            "X-Pack-Key-Id": key.key_id,
        },
    )


@bp.route("/register/about")
def about() -> Any:
    return render_template(
        "public/about.html",
        pack_key=pack_key(),
        schema_version=open_data.SCHEMA_VERSION,
        entry_fields=open_data.ENTRY_FIELDS,
        always=open_data.ALWAYS,
        separator=open_data.LIST_SEPARATOR,
    )


def _entry(system_id: int) -> publication.Entry:
    found = publication.register_entry(system_id)
    if found is None:
        abort(404, _("No such system in the public register."))
    return found


@bp.route("/register/<int:system_id>")
def system(system_id: int) -> Any:
    return render_template("public/system.html", entry=_entry(system_id))


@bp.route("/register/<int:system_id>.json")
@bp.route("/public/systems/<int:system_id>.json", endpoint="legacy_system_json")
def system_json(system_id: int) -> Any:
    document = open_data.system_document(
        _entry(system_id), agency.current(), _links(), generated_at=utcnow()
    )
    return _json(document)


@bp.route("/register/<int:system_id>/statement.pdf")
@bp.route("/public/systems/<int:system_id>/statement.pdf", endpoint="legacy_statement")
def statement(system_id: int) -> Response:
    data = pdf_statement.statement_pdf(_entry(system_id), agency.current(), agency.logo())
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="public-statement-{system_id}.pdf"'},
    )


# The register's first addresses: pages move (the address bar shows the new one), data stays.
@bp.route("/public")
def legacy_index() -> Any:
    return redirect(url_for("public.index", **request.args), 301)


@bp.route("/public/systems/<int:system_id>")
def legacy_system(system_id: int) -> Any:
    return redirect(url_for("public.system", system_id=system_id), 301)
