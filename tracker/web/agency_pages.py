"""The agency's settings page (administrators) and its logo, served to every page and the
public register.

Name, logo and contacts are stored by :func:`tracker.agency.update`, as ``tracker agency set``
does; a refused field keeps what was typed and says why beside it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from tracker import agency, images
from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _
from tracker.web.session import requires, user

bp = Blueprint("agency_pages", __name__, template_folder="templates")


@bp.route("/agency/logo")
def logo() -> Any:
    stored = agency.logo()
    if stored is None:
        abort(404)
    data, media_type = stored
    response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = "public, max-age=300"
    # an SVG logo is an image here, never a document that could run script
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.route("/agency", methods=["GET", "POST"])
@requires("agency:manage")
def settings() -> Any:
    current = agency.current()
    values = {name: getattr(current, name) for name in agency.TEXT_LIMITS}
    errors: dict[str, Any] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in agency.TEXT_LIMITS}
        try:
            data = _uploaded(request.files.get("logo"))
            new_logo = images.logo(data) if data is not None else None
            agency.update(
                values,
                user().username,
                logo=new_logo,
                remove_logo=bool(request.form.get("remove_logo")),
            )
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            flash(_("The agency's settings are saved."))
            return redirect(url_for("agency_pages.settings"))
    return render_template(
        "agency.html",
        current=current,
        values=values,
        errors=errors,
        limits=agency.TEXT_LIMITS,
        max_logo=agency.MAX_LOGO_BYTES,
        product_name=agency.PRODUCT_NAME,
    ), (422 if errors else 200)


def _uploaded(upload: FileStorage | None) -> bytes | None:
    """The chosen file's bytes, or None when none was chosen.

    Uploads stream into the evidence store's temporary area (``StreamingUploadRequest``), which
    discards them when the request ends; one byte past the limit is enough to refuse it.
    """
    if upload is None or not upload.filename:
        return None
    pending = upload.stream
    if not hasattr(pending, "finish"):
        return pending.read(agency.MAX_LOGO_BYTES + 1)
    pending.finish()
    with open(pending.path, "rb") as stored:
        return stored.read(agency.MAX_LOGO_BYTES + 1)
