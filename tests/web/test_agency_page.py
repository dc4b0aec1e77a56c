"""The agency's settings page: administrators set the name, logo and contacts every page shows."""

from __future__ import annotations

import io
import re

import pytest

from tests import sample_files
from tests.test_agency import VALUES, png
from tests.web.conftest import csrf_token
from tracker import agency
from tracker.models import AuditEvent


def _save(client, logo: tuple[bytes, str] | None = None, **changes):
    data = {**VALUES, **changes, "csrf_token": csrf_token(client, "/agency")}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return client.post("/agency", data=data, content_type="multipart/form-data")


def _error(html: str, field: str) -> str:
    return re.search(rf'id="{field}-error" role="alert">(.*?)</p>', html, re.S)[1].strip()


@pytest.mark.parametrize("role", ["legal", "dpo", "auditor", "viewer"])
def test_only_administrators_reach_the_agency_settings(sign_in_as, role):
    client = sign_in_as(role)
    assert client.get("/agency").status_code == 403
    response = client.post("/agency", data={**VALUES, "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 403 and agency.current().name == ""
    assert 'href="/agency"' not in client.get("/account").text


def test_saved_settings_head_every_page_and_are_audited(sign_in_as, settings):
    admin = sign_in_as("admin")
    assert admin.get("/agency").status_code == 200
    response = _save(admin, logo=(png(), "crest.png"))
    assert response.status_code == 302
    assert not any((settings.evidence_dir / "tmp").iterdir())  # the upload left nothing behind
    current = agency.current()
    assert (current.name, current.dpo_contact, current.has_logo) == (
        "Federal Police",
        "dpo@police.example",
        True,
    )
    page = sign_in_as("viewer").get("/portfolio").text
    assert "Federal Police</a>" in page and 'src="/agency/logo"' in page
    assert "mailto:dpo@police.example" in page
    logo = admin.get("/agency/logo")
    assert logo.data == png() and logo.mimetype == "image/png"
    settings = admin.get("/agency").text
    assert 'alt="The current logo"' in settings and "Remove the logo" in settings
    assert VALUES["complaints"] in settings
    event = AuditEvent.select().where(AuditEvent.action == "agency.updated").get()
    assert event.actor == "admin.web" and event.after["logo"] == "image/png"


def test_refused_fields_are_explained_beside_them_and_nothing_is_saved(sign_in_as):
    admin = sign_in_as("admin")
    response = _save(admin, name="n" * 201, dpo_contact="the DPO's office")
    assert response.status_code == 422
    assert _error(response.text, "name") == "At most 200 characters."
    assert _error(response.text, "dpo_contact") == "Give the DPO&#39;s e-mail address."
    assert 'value="the DPO&#39;s office"' in response.text  # what was typed stays
    assert (
        agency.current().name == ""
        and AuditEvent.select().where(AuditEvent.action == "agency.updated").count() == 0
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (sample_files.pdf(), "Use a PNG, JPEG, WebP or SVG image."),
        (sample_files.svg(), "This SVG contains scripts"),
        (png() + b"\0" * agency.MAX_LOGO_BYTES, "At most 256 KB."),
        (b"", "The file is empty."),
    ],
)
def test_a_refused_logo_is_explained_and_the_old_one_kept(sign_in_as, content, message):
    admin = sign_in_as("admin")
    assert _save(admin, logo=(png(), "crest.png")).status_code == 302
    response = _save(admin, logo=(content, "logo.png"), name="Renamed")
    assert response.status_code == 422
    assert _error(response.text, "logo").startswith(message)
    assert agency.logo() == (png(), "image/png") and agency.current().name == "Federal Police"


def test_a_plain_svg_logo_is_served_as_an_image_that_cannot_run(sign_in_as):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'
    admin = sign_in_as("admin")
    assert _save(admin, logo=(svg, "crest.svg")).status_code == 302
    served = admin.get("/agency/logo")
    assert served.mimetype == "image/svg+xml"
    assert served.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_logo_can_be_removed(sign_in_as):
    admin = sign_in_as("admin")
    _save(admin, logo=(png(), "crest.png"))
    response = _save(admin, remove_logo="yes")
    assert response.status_code == 302
    assert agency.logo() is None and admin.get("/agency/logo").status_code == 404
    assert "No logo yet." in admin.get("/agency").text
