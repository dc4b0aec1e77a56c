"""The REST API under ``/api``: flask-smorest blueprints, OpenAPI document, problem details."""

from __future__ import annotations

from importlib.resources import files

import peewee as pw
from flask import Flask, Response, send_from_directory
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from tracker import __version__, vocabulary
from tracker.api import (
    accounts,
    audit,
    catalogue,
    completeness,
    evidence,
    notifications,
    problems,
    reviews,
    systems,
    waivers,
)
from tracker.api.auth import Forbidden, Unauthenticated
from tracker.errors import TrackerError, ValidationFailed

# Swagger UI 5 (the first to read OpenAPI 3.1), from the static dist folder the flask-swagger-ui
# package ships; served from this app so the docs page needs no CDN. flask-smorest renders the page.
SWAGGER_UI_DIST = files("flask_swagger_ui") / "dist"

OPENAPI_SETTINGS = {
    "API_TITLE": "AI Evidence Tracker",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Register AI systems, upload and verify evidence, read the audit trail. "
            "Send `Authorization: Bearer <token>`; errors are RFC 9457 problem documents."
        },
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    },
}


class TrackerApi(Api):
    """flask-smorest's Api with RFC 9457 problem documents for every error."""

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.from_webargs(error)


def init_api(app: Flask) -> Api:
    app.config.update(OPENAPI_SETTINGS)
    api = TrackerApi(app)
    for module in (
        systems,
        evidence,
        reviews,
        waivers,
        completeness,
        catalogue,
        notifications,
        accounts,
        audit,
    ):
        api.register_blueprint(module.blp)

    @app.route("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(str(SWAGGER_UI_DIST), filename)

    @app.route("/api/vocabulary")
    def vocabulary_lists() -> dict:
        """The closed lists the API accepts (public: these are not secrets)."""
        return {
            "evidence_kinds": vocabulary.EVIDENCE_KINDS,
            "development_approaches": vocabulary.DEVELOPMENT_APPROACHES,
            "lifecycle_stages": vocabulary.LIFECYCLE_STAGES,
            "risk_levels": vocabulary.RISK_LEVELS,
            "purpose_types": vocabulary.PURPOSE_TYPES,
            "biometric_identification": vocabulary.BIOMETRIC_IDENTIFICATION,
            "ai_act_roles": vocabulary.AI_ACT_ROLES,
            "people_affected": vocabulary.PEOPLE_AFFECTED,
            "annex_iii_areas": vocabulary.ANNEX_III_AREAS,
            "roles": vocabulary.ROLES,
        }

    @app.errorhandler(TrackerError)
    def domain_error(error: TrackerError) -> Response:
        if isinstance(error, ValidationFailed):
            errors = problems.field_errors(error.errors, "body")
            return problems.problem(
                error.status,
                str(error),
                title=error.title,
                type_="urn:tracker:problem:invalid-input",
                errors=errors,
            )
        return problems.problem(error.status, str(error), title=error.title)

    @app.errorhandler(Unauthenticated)
    def unauthenticated(error: Unauthenticated) -> Response:
        return problems.problem(
            401,
            "Send a valid API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="tracker"'},
        )

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden) -> Response:
        return problems.problem(403, f"Refused: {error}.")

    @app.errorhandler(pw.IntegrityError)
    def constraint_conflict(error: pw.IntegrityError) -> Response:
        return problems.problem(
            409, "The change conflicts with data written at the same time; retry it."
        )

    return api
