"""The agency's profile in plain Python: what is stored, what is refused, what the trail says."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import sample_files
from tracker import agency, images
from tracker.errors import ValidationFailed
from tracker.models import AgencyProfile, AuditEvent

VALUES = {
    "name": "Federal Police",
    "dpo_contact": "dpo@police.example",
    "complaints": "Write to the Data Protection Authority, Rue de la Presse 35, Brussels.",
    "contact": "Rue Fritz Toussaint 47, 1050 Brussels",
}


def png(size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (31, 95, 191)).save(buffer, "PNG")
    return buffer.getvalue()


def test_before_anyone_sets_it_the_product_names_the_installation(migrated):
    current = agency.current()
    assert (current.name, current.has_logo, current.title) == ("", False, agency.PRODUCT_NAME)
    assert agency.logo() is None


def test_update_stores_one_profile_trimmed_and_audits_the_change(migrated):
    agency.update(dict(VALUES, name="  Federal Police  "), "admin.one")
    current = agency.update(dict(VALUES, contact="Call 101"), "admin.two")
    assert (current.name, current.contact, current.title) == (
        "Federal Police",
        "Call 101",
        "Federal Police",
    )
    assert AgencyProfile.select().count() == 1
    first, second = (
        AuditEvent.select().where(AuditEvent.action == "agency.updated").order_by(AuditEvent.id)
    )
    assert first.actor == "admin.one" and first.before == {}
    assert second.before["contact"] == VALUES["contact"] and second.after["contact"] == "Call 101"


def test_every_bad_field_is_named_and_nothing_is_stored(migrated):
    agency.update(VALUES, "admin")
    with pytest.raises(ValidationFailed) as failed:
        agency.update(
            {
                "name": "n" * 201,
                "dpo_contact": "the DPO's office",
                "complaints": "c" * 2001,
                "contact": "k" * 2001,
            },
            "admin",
            logo=(sample_files.pdf(), "application/pdf"),
        )
    assert set(failed.value.errors) == {"name", "dpo_contact", "complaints", "contact", "logo"}
    assert "e-mail" in failed.value.errors["dpo_contact"][0]
    assert agency.current().name == "Federal Police"
    assert AuditEvent.select().where(AuditEvent.action == "agency.updated").count() == 1


def test_a_logo_is_stored_replaced_and_removed(migrated):
    agency.update(VALUES, "admin", logo=(png(), "image/png"))
    assert agency.current().has_logo and agency.logo() == (png(), "image/png")
    agency.update(VALUES, "admin")  # no new logo: the stored one stays
    assert agency.logo() == (png(), "image/png")
    agency.update(VALUES, "admin", remove_logo=True)
    assert not agency.current().has_logo and agency.logo() is None


def test_a_logo_larger_than_the_limit_is_refused(migrated):
    too_big = png() + b"\0" * agency.MAX_LOGO_BYTES
    with pytest.raises(ValidationFailed) as failed:
        agency.update(VALUES, "admin", logo=(too_big, "image/png"))
    assert failed.value.errors == {"logo": ["At most 256 KB."]}


def test_a_logo_is_typed_by_its_bytes_not_its_name():
    assert images.logo(png()) == (png(), "image/png")
    plain_svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'
    assert images.logo(plain_svg)[1] == "image/svg+xml"
    assert images.logo(sample_files.pdf())[1] == "application/pdf"  # agency.update refuses it


@pytest.mark.parametrize(
    "svg",
    [
        sample_files.svg(),  # <script>
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)">x</a></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
    ],
)
def test_an_svg_that_could_run_or_embed_a_document_is_refused(svg):
    with pytest.raises(ValidationFailed) as failed:
        images.logo(svg)
    assert "scripts" in failed.value.errors["logo"][0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as failed:
        images.logo(b"")
    assert failed.value.errors == {"logo": ["The file is empty."]}
