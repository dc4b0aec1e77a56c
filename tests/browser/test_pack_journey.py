"""An auditor builds a system's evidence pack from its page and downloads it in Chromium; the
file the browser saved verifies offline. A pack being built is followed by the page's script
(under the site's Content-Security-Policy) until it ends. Screenshots of the packs section in
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import checks
from tests.browser.conftest import SCREENSHOTS
from tracker.models import AISystem, Pack
from tracker.packs import verify
from tracker.reminders import jobs

CHATBOT = "Crime report chatbot"


@pytest.fixture
def agency(settings, people, live_server, demo_agency):
    return live_server


def shoot(locator, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_an_auditor_builds_a_pack_on_the_system_page_and_downloads_it(
    page, agency, people, tmp_path
):
    chatbot = AISystem.get(AISystem.name == CHATBOT)
    checks.sign_in(page, agency, people["auditor"])
    page.goto(f"{agency}/systems/{chatbot.id}#packs")
    section = page.locator("#packs")
    assert page.get_by_label("Date the pack shows").input_value() == date.today().isoformat()
    shoot(section, "packs-section-empty")

    # The browser keeps the date within its bounds; the server says so too, beside the field.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    page.locator("#pack-form").evaluate("form => { form.noValidate = true; }")
    page.locator("#pack-as_of").fill(tomorrow)
    section.get_by_role("button", name="Build evidence pack").click()
    error = page.locator("#as_of-error")
    assert "cannot be in the future" in error.inner_text()
    assert page.locator("#pack-as_of").get_attribute("aria-describedby") == "as_of-error"
    shoot(section, "packs-section-bad-date")
    assert Pack.select().count() == 0
    page.locator("#pack-as_of").fill(date.today().isoformat())

    section.get_by_role("button", name="Build evidence pack").click()
    page.wait_for_url(re.compile(rf".*/systems/{chatbot.id}#packs$"))
    pack = Pack.get(Pack.system == chatbot.id)
    assert pack.state == "ready"
    assert f"Evidence pack {pack.id} is ready to download." in page.locator(".flashes").inner_text()
    row = section.locator(f"#pack-{pack.id}")
    assert "ready" in row.inner_text() and pack.key_id in row.inner_text()
    row.locator("details.pack-hash summary").click()  # the full SHA-256, on demand
    assert row.locator("code.hash").inner_text() == pack.sha256
    shoot(section, "packs-section-ready")
    assert not checks.serious_violations(page), checks.serious_violations(page)

    with page.expect_download() as started:
        row.get_by_role("link", name=re.compile("^Download")).click()
    download = started.value
    assert download.suggested_filename == pack.file_name
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    report = verify.check(saved)
    assert report.ok, report.problems
    assert saved.stat().st_size == pack.size


def test_a_pack_being_built_is_followed_until_it_ends(browser, agency, people):
    chatbot = AISystem.get(AISystem.name == CHATBOT)
    pack = Pack.create(
        system=chatbot, as_of=date.today(), requested_by="dpo.web", state="building",
        done=1, total=4,
    )  # fmt: skip
    # At phone width: the list stacks, nothing scrolls sideways.
    context = browser.new_context(viewport={"width": 375, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        checks.sign_in(page, agency, people["viewer"])
        page.goto(f"{agency}/systems/{chatbot.id}#packs")
        row = page.locator(f"#pack-{pack.id}")
        assert row.locator("progress").evaluate("bar => bar.value") == 25
        assert page.locator("#packs form").count() == 0  # a viewer cannot build
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        shoot(page.locator("#packs"), "packs-section-building-phone")
        Pack.update(done=3).where(Pack.id == pack.id).execute()
        # the page's script moves the bar (a string to wait on would be refused by the CSP)
        expect(row.locator("progress")).to_have_js_property("value", 75)
        Pack.update(state="failed", error="The worker stopped: out of disk space").where(
            Pack.id == pack.id
        ).execute()
        # the page reloads itself once the pack has ended, and shows why it failed
        page.locator(f"#pack-{pack.id} .pack-error").wait_for()
        assert "out of disk space" in page.locator(f"#pack-{pack.id}").inner_text()
        assert page.locator(f"#pack-{pack.id} progress").count() == 0
        shoot(page.locator("#packs"), "packs-section-failed-phone")
    finally:
        context.close()


def test_a_dpo_asks_for_the_agency_wide_pack_from_the_portfolio(page, agency, people, settings):
    queue = jobs.queue(settings)
    queue.empty()
    checks.sign_in(page, agency, people["dpo"])
    section = page.locator("#packs")
    try:
        section.get_by_role("button", name="Build the agency-wide pack").click()
        page.wait_for_url(re.compile(r".*/portfolio#packs$"))
        pack = Pack.get(Pack.system.is_null())
        assert queue.count == 1  # the worker builds it
        row = section.locator(f"#pack-{pack.id}")
        assert "queued" in row.inner_text()
        assert "being built" in page.locator(".flashes").inner_text()
        shoot(section, "packs-agency-queued")
        assert not checks.serious_violations(page), checks.serious_violations(page)
    finally:
        queue.empty()
