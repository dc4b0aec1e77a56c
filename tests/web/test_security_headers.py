"""The pages, the API and the API's docs send the same security headers; HSTS over HTTPS."""

from __future__ import annotations

import base64
import hashlib
import re

from tracker.app import create_app

CSP = "Content-Security-Policy"


def _assert_hardened(response, what: str) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", what
    assert headers["X-Frame-Options"] == "DENY", what
    assert headers["Referrer-Policy"] == "same-origin", what
    policy = headers[CSP]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, what
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what


def test_the_api_and_its_docs_send_the_headers_the_pages_send(client, auth):
    for path, headers, status in (
        ("/sign-in", {}, 200),
        ("/api/systems", auth("viewer"), 200),
        ("/api/systems", {}, 401),
        ("/api/systems/999999", auth("viewer"), 404),
        ("/api/vocabulary", {}, 200),
        ("/api/openapi.json", {}, 200),
        ("/api/docs", {}, 200),
        ("/api/docs/assets/swagger-ui.css", {}, 200),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == status, path
        _assert_hardened(response, path)
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP, http:// base
        response.close()


def test_the_docs_page_may_run_its_own_inline_script_and_nothing_else(client):
    page = client.get("/api/docs")
    scripts = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(scripts) == 1  # Swagger UI's start-up, written by flask-smorest
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = page.headers[CSP]
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "sha256-" not in client.get("/api/openapi.json").headers[CSP]
    assert "sha256-" not in client.get("/sign-in").headers[CSP]


def test_hsts_whenever_the_tracker_is_served_over_https(settings, migrated):
    plain = create_app(settings).test_client()
    assert "Strict-Transport-Security" not in plain.get("/sign-in").headers
    over_tls = plain.get("/api/vocabulary", base_url="https://tracker.police.example")
    assert over_tls.headers["Strict-Transport-Security"] == "max-age=31536000"
    # Behind a TLS proxy the request arrives as plain HTTP: the https:// base URL says it is not.
    proxied = create_app(settings.with_overrides(base_url="https://tracker.police.example"))
    client = proxied.test_client()
    for path in ("/sign-in", "/register", "/api/vocabulary", "/api/docs", "/api/systems"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000", path
