"""The public statement of one register entry as a PDF: what the register page shows, with the
agency's name, logo and contacts, in the current language (tracker.i18n).

Used by the register's download link and when a system's statement is filed as evidence.
Plain Python with fpdf2's core fonts (Latin-1: a character outside it prints as "?").
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from fpdf import FPDF

from tracker import i18n
from tracker.agency import Agency
from tracker.i18n import gettext as _
from tracker.publication import (
    FIELD_VOCABULARIES,
    PUBLIC_FIELDS,
    Entry,
    PublishedEvidence,
    vocabulary_of,
)

# Logos the PDF can embed; an SVG or WebP logo is left out of the PDF (still on the pages).
PDF_LOGO_TYPES = ("image/png", "image/jpeg")
LOGO_HEIGHT_MM = 16


def _latin(text: Any) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def country_name(code: str) -> str:
    """A country's name in the current language ("BE" -> "Belgium", "Belgique")."""
    return i18n.locale().territories.get(code, code)


def value_text(name: str, value: Any) -> str:
    """A public field's value as words in the current language."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in FIELD_VOCABULARIES:
        labels = vocabulary_of(name)
        words = [_(labels[v]) if v in labels else str(v) for v in _as_list(value)]
    elif name == "countries":
        words = [country_name(v) for v in value]
    else:
        words = [str(v) for v in _as_list(value)]
    if isinstance(value, list):
        return "\n".join(f"- {w}" for w in words) if words else _("None")
    return words[0] if words and words[0] else "-"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def evidence_text(item: PublishedEvidence) -> str:
    if item.issuer:
        return _(
            "%(title)s (%(issuer)s), accepted on %(day)s",
            title=item.title,
            issuer=item.issuer,
            day=i18n.format_day(item.accepted_on),
        )
    return _(
        "%(title)s, accepted on %(day)s", title=item.title, day=i18n.format_day(item.accepted_on)
    )


class _Statement:
    def __init__(self) -> None:
        self.pdf = FPDF()
        self.pdf.set_title(_("Public statement"))
        self.pdf.add_page()

    def text(self, text: str, size: int = 11, bold: bool = False, gap: float = 0) -> None:
        if gap:
            self.pdf.ln(gap)
        self.pdf.set_font("helvetica", "B" if bold else "", size)
        self.pdf.multi_cell(0, size * 0.55, _latin(text), new_x="LMARGIN", new_y="NEXT")

    def section(self, heading: str, body: str) -> None:
        self.text(heading, bold=True, gap=2)
        self.text(body)

    def logo(self, logo: tuple[bytes, str] | None) -> None:
        if logo is None or logo[1] not in PDF_LOGO_TYPES:
            return
        try:
            self.pdf.image(io.BytesIO(logo[0]), h=LOGO_HEIGHT_MM)
        except Exception:  # an unreadable logo must not stop the statement
            return
        self.pdf.ln(2)


def statement_pdf(
    item: Entry,
    agency: Agency | None = None,
    logo: tuple[bytes, str] | None = None,
    today: date | None = None,
) -> bytes:
    """The register entry as a PDF statement, as the public sees it."""
    agency = agency or Agency()
    doc = _Statement()
    doc.logo(logo)
    if agency.name:
        doc.text(agency.name, size=12, bold=True)
    doc.text(_("Public statement: %(name)s", name=item.title), size=15, bold=True, gap=1)
    doc.text(
        _(
            "From the public register of AI systems, as on %(today)s. Entry last updated "
            "%(updated)s.",
            today=i18n.format_day(today or date.today()),
            updated=i18n.format_day(item.last_updated) or "-",
        ),
        size=10,
    )
    for name, value in item.fields.items():
        doc.section(_(PUBLIC_FIELDS[name]), value_text(name, value))
    if item.first_in_use is not None:
        doc.section(_("In use since"), i18n.format_day(item.first_in_use))
    for heading, published in (
        (_("Results of audits and evaluations"), item.results),
        (_("Impact assessments"), item.assessments),
    ):
        lines = [f"- {evidence_text(e)}" for e in published]
        doc.section(heading, "\n".join(lines) or _("None published"))
    doc.text(_("Questions and complaints"), size=13, bold=True, gap=5)
    if agency.contact:
        doc.section(_("Contact"), agency.contact)
    if agency.complaints:
        doc.section(_("How to complain"), agency.complaints)
    if agency.dpo_contact:
        doc.section(_("Data protection officer"), agency.dpo_contact)
    doc.text(
        _(
            "You may also lodge a complaint with the data protection supervisory authority "
            "if you think your personal data is handled unlawfully."
        ),
        size=10,
        gap=2,
    )
    return bytes(doc.pdf.output())
