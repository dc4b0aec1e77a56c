"""Security headers on every response: the pages, the public register, the API and its docs.

One policy for all: a browser that is handed an API response or the docs page directly (a link,
a frame, a sniffed upload) treats it as strictly as a page. HSTS goes out whenever the tracker
is served over HTTPS (the request came in over HTTPS, or ``TRACKER_BASE_URL`` is https:// as
behind a TLS proxy). A response that sets a header of its own (an evidence download's stricter
policy, say) keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

from tracker.runtime import runtime

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'{scripts}; "
    "frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000"  # a year; not includeSubDomains: the agency's other hosts are not ours
# The interactive API docs (flask-smorest's Swagger UI page) start Swagger UI with an inline
# script: it alone is allowed, by its hash, on that page alone.
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def install(app: Flask) -> None:
    """Add the headers to every response ``app`` sends."""
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    scripts = ""
    if request.endpoint == DOCS_ENDPOINT and not response.direct_passthrough:
        scripts = "".join(f" '{digest}'" for digest in _inline_script_hashes(response.get_data()))
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(scripts=scripts))
    if request.is_secure or runtime().settings.base_url.startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _inline_script_hashes(page: bytes) -> list[str]:
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode()
        for script in _INLINE_SCRIPT.findall(page)
    ]
