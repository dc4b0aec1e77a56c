"""The demo `make run` seeds, as a newcomer sees it in Chromium at 1366 px: a year of history."""

from __future__ import annotations

import re

import pytest

from tracker.models import AISystem


@pytest.fixture
def logins(demo, settings, migrated, live_server):
    return {login.username: login.password for login in demo.seed_empty_database(settings)}


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portfolio")


def test_the_chart_the_audit_trail_and_the_portfolio_show_a_year(browser, logins, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    shot = "test-artifacts/screenshots/demo-year-{}.png"
    sign_in(page, live_server, "d.okafor", logins["d.okafor"])
    assert "Nordville" in page.locator("header").inner_text()  # the agency's profile
    counts = page.locator("main").inner_text()
    assert re.search(r"[1-9]\d* expiring soon", counts) and re.search(r"[1-9]\d* overdue", counts)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=shot.format("portfolio"), full_page=True)

    face = AISystem.get(AISystem.name == "Post-event face search")
    page.goto(f"{live_server}/systems/{face.id}")
    described = page.locator("svg.chart desc").text_content()
    points = [float(p) for p in re.findall(r"(\d+(?:\.\d+)?)%", described)]
    assert len(points) == 13  # the start of each of the last twelve months, and today
    assert points[1] + 25 < points[-1]  # registered with nothing on file, documented since
    page.locator("section", has=page.locator("svg.chart")).first.screenshot(
        path=shot.format("chart")
    )

    page.goto(f"{live_server}/audit")
    assert "Chain verified" in page.locator("main").inner_text()
    page.get_by_label("Actor (username)").fill("d.okafor")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("main table tbody tr")
    assert rows.count() > 20  # the DPO's decisions over the year
    assert "evidence.rejected" in page.locator("main").inner_text()
    page.screenshot(path=shot.format("audit"))
    context.close()

    # The viewer reads the tracker in French.
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "n.lambert", logins["n.lambert"])
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.screenshot(path=shot.format("portfolio-fr"))
    context.close()
