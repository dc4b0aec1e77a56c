"""The demo portfolio fits a 1366 px screen: every count in view, no horizontal scroll."""

from __future__ import annotations

from tests.browser.conftest import SCREENSHOTS
from tests.web.conftest import PASSWORD


def signed_in(context, live_server: str, username: str):
    """A page of ``context`` signed in as ``username`` through the sign-in form."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_the_demo_portfolio_fits_1366_px_without_horizontal_scroll(
    browser, settings, people, live_server, demo_agency
):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = signed_in(context, live_server, people["dpo"])
        page.goto(f"{live_server}/portfolio")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        # The last count column (Expired) and the overdue column are within the viewport.
        for selector in ("thead th.c-overdue", "thead th.c-expired"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1366, selector
        assert page.locator("tbody td.c-overdue a").count() > 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "portfolio-1366.png"), full_page=True)
        # The as-of picker: a past date replays the portfolio.
        page.locator("#as_of").fill("2026-01-15")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**as_of=2026-01-15**")
        assert "as of 15 Jan 2026" in page.locator("h1").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    finally:
        context.close()


def test_a_reader_pages_through_a_sorted_portfolio(
    browser, settings, people, live_server, demo_agency, monkeypatch
):
    from tracker.web import portfolio

    monkeypatch.setattr(portfolio, "PAGE_SIZE", 4)  # the demo's systems over several pages
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = signed_in(context, live_server, people["dpo"])
        page.goto(f"{live_server}/portfolio")
        page.get_by_role("link", name="Overdue", exact=True).click()  # by overdue count
        page.wait_for_url("**sort=overdue&order=asc**")
        page.get_by_role("link", name="Overdue ▲", exact=True).click()  # most overdue first
        page.wait_for_url("**sort=overdue&order=desc**")
        first = page.locator("tbody tr th a").all_inner_texts()
        pager = page.get_by_role("navigation", name="Pages of systems")
        assert "Systems 1\u20134 of" in pager.inner_text() and len(first) == 4
        pager.get_by_role("link", name="Next").click()
        page.wait_for_url("**page=2**")
        assert "sort=overdue" in page.url  # the sort carries over to the next page
        second = page.locator("tbody tr th a").all_inner_texts()
        assert second and not set(first) & set(second)
        assert (
            "Systems 5\u2013"
            in page.get_by_role("navigation", name="Pages of systems").inner_text()
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "portfolio-page-2.png"), full_page=True)
        page.get_by_role("link", name="Previous").click()
        page.wait_for_url("**page=1**")
        assert page.locator("tbody tr th a").all_inner_texts() == first
    finally:
        context.close()
