"""The files behind the demo's evidence: small real PDFs, e-mails and CSV registers.

Each file names the agency, its issuer and its date, so two documents never share content
(the evidence store keeps one copy of identical files) and a file opened from the demo reads
like the document its title promises.
"""

from __future__ import annotations

import hashlib
import textwrap
from datetime import UTC, date, datetime, time

from fpdf import FPDF

AGENCY_NAME = "Zone de police Nordville (demonstration)"


def pdf(title: str, issuer: str, issued: date, *paragraphs: str) -> bytes:
    """A one-page PDF. Lines are placed with ``text`` and wrapped here: fpdf's own line
    breaking costs several milliseconds a document, and the demo makes about a hundred."""
    document = FPDF()
    document.set_creation_date(datetime.combine(issued, time(9), tzinfo=UTC))  # when it was made
    document.add_page()
    y = 25.0

    def lines(text: str, size: int, style: str = "", width: int = 90, step: float = 6) -> None:
        nonlocal y
        document.set_font("helvetica", style, size)
        for line in textwrap.wrap(latin(text), width):
            document.text(20, y, line)
            y += step
        y += step / 2

    lines(title, 15, "B", width=60, step=8)
    lines(" - ".join(part for part in (AGENCY_NAME, issuer, f"{issued:%d %B %Y}") if part), 10)
    for paragraph in paragraphs:
        lines(paragraph, 11)
    return bytes(document.output())


def email(subject: str, body: str, sender: str, sent: date) -> bytes:
    digest = hashlib.sha256(f"{subject}{sent}".encode()).hexdigest()[:16]
    return (
        f"From: {sender}\r\nTo: DPO <dpo@police.example>\r\n"
        f"Subject: {subject}\r\nDate: {sent:%a, %d %b %Y} 09:30:00 +0000\r\n"
        f"Message-ID: <{digest}@demo.example>\r\n\r\n{body}\r\n"
    ).encode()


def csv(header: str, *rows: str) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def latin(text: str) -> str:
    """The core PDF fonts cover Latin-1 only: dashes and quotes become their plain forms."""
    replaced = text.replace("\u2014", "-").replace("\u2013", "-").replace("\u2019", "'")
    return replaced.encode("latin-1", "replace").decode("latin-1")
