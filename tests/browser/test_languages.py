"""French as a French-speaking DPO sees it: the sign-in page and the portfolio at desktop and phone
width, and a French reminder e-mail in Chromium, none wider than the screen (longer French words
must not push anything out)."""

from __future__ import annotations

from datetime import date

from tests.browser.test_email_render import delivered_html
from tests.web.conftest import PASSWORD
from tracker import accounts, agency, i18n, sign_in

WIDTHS = {"desktop": 1366, "phone": 375}


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    # Tables scroll inside their .scroll wrapper; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_sign_in_page_and_the_portfolio_in_french(
    page, settings, live_server, screenshot, demo_agency
):
    officer = accounts.get_user("d.okafor")
    sign_in.set_password(officer, PASSWORD, "test")
    accounts.set_language(officer, "fr", "test")
    agency.update({"name": "Police fédérale", "dpo_contact": "dpd@police.example"}, "test")

    page.context.set_extra_http_headers({"Accept-Language": "fr-BE,fr;q=0.9"})
    page.goto(f"{live_server}/sign-in")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Se connecter"
    for name, width in WIDTHS.items():
        _fits(page, width)
        screenshot(f"fr-sign-in-{name}")

    page.get_by_label("Nom d'utilisateur").fill("d.okafor")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}/portfolio")
    assert page.get_by_role("link", name="File d'examen").is_visible() or width == 375
    assert "Connecté en tant que d.okafor." in page.locator(".flashes").inner_text()
    with i18n.using("fr"):
        shown = i18n.format_day(date(2026, 1, 15))
    page.goto(f"{live_server}/portfolio?as_of=2026-01-15")
    assert f"au {shown}" in page.locator("h1").inner_text()
    for name, width in WIDTHS.items():
        _fits(page, width)
        screenshot(f"fr-portfolio-{name}")


def test_a_french_digest_reads_well_on_a_desktop_and_a_phone(
    page, settings, migrated, screenshot, demo_agency
):
    accounts.set_language(accounts.get_user("d.okafor"), "fr", "test")
    agency.update({"name": "Police fédérale", "dpo_contact": "dpd@police.example"}, "test")
    body = delivered_html(settings, "dpo@police.example")
    page.route("**/*", lambda route: route.abort())  # a mail client that loads nothing remote
    page.set_content(body, wait_until="load")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "votre attention" in page.locator("body").inner_text()
    assert page.locator("a.system-button").first.inner_text().startswith("Ouvrir")
    for name, width in WIDTHS.items():
        _fits(page, width)
        screenshot(f"fr-email-digest-{name}")
