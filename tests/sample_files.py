"""Small real files of each accepted and refused type, made on the fly for upload tests."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from fpdf import FPDF


def pdf(text: str = "Data protection impact assessment") -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.multi_cell(0, 8, text)
    return bytes(document.output())


def docx(text: str = "Training certificate") -> bytes:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csv() -> bytes:
    return (
        b"operator,unit,completed_on\nA. Jansen,Forensics,2026-03-01\nB. Kovacs,Patrol,2026-03-02\n"
    )


def text() -> bytes:
    return b"Minutes of the oversight committee meeting.\nThe committee approved the pilot.\n"


def email() -> bytes:
    return (
        b"From: dpa@example.org\r\nTo: dpo@police.example\r\nSubject: Prior consultation\r\n"
        b"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <c1@example.org>\r\n\r\n"
        b"We acknowledge receipt of your consultation request.\r\n"
    )


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "x")
    return buffer.getvalue()


def executable() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00>\x00" + b"\x00" * 200
