"""The whole workspace in one story, in a real browser, in English and in French.

An administrator creates a legal officer; the legal officer registers a new system (published,
with its purpose public and its personal-data handling internal), adds two operators and uploads
evidence for it; the reminder sweep e-mails the DPO over real SMTP; the DPO follows the e-mail's
link, accepts the evidence and sees the portfolio change; the public sees the published fields
only. Every step finds its controls by id or by the form they belong to, so the same journey runs
in both languages, and the pages are checked to be in the user's language.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests import sample_files
from tests.browser.checks import sign_in
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import DEPLOYMENT
from tests.reminders.conftest import SmtpServer
from tests.web.conftest import PASSWORD
from tracker.models import AISystem, Evidence, EvidenceReview, Operator, User
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences

WORDS = {  # a few words each language's pages must show
    "en": {"portfolio": "Where to act", "accepted": "accepted by"},
    "fr": {"portfolio": "Où agir", "accepted": "acceptée par"},
}
REQUIREMENT = "eu-ai-act.prohibited_practices_screen"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def submit(page, form: str) -> None:
    page.locator(f"{form} button[type=submit]").first.click()


def deliver_reminders(settings, base: str) -> dict[str, str]:
    """Run the daily sweep and deliver over a real SMTP server: {recipient: text part}."""
    server = SmtpServer()
    server.start()
    try:
        sending = settings.with_overrides(
            smtp_host="127.0.0.1", smtp_port=server.port, base_url=base
        )
        sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), sending)
        deliver(ledger.messages(load_preferences()), sending, final_attempt=True)
    finally:
        server.stop()
    return {
        address: server.mailbox.text(server.mailbox.to(address)[0])
        for address in ("dpo@police.example",)
        if server.mailbox.to(address)
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_from_registration_to_accepted_evidence_and_the_public_register(
    browser, people, settings, live_server, tmp_path, language
):
    base = live_server
    User.update(language=language).where(User.username == people["dpo"]).execute()
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # An administrator creates the legal officer, who works in the same language.
    sign_in(page, base, people["admin"], "/users")
    page.locator("#username").fill("l.martin")
    page.locator("#full_name").fill("Lea Martin")
    page.locator("#email").fill("l.martin@police.example")
    page.locator("#password").fill(PASSWORD)
    page.locator("#new-role-legal").check()
    submit(page, "form:has(#new-role-legal)")
    page.wait_for_url(re.compile(r".*/users/\d+.*"))
    assert User.get(User.username == "l.martin").role == "legal"
    assert page.locator("html").get_attribute("lang") == language
    page.context.clear_cookies()

    # The legal officer registers a system: published, its purpose public, its data handling not.
    sign_in(page, base, "l.martin", "/systems/new")
    page.locator("#name").fill("Licence plate reader")
    page.locator("#purpose").fill("Reads licence plates at motorway gantries.")
    page.locator("#personal_data_handling").fill("Plates kept 30 days in the vault V-17.")
    page.locator("#development_approach").select_option("off_the_shelf")
    page.locator("#lifecycle_stage").select_option("testing")
    page.locator("#purpose_type").select_option("law_enforcement")
    page.locator("#risk_level").select_option("high")
    page.locator("#processes_personal_data").check()
    page.locator("input[name=ai_act_roles][value=deployer]").check()
    page.locator("#published").check()
    page.locator("#level_purpose").select_option("public")
    page.locator("#level_personal_data_handling").select_option("internal")
    shot(page, f"journey-{language}-register")
    submit(page, "form:has(#name)")
    page.wait_for_url(re.compile(r".*/systems/\d+$"))
    system = AISystem.get(AISystem.name == "Licence plate reader")
    assert system.published

    # Two operators, with the day their authorisation starts.
    page.goto(f"{base}/systems/{system.id}/operators")
    for name, email in (("Ana Duarte", "ana@police.example"), ("Bo Lind", "bo@police.example")):
        page.locator("#name").fill(name)
        page.locator("#email").fill(email)
        page.locator("#unit").fill("Traffic")
        page.locator("#authorised_from").fill("2026-01-05")
        submit(page, "form:has(#authorised_from)")
        page.wait_for_url(re.compile(r".*/operators#current$"))
    assert Operator.select().where(Operator.system == system).count() == 2

    # Evidence for the new system: choose it, then the requirement, then the file.
    page.goto(f"{base}/evidence/new")
    page.locator(f"#system-{system.id}").check()
    page.locator(f'[id="req-{REQUIREMENT}"]').check()
    path = tmp_path / "screening.pdf"
    path.write_bytes(sample_files.pdf("Screening of the plate reader"))
    page.locator("#files").set_input_files(str(path))
    page.locator("#kind").select_option("record")
    page.locator("#title").fill("Prohibited-practices screening of the plate reader")
    shot(page, f"journey-{language}-upload")
    page.locator("#upload-form button[type=submit]:not([formmethod])").click()
    page.wait_for_url(re.compile(r".*/evidence/\d+$"))
    evidence = Evidence.get(Evidence.title.startswith("Prohibited-practices screening"))
    context.close()

    # The sweep e-mails the DPO about the new system; its link, signed out, goes through
    # sign-in to the system's page, where the uploaded evidence waits for a decision.
    mail = deliver_reminders(settings, base)["dpo@police.example"]
    link = re.search(re.escape(base) + rf"/systems/{system.id}\?requirement=\S+", mail)
    assert link, mail
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, people["dpo"])
    row = page.locator("tr", has=page.get_by_role("link", name="Licence plate reader"))
    pending_before = row.inner_text()
    assert WORDS[language]["portfolio"] in page.content()
    page.context.clear_cookies()
    page.goto(link.group(0))
    page.wait_for_url(re.compile(r".*/sign-in\?next=.*"))
    page.locator("#username").fill(people["dpo"])
    page.locator("#password").fill(PASSWORD)
    submit(page, "form:has(#password)")
    page.wait_for_url(link.group(0))
    page.get_by_role("link", name=evidence.title).first.click()
    page.wait_for_url(f"{base}/evidence/{evidence.id}")
    submit(page, "form.decision.accept")
    page.wait_for_url(re.compile(rf".*/evidence/{evidence.id}.*"))
    assert WORDS[language]["accepted"] in page.locator("ol.decisions").inner_text()
    assert EvidenceReview.get(EvidenceReview.evidence == evidence).decision == "accepted"
    shot(page, f"journey-{language}-accepted")
    page.goto(f"{base}/portfolio")
    assert row.inner_text() != pending_before  # the pending review is gone from the counts
    shot(page, f"journey-{language}-portfolio-after")
    context.close()

    # The public sees the published entry and its public fields only.
    context = browser.new_context(viewport={"width": 375, "height": 900}, locale=language)
    page = context.new_page()
    page.goto(f"{base}/register/{system.id}")
    text = page.locator("main").inner_text()
    assert "Reads licence plates at motorway gantries." in text
    assert "vault V-17" not in page.content()
    assert page.locator("html").get_attribute("lang") == language
    shot(page, f"journey-{language}-public")
    context.close()
