"""The reminder digest as a reader sees it: the HTML part of a really delivered e-mail, rendered
in Chromium at desktop and phone width, with every request to the network refused."""

from __future__ import annotations

from datetime import date

from tests.conftest import DEPLOYMENT
from tests.reminders.conftest import SmtpServer
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences

BASE = "https://tracker.police.example"


def delivered_html(settings, address: str) -> str:
    server = SmtpServer()
    server.start()
    try:
        sending = settings.with_overrides(
            smtp_host="127.0.0.1", smtp_port=server.port, base_url=BASE
        )
        sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), sending)
        deliver(ledger.messages(load_preferences()), sending, final_attempt=True)
    finally:
        server.stop()
    (message,) = server.mailbox.to(address)
    return message.get_body(("html",)).get_content()


def test_the_digest_reads_well_on_a_desktop_and_a_phone(
    page, settings, migrated, screenshot, demo_agency
):
    body = delivered_html(settings, "dpo@police.example")
    requested: list[str] = []

    def refuse(route):  # a mail client that loads nothing remote shows the same thing
        requested.append(route.request.url)
        route.abort()

    page.route("**/*", refuse)
    page.set_content(body, wait_until="load")

    summary = page.locator("#summary")
    assert summary.is_visible()
    assert "needed before the next stage" in summary.inner_text()
    button = page.locator("a.system-button", has_text="Live facial recognition").first
    assert button.is_visible()
    assert button.get_attribute("href").startswith(f"{BASE}/systems/")
    box = button.bounding_box()
    assert box["height"] >= 32 and box["width"] >= 120  # a button to tap, not a text link
    screenshot("email-digest-desktop")

    page.set_viewport_size({"width": 375, "height": 800})
    assert summary.is_visible() and button.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot("email-digest-phone")
    assert requested == []  # nothing was fetched: no remote images, fonts or styles
