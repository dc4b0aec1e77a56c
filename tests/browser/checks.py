"""What browser tests share: signing in (by the form's ids, so it works in any language) and
axe-core's verdict on a page (serious and critical WCAG 2.1 A/AA violations)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.web.conftest import PASSWORD

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SERIOUS = ("serious", "critical")


def sign_in(
    page, base: str, username: str, then: str = "/portfolio", password: str = PASSWORD
) -> None:
    page.goto(f"{base}/sign-in" + (f"?next={then}" if then != "/portfolio" else ""))
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(f"{base}{then}")


def violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    found = Axe().run(page, options=WCAG).response["violations"]
    return [v for v in found if v["impact"] in SERIOUS]


def serious_violations(page) -> list[str]:
    """The same, one line each: rule, impact, help and the first elements at fault."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in violations(page)
    ]
