"""Users, My account and the agency settings in Chromium, at desktop (1366 px) and phone (375 px).

Each page: a full-page screenshot in ``test-artifacts/screenshots/``, no sideways scroll of the
page itself, no serious or critical axe-core (WCAG 2.x A/AA) violation. The secret shown once
is copied by its button, and the header with every administrator's link wraps at 375 px.
"""

from __future__ import annotations

import pytest

from tests.browser import checks
from tests.browser.checks import sign_in
from tests.browser.conftest import SCREENSHOTS
from tests.test_agency import VALUES, png
from tracker import accounts, agency
from tracker.db import utcnow
from tracker.models import User

WIDTHS = (1366, 375)


@pytest.fixture
def staffed(people, live_server) -> str:
    """A few more people in different states, and an agency with a logo."""
    legal = User.get(User.username == people["legal"])
    accounts.update_details(legal, "setup", "Léa Dubois-Vandenberghe", "lea.dubois@police.example")
    accounts.issue_token(legal, "records system sync", "setup")
    dpo = User.get(User.username == people["dpo"])
    dpo.locked_until = utcnow().replace(year=utcnow().year + 1)
    dpo.save()
    accounts.set_active(User.get(User.username == people["viewer"]), False, "setup")
    agency.update(
        dict(VALUES, name="Police fédérale · Federale Politie"),
        "setup",
        logo=(png(64), "image/png"),
    )
    return live_server


def check(page, name: str, width: int) -> list[str]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    problems = []
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"{name} at {width} px scrolls sideways by {overflow} px")
    for violation in checks.violations(page):
        if violation["impact"] in ("serious", "critical"):
            targets = "; ".join(node["target"][0] for node in violation["nodes"][:3])
            problems.append(
                f"{name} at {width} px: {violation['id']}: {violation['help']} {targets}"
            )
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_fit_and_pass_axe(browser, staffed, people, width):
    base = staffed
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    try:
        sign_in(page, base, people["admin"])
        page.goto(f"{base}/users")
        problems += check(page, "users", width)

        page.get_by_label("Username").fill("new.colleague")
        page.get_by_label("Full name").fill("New Colleague")
        page.get_by_label("Legal team").check()
        page.get_by_label("Generate a password and show it to me once").check()
        page.get_by_role("button", name="Create the user").click()
        page.get_by_role("heading", name="The new password").wait_for()
        problems += check(page, "user-new-password", width)

        legal = User.get(User.username == people["legal"]).id
        page.goto(f"{base}/users/{legal}")
        problems += check(page, "user", width)

        page.goto(f"{base}/account")
        page.get_by_label("What it is for").fill("my laptop")
        page.get_by_role("button", name="Issue the token").click()
        page.get_by_role("heading", name="The new API token").wait_for()
        problems += check(page, "account-new-token", width)

        page.goto(f"{base}/agency")
        problems += check(page, "agency", width)

        page.goto(f"{base}/users")
        page.get_by_label("Username").fill("Bad Name")
        page.get_by_role("button", name="Create the user").click()
        page.locator("#username-error").wait_for()
        problems += check(page, "users-refused", width)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_copy_button_copies_the_secret_shown_once(browser, staffed, people):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=staffed)
    page = context.new_page()
    try:
        sign_in(page, staffed, people["auditor"])
        page.goto(f"{staffed}/account")
        page.get_by_label("What it is for").fill("export script")
        page.get_by_role("button", name="Issue the token").click()
        secret = page.locator("#shown-secret").input_value()
        assert accounts.authenticate(secret).username == people["auditor"]
        page.get_by_role("button", name="Copy").click()
        page.get_by_role("button", name="Copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        page.goto(f"{staffed}/account")
        assert secret not in page.content()
    finally:
        context.close()


def test_the_header_wraps_at_phone_width(browser, staffed, people):
    context = browser.new_context(viewport={"width": 375, "height": 700})
    page = context.new_page()
    try:
        sign_in(page, staffed, people["admin"])
        page.screenshot(path=str(SCREENSHOTS / "header-admin-375.png"))
        header = page.locator("header.top")
        for name in ("Users", "Agency", "Public register"):
            link = header.get_by_role("link", name=name, exact=True)
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, name
        account = header.get_by_role("link", name="My account")
        assert people["admin"] in account.inner_text()
        account.click()
        page.wait_for_url(f"{staffed}/account")
    finally:
        context.close()
