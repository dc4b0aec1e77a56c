"""The agency's logo, served to every page and the public register."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort

from tracker import agency

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
