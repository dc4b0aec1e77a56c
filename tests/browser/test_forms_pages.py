"""The forms and lists of issue 11 item 4 in Chromium: the upload form's requirements follow the
chosen systems (live with JavaScript, through "Next" without), decisions, waivers, reminders and
the audit trail, each screenshotted at 1366 and 375 px and kept from scrolling sideways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.checks import sign_in
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import DEPLOYMENT
from tests.reminders.conftest import SmtpServer
from tracker.models import AISystem, Evidence, EvidenceReview, Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences

WIDTHS = (1366, 375)


@pytest.fixture
def agency(settings, people, live_server, demo_agency) -> str:
    return live_server


def signed_in(browser, base: str, username: str, width: int, javascript: bool = True):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, username)
    return page


def shot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"forms-{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name} at {width} px scrolls sideways by {overflow} px"


def system_box(page, name: str):
    return page.locator("#system-choices").get_by_label(name)


def requirement_values(page) -> set[str]:
    return set(
        page.locator("input[name='requirement_ids']").evaluate_all("(l) => l.map(i => i.value)")
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_requirements_follow_the_systems_ticked(browser, agency, people, width):
    chatbot = AISystem.get(AISystem.name == "Crime report chatbot")
    face = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    page = signed_in(browser, agency, people["legal"], width)
    page.goto(f"{agency}/evidence/new")
    assert requirement_values(page) == set()
    assert page.get_by_role("button", name="Next: show their requirements").is_hidden()
    shot(page, "upload-start", width)

    system_box(page, chatbot.name).check()
    page.locator("input[name='requirement_ids']").first.wait_for(state="attached")
    for_chatbot = requirement_values(page)
    assert "eu-ai-act.prohibited_practices_screen" in for_chatbot
    assert "eu-led.dpia" not in for_chatbot  # the chatbot is not law-enforcement processing

    system_box(page, face.name).check()
    page.wait_for_function(
        "() => !!document.querySelector(\"input[name='requirement_ids'][value='eu-led.dpia']\")"
    )
    both = requirement_values(page)
    assert for_chatbot < both
    # Tick one, open all groups, and look at the list the person chooses from.
    group = page.locator("details.framework", has_text="EU Law Enforcement Directive")
    group.locator("summary").click()
    page.get_by_label("Data protection impact assessment (LED)").check()
    page.get_by_label("Filter requirements").fill("impact assessment")
    visible = page.locator("#requirements-step li[data-filter-text]:visible").evaluate_all(
        "(l) => l.map(i => i.getAttribute('data-filter-text').toLowerCase())"
    )
    assert visible and all("impact assessment" in text or "eu-led.dpia" in text for text in visible)
    shot(page, "upload-systems-chosen", width)

    # Unticking the face search keeps the ticked DPIA, set apart as no longer applying.
    system_box(page, face.name).uncheck()
    page.get_by_text("Chosen, but not applying to these systems").wait_for()
    assert page.get_by_label("Data protection impact assessment (LED)").is_checked()

    # Agency-wide: the systems are set aside and the agency-level duties come first.
    page.get_by_label("Agency-wide (covers every system)").check()
    page.get_by_text("Agency-level duties").wait_for()
    assert system_box(page, chatbot.name).is_disabled()
    page.context.close()


def test_without_javascript_next_brings_the_requirements(browser, agency, people):
    chatbot = AISystem.get(AISystem.name == "Crime report chatbot")
    page = signed_in(browser, agency, people["legal"], 1366, javascript=False)
    page.goto(f"{agency}/evidence/new")
    page.get_by_label("Title").fill("Screening of the chatbot")
    system_box(page, chatbot.name).check()
    page.get_by_role("button", name="Next: show their requirements").click()
    page.wait_for_url("**/evidence/new?*#requirements-step")
    assert "csrf_token" not in page.url
    assert "eu-ai-act.prohibited_practices_screen" in requirement_values(page)
    assert page.get_by_label("Title").input_value() == "Screening of the chatbot"
    assert system_box(page, chatbot.name).is_checked()
    shot(page, "upload-next-without-js", 1366)
    page.context.close()


def deliver_some(settings) -> None:
    """Two sweeps over real SMTP: the first delivered; the second with one address refusing
    and two e-mails not sent yet. Sent, failed and pending e-mails in the ledger."""
    refused = "pieter.de.vries@police.example"
    server = SmtpServer()
    server.start()
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    try:
        sending = settings.with_overrides(smtp_host="127.0.0.1", smtp_port=server.port)
        sweep(date.today() - timedelta(days=1), catalogue, sending)
        deliver(ledger.messages(load_preferences()), sending, final_attempt=True)
        server.mailbox.refused.add(refused)
        sweep(date.today(), catalogue, sending)
        messages = sorted(ledger.messages(load_preferences()), key=lambda m: m.recipient != refused)
        deliver(messages[:-2], sending, final_attempt=True)
    finally:
        server.stop()


def test_decisions_reminders_and_audit_at_desktop_and_phone_width(
    browser, agency, people, settings
):
    deliver_some(settings)
    states = {n.state for n in Notification.select(Notification.state)}
    assert {"sent", "failed", "pending"} <= states
    reviewed = EvidenceReview.select(EvidenceReview.evidence)
    pending = Evidence.select().where(
        Evidence.superseded_at.is_null() & Evidence.id.not_in(reviewed)
    )
    item = pending.first()
    assert item is not None
    for width in WIDTHS:
        dpo = signed_in(browser, agency, people["dpo"], width)
        dpo.goto(f"{agency}/evidence/{item.id}")
        assert dpo.get_by_role("button", name="Accept").is_visible()
        reject = dpo.locator("form.reject-form button.danger")
        assert reject.is_visible() and reject.inner_text() == "Reject"
        shot(dpo, "evidence-pending", width)
        dpo.goto(f"{agency}/reviews")
        dpo.locator("details.reject summary").first.click()
        shot(dpo, "review-queue", width)
        dpo.goto(f"{agency}/waivers")
        shot(dpo, "waivers", width)
        dpo.goto(f"{agency}/reminders")
        rows = dpo.locator("table.emails tbody tr")
        assert rows.count() >= 3
        dpo.locator("details.email-items summary").first.click()
        assert dpo.locator("details.email-items[open] li").count() >= 1
        shot(dpo, "reminders", width)
        dpo.goto(f"{agency}/reminders?state=failed")
        assert "pieter.de.vries@police.example" in dpo.locator("table.emails").inner_text()
        dpo.context.close()
        auditor = signed_in(browser, agency, people["auditor"], width)
        auditor.goto(f"{agency}/audit")
        assert "Chain verified" in auditor.locator(".chain").inner_text()
        auditor.locator("table.audit details summary").first.click()
        shot(auditor, "audit", width)
        auditor.context.close()
