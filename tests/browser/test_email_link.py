"""A reminder e-mail's link, opened signed out in a real browser, leads through sign-in to the
item it is about."""

from __future__ import annotations

import re
from datetime import date

from tests.conftest import DEPLOYMENT
from tests.reminders.conftest import SmtpServer
from tests.web.conftest import PASSWORD
from tracker import accounts, sign_in
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences


def delivered_text(settings, base_url: str, address: str) -> str:
    server = SmtpServer()
    server.start()
    try:
        sending = settings.with_overrides(
            smtp_host="127.0.0.1", smtp_port=server.port, base_url=base_url
        )
        sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), sending)
        deliver(ledger.messages(load_preferences()), sending, final_attempt=True)
    finally:
        server.stop()
    return server.mailbox.text(server.mailbox.to(address)[0])


def test_a_link_from_a_delivered_email_opens_its_item_after_sign_in(
    page, settings, live_server, screenshot, demo_agency
):
    text = delivered_text(settings, live_server, "dpo@police.example")
    links = re.findall(re.escape(live_server) + r"/systems/\d+\?requirement=\S+", text)
    assert links, text
    link = links[0]
    requirement_id = link.rsplit("=", 1)[1]
    title = load_catalogue(deployment=DEPLOYMENT).requirements[requirement_id].title
    sign_in.set_password(accounts.get_user("d.okafor"), PASSWORD, "test")

    page.goto(link)
    page.wait_for_url(re.compile(r".*/sign-in\?next=.*"))
    page.get_by_label("Username").fill("d.okafor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(link)
    focus = page.locator("#focus")
    assert focus.is_visible()
    assert title in focus.inner_text() and requirement_id in focus.inner_text()
    assert focus.bounding_box()["y"] < 900  # in view without scrolling
    screenshot("email-link-landing")
