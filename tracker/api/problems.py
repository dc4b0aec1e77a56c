"""RFC 9457 problem details for every API error.

Validation errors carry one entry per field in ``errors``, each with a JSON
pointer to the offending member, the field's dotted name, where it was sent
(body, query, form, files) and the rule it broke.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, json, request
from marshmallow import fields
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_JSON = "application/problem+json"
LOCATIONS = {
    "json": "body",
    "form": "form",
    "files": "files",
    "query": "query",
    "view_args": "path",
}

log = logging.getLogger(__name__)


class FieldProblemSchema(ma.Schema):
    """One broken rule in a 422 problem document."""

    field = fields.String(metadata={"description": "The field's dotted name"})
    in_ = fields.String(
        data_key="in",
        metadata={"description": "Where it was sent: body, query, form, files, path or header"},
    )
    pointer = fields.String(metadata={"description": "JSON pointer to the offending member"})
    detail = fields.String(metadata={"description": "The rule it broke"})


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document, the body of every API error (``application/problem+json``).

    Some problems add members of their own (e.g. ``max_bytes`` on a 413).
    """

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = fields.String(metadata={"description": "A short summary of the kind of problem"})
    status = fields.Integer(metadata={"description": "The HTTP status code"})
    detail = fields.String(metadata={"description": "What went wrong in this request"})
    instance = fields.String(metadata={"description": "The path of the request"})
    errors = fields.List(
        fields.Nested(FieldProblemSchema),
        metadata={"description": "Invalid input (422): one entry per broken rule"},
    )


def field_errors(
    messages: Mapping[str, Any], location: str, parents: tuple[str, ...] = ()
) -> list[dict]:
    """Flatten nested marshmallow messages into one entry per failed rule."""
    out: list[dict] = []
    for key, value in messages.items():
        parts = (*parents, str(key))
        if isinstance(value, Mapping):
            out += field_errors(value, location, parts)
            continue
        for detail in value if isinstance(value, list | tuple) else [value]:
            if isinstance(detail, Mapping):
                out += field_errors(detail, location, parts)
                continue
            in_schema = parts[-1] == "_schema"
            escaped = [p.replace("~", "~0").replace("/", "~1") for p in parts if p != "_schema"]
            out.append(
                {
                    "field": ".".join(parts[:-1] if in_schema else parts) or "(whole document)",
                    "in": location,
                    "pointer": "#/" + "/".join(escaped) if escaped else "#",
                    "detail": str(detail),
                }
            )
    return out


def problem(
    status: int,
    detail: str = "",
    *,
    title: str = "",
    type_: str = "about:blank",
    errors: list[dict] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.extend(headers or {})
    return response


def from_webargs(error: HTTPException) -> Response:
    """A 422 raised by webargs/flask-smorest argument parsing, or any other HTTP error."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    headers = dict(data.get("headers") or {})
    if isinstance(error, RequestEntityTooLarge):
        from tracker.runtime import runtime

        limit = runtime().settings.max_upload_bytes
        return problem(
            413,
            f"The request is larger than the upload limit of {limit // (1024 * 1024)} MiB "
            "(TRACKER_MAX_UPLOAD_MB). Nothing was stored.",
            type_="urn:tracker:problem:upload-too-large",
            max_bytes=limit,
        )
    if error.code == 422 and isinstance(messages, Mapping):
        errors = []
        for location, per_field in messages.items():
            errors += field_errors(per_field, LOCATIONS.get(location, location))
        return problem(
            422,
            "; ".join(f"{e['field']}: {e['detail']}" for e in errors),
            title="Invalid input",
            type_="urn:tracker:problem:invalid-input",
            errors=errors,
            headers=headers,
        )
    if error.code == 500:
        log.exception(
            "unhandled error on %s",
            request.path,
            exc_info=getattr(error, "original_exception", None),
        )
    detail = data.get("message") or (error.description if error.code != 500 else "")
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            headers.setdefault(name, value)
    return problem(error.code or 500, detail or "", headers=headers)
