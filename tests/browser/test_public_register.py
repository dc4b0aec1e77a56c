"""The public register in Chromium, without signing in, at desktop and phone width: searching
and filtering with the plain GET form, an entry, and the about page. Screenshots of each land in
test-artifacts/screenshots/ (register-*.png)."""

from __future__ import annotations

import re

import pytest

from tests.browser import checks
from tests.browser.conftest import SCREENSHOTS
from tests.public_register import png_logo
from tracker import agency as agency_profile
from tracker import register
from tracker.models import AISystem
from tracker.plugin_host import load_catalogue_for


@pytest.fixture
def public_register(settings, migrated, live_server, demo_agency) -> str:
    catalogue = load_catalogue_for(settings)
    for name in ("Crime report chatbot", "Crime hotspot forecasting"):
        system = AISystem.get(AISystem.name == name)
        levels = {**system.publication, "risk_level": "public", "purpose_type": "public"}
        register.update_system(system, {"publication": levels}, "test", catalogue)
    agency_profile.update(
        {
            "name": "Police of Example",
            "contact": "Transparency desk\n1 Rue de la Loi, 1000 Brussels\n+32 2 000 00 00",
            "complaints": "Complaints office, complaints@police.example, or the form at "
            "https://police.example/complaints",
            "dpo_contact": "dpo@police.example",
        },
        "test",
        logo=(png_logo(), "image/png"),
    )
    return live_server


def check(page, name: str) -> None:
    """Screenshot, no sideways scroll, no serious accessibility violation."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name} scrolls sideways by {overflow} px"
    response = {"violations": checks.violations(page)}
    serious = [
        f"{v['id']}: {v['help']}"
        for v in response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"


@pytest.mark.parametrize("width", [1366, 375])
def test_search_filter_read_an_entry_and_the_about_page(browser, public_register, width):
    base = public_register
    # The journey with JavaScript off: the form is a plain GET form, the links plain links.
    plain = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    page = plain.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{base}/register")
        assert page.get_by_role("status").inner_text() == "3 systems published"
        page.get_by_label("Search names, purposes and uses").fill("crime")
        page.get_by_label("Risk level").select_option("low")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r".*/register\?q=crime.*risk_level=low"))
        assert page.get_by_role("status").inner_text() == "1 of 3 published systems matches"
        assert page.get_by_label("Risk level").input_value() == "low"
        visited = [("index-filtered", page.url)]

        page.get_by_role("link", name="Crime report chatbot").click()
        page.wait_for_url(re.compile(r".*/register/\d+$"))
        main = page.locator("main").inner_text()
        assert "Transparency desk" in main and "complaints@police.example" in main
        assert "Last updated:" in main
        visited.append(("entry", page.url))

        page.get_by_role("link", name="About the data").click()
        page.wait_for_url(re.compile(r".*/register/about#data$"))
        assert "dpo@police.example" in page.locator("main").inner_text()
        visited += [("about", page.url), ("index", f"{base}/register")]
    finally:
        plain.close()
    # The same pages as a browser with JavaScript shows them, checked with axe-core.
    checked = browser.new_context(viewport={"width": width, "height": 900})
    page = checked.new_page()
    page.set_default_timeout(15_000)
    try:
        for name, url in visited:
            page.goto(url)
            check(page, f"register-{name}-{width}")
    finally:
        checked.close()


def test_in_french_at_phone_width_nothing_is_wider_than_the_screen(browser, public_register):
    base = public_register
    chatbot = AISystem.get(AISystem.name == "Crime report chatbot").id
    context = browser.new_context(viewport={"width": 375, "height": 900}, locale="fr-BE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{base}/register?lifecycle_stage=deployment")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("button", name="Rechercher", exact=True).count() == 1
        check(page, "register-index-filtered-fr-375")
        page.goto(f"{base}/register/{chatbot}")
        check(page, "register-entry-fr-375")
        page.goto(f"{base}/register/about")
        check(page, "register-about-fr-375")
    finally:
        context.close()
