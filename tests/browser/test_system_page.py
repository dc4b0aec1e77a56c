"""The system page in Chromium at desktop (1366 px) and phone (375 px) width: what to do next
comes before the full list, nothing scrolls sideways but the tables made to, and every action
button can be reached; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser import checks
from tests.browser.conftest import SCREENSHOTS
from tests.factories import profile
from tests.web.conftest import PASSWORD
from tracker import register
from tracker.models import AISystem
from tracker.plugin_host import load_catalogue

WIDTHS = {"desktop": 1366, "phone": 375}


@pytest.fixture
def agency(settings, people, live_server, demo_agency):
    return live_server


def signed_in(browser, base: str, username: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portfolio")
    return context, page


@pytest.mark.parametrize("width_name", WIDTHS)
def test_the_system_page_reads_top_down_at_each_width(browser, agency, people, width_name):
    live = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    context, page = signed_in(browser, agency, people["legal"], WIDTHS[width_name])
    try:
        page.goto(f"{agency}/systems/{live.id}")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"system-page-{width_name}.png"), full_page=True)
        # No sideways scroll of the page: wide tables scroll in their own box or stack.
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        tops = {
            name: page.locator(selector).first.bounding_box()["y"]
            for name, selector in {
                "summary": ".system-summary",
                "next": "#blocking",
                "events": "#events",
                "requirements": "#requirements",
                "chart": "#history",
                "profile": "#profile",
                "legend": "#legend",
            }.items()
        }
        assert list(tops) == sorted(tops, key=tops.get)
        # The first thing to do is within the first screen, its buttons on the page.
        first = page.locator("#blocking ul.todo > li").first
        assert first.bounding_box()["y"] < 900
        for button in first.locator("a.button").all():
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[width_name]
        # axe-core finds nothing serious or critical against WCAG 2.1 A/AA.
        violations = checks.violations(page)
        serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, serious
        # The legend is one click away from a mark.
        first.locator("a.verification").click()
        assert page.url.endswith("#legend")
    finally:
        context.close()


def test_a_system_registered_today_says_where_its_history_starts(browser, agency, people):
    system = register.create_system(profile(name="Brand new system"), "test", load_catalogue())
    context, page = signed_in(browser, agency, people["dpo"], WIDTHS["phone"])
    try:
        page.goto(f"{agency}/systems/{system.id}")
        page.locator("#history").screenshot(path=str(SCREENSHOTS / "system-page-new-chart.png"))
        text = page.locator("#history").inner_text()
        assert "History starts on" in text and page.locator("#history svg").count() == 0
    finally:
        context.close()
