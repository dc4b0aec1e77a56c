"""The REST API under ``/api``: flask-smorest blueprints, OpenAPI document, problem details."""

from __future__ import annotations

import http
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import peewee as pw
from apispec import BasePlugin
from flask import Flask, Response, request, send_from_directory
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from tracker import __version__, vocabulary
from tracker.api import (
    accounts,
    audit,
    catalogue,
    completeness,
    evidence,
    notifications,
    packs,
    problems,
    reviews,
    systems,
    waivers,
)
from tracker.api.auth import Forbidden, Unauthenticated
from tracker.api.blueprint import NUL_MESSAGE
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


# The problem responses every operation documents, besides its own and the catch-all `default`
# (which covers a 500): the statuses a client must be ready for, whatever the operation does.
ALWAYS = (422, 429)  # 422: a NUL character anywhere in a request; 429: rate limits
SECURED = (401, 403)  # an operation that needs a token
WITH_PATH_ID = (404,)  # an operation on a named resource
WITH_BODY = (400, 413)  # a body that cannot be read; one larger than the upload limit
WRITING = (409,)  # a change that conflicts with one made at the same time


class ProblemResponses(BasePlugin):
    """apispec plugin: document the problem+json responses each operation can give."""

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in self._statuses(path or "", method, operation):
                if status not in responses and str(status) not in responses:
                    # a response component flask-smorest registers for each status (lazily)
                    responses[status] = http.HTTPStatus(status).name

    @staticmethod
    def _statuses(path: str, method: str, operation: dict) -> Iterator[int]:
        yield from ALWAYS
        if operation.get("security") != []:
            yield from SECURED
        if "{" in path:
            yield from WITH_PATH_ID
        if "requestBody" in operation:
            yield from WITH_BODY
        if method.lower() != "get":
            yield from WRITING


class TrackerApi(Api):
    """flask-smorest's Api with RFC 9457 problem documents for every error, documented."""

    ERROR_SCHEMA = problems.ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.from_webargs(error)

    def _register_responses(self) -> None:
        # flask-smorest documents errors as its own JSON shape; every error here is a problem
        # document sent as application/problem+json.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _register_pagination_header(self) -> None:
        # The header's value is a JSON object (not OpenAPI's "simple" style for an object
        # schema, k1,v1,k2,v2), which OpenAPI writes as a header with `content`.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "The page's place in the whole list, as a JSON object",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


def refuse_nul_in_path() -> Response | None:
    """422 for a NUL character in an API path (a username, a token, a requirement id...).

    The arguments parser refuses one in every parsed argument (tracker.api.blueprint); path
    segments are not parsed there, and PostgreSQL fails on one in any text value.
    """
    if not request.path.startswith("/api/") or "\x00" not in request.path:
        return None
    return problems.problem(
        422,
        f"path: {NUL_MESSAGE}",
        title="Invalid input",
        type_="urn:tracker:problem:invalid-input",
        errors=[{"field": "(path)", "in": "path", "pointer": "#", "detail": NUL_MESSAGE}],
    )


def init_api(app: Flask) -> Api:
    app.config.update(OPENAPI_SETTINGS)
    api = TrackerApi(app, spec_kwargs={"extra_plugins": [ProblemResponses()]})
    app.before_request(refuse_nul_in_path)
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
        packs,
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
