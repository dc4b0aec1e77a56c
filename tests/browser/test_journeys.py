"""What legal teams, DPOs and the public do, in a real browser against a real HTTP server."""

from __future__ import annotations

import re

import pytest

from tests import sample_files
from tests.browser.checks import sign_in
from tracker.models import AISystem


@pytest.fixture
def agency(settings, people, live_server, demo_agency):
    return live_server


def test_upload_with_progress_then_accept_as_dpo(page, agency, people, screenshot, tmp_path):
    base = agency
    chatbot = AISystem.get(AISystem.name == "Crime report chatbot").id
    sign_in(page, base, people["legal"])
    screenshot("portfolio")
    files = []
    for name in ("screening.pdf", "annex.pdf"):
        path = tmp_path / name
        path.write_bytes(sample_files.pdf(name))
        files.append(str(path))
    page.goto(
        f"{base}/evidence/new?system_id={chatbot}&requirement_id=eu-ai-act.prohibited_practices_screen"
    )
    page.get_by_label("Files").set_input_files(files)
    page.get_by_label("Kind").select_option("record")
    page.get_by_label("Title").fill("Prohibited-practices screening of the chatbot")
    screenshot("upload")
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Upload complete").wait_for()
    assert page.locator("#progress").evaluate("p => p.value") == 100
    page.wait_for_url(re.compile(r".*/evidence/\d+$"))
    screenshot("evidence-detail")
    evidence_url = page.url
    assert "Not reviewed yet" in page.content()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, people["dpo"])
    page.goto(f"{base}/systems/{chatbot}")
    row = page.locator(
        "tr", has=page.locator("code", has_text="eu-ai-act.prohibited_practices_screen")
    )
    assert "pending review" in row.inner_text()
    page.goto(f"{base}/reviews")
    screenshot("review-queue")
    page.goto(evidence_url)
    page.get_by_role("button", name="Accept").click()
    page.goto(f"{base}/systems/{chatbot}")
    assert "satisfied" in row.locator(".status").first.inner_text()
    screenshot("system")


def test_field_errors_appear_beside_their_fields_then_the_upload_succeeds(
    page, agency, people, tmp_path
):
    base = agency
    sign_in(page, base, people["legal"])
    page.goto(f"{base}/evidence/new")
    path = tmp_path / "big.pdf"
    path.write_bytes(sample_files.pdf("x " * 200_000))
    page.get_by_label("Files").set_input_files(str(path))
    page.get_by_label("Kind").select_option("training_certificate")
    page.get_by_label("Title").fill("Facial examiner course")
    page.get_by_role("button", name="Upload").click()  # no certified person, no system: refused
    page.locator("#certified_person-error").wait_for()
    assert page.locator("#system_ids-error").is_visible()
    assert page.get_by_label("Certified person").get_attribute("aria-invalid") == "true"
    assert "Nothing was uploaded" in page.locator("#form-status").inner_text()
    assert page.locator("#progress").is_hidden()
    page.get_by_label("Kind").select_option("policy")
    page.get_by_label("Title").fill("Acceptable-use policy")
    page.get_by_label("Agency-wide").check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r".*/evidence/\d+$"))
    assert "Acceptable-use policy" in page.content()


def test_a_post_without_its_csrf_token_is_refused(page, agency, people):
    base = agency
    sign_in(page, base, people["dpo"])
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', body: new URLSearchParams({decision: 'accepted'})})).status""",
        f"{base}/evidence/1/review",
    )
    assert status == 400


def test_the_public_register_shows_public_fields_and_none_of_the_restricted_ones(
    page, agency, screenshot
):
    base = agency
    live = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    page.goto(f"{base}/public")
    screenshot("public-register")
    page.get_by_role("link", name=live.name).click()
    text = page.locator("main").inner_text()
    screenshot("public-entry")
    assert live.purpose in text
    for restricted in [*live.units_with_access, live.vendor, *(c["email"] for c in live.contacts)]:
        assert restricted not in text
    assert "Risk level" not in text


def test_pages_work_at_phone_width(browser, agency, people):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page, agency, people["viewer"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380  # wide tables scroll inside their own box
    context.close()
