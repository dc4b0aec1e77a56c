"""The interactive API documentation (/api/docs), rendered by Swagger UI in a real browser."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.conftest import SCREENSHOTS

RENDER_ERRORS = ("Unable to render", "Could not render", "Failed to load API definition")


def test_the_api_docs_render_the_openapi_3_1_document(page, live_server, screenshot):
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_server}/api/docs")

    # An operation block is rendered for the register's collection route.
    operation = page.locator(".opblock-summary-path", has_text="/api/systems").first
    operation.wait_for(state="visible")
    assert operation.inner_text().strip() == "/api/systems"
    page.locator(".opblock-tag").first.wait_for(state="visible")
    screenshot("api-docs")  # the whole page
    page.screenshot(path=str(SCREENSHOTS / "api-docs-top.png"))  # legible at a glance

    body = page.locator("body").inner_text()
    for error in RENDER_ERRORS:
        assert error not in body, error
    assert page.locator(".errors-wrapper, .swagger-ui .errors").count() == 0
    assert "OAS 3.1" in body  # Swagger UI names the version it read
    # Everything the page loaded came from the tracker itself: no CDN.
    assert requested_hosts == {urlsplit(live_server).netloc}
