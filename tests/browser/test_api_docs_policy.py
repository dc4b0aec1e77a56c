"""The API docs page works under the same Content-Security-Policy as the pages: Swagger UI
renders and the browser reports no blocked script, style or request."""

from __future__ import annotations


def test_swagger_ui_runs_under_the_content_security_policy(page, live_server):
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(f"{live_server}/api/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.locator(".opblock-summary-path", has_text="/api/systems").first.wait_for(state="visible")
    page.locator(".opblock-summary-path").first.click()  # an operation opens: more of the UI runs
    page.locator(".opblock-body").first.wait_for(state="visible")
    assert blocked == []
