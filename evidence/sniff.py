"""File type detection from content (libmagic), against the allow-list of evidence formats.

The client's filename and declared Content-Type are never trusted: the type
comes from the bytes. Formats that can carry active content (HTML, SVG,
archives, executables, macro-enabled office files) are refused, and office
files are opened to look for what libmagic cannot see: macros, embedded
programs and OLE objects. A name is only a label, but it must not claim another
type than the content's (the operating system of whoever downloads it trusts
the name), and a file is always downloaded under a name ending with an
extension of its detected type.
"""

from __future__ import annotations

import io
import mimetypes
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

import magic
import olefile

ALLOWED_MEDIA_TYPES = {
    "application/pdf": "PDF document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/msword": "Word 97-2003 document",
    "application/vnd.ms-excel": "Excel 97-2003 workbook",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/tiff": "TIFF image",
    "image/webp": "WebP image",
    "text/plain": "plain text",
    "text/csv": "CSV",
    "message/rfc822": "e-mail message",
}

# The extensions a name may end with for each accepted type, the first being the one added to a
# name that has none of them. Only document extensions: templates and slide shows (.dot, .pps)
# open differently and are not among them. Plain text and CSV may wear each other's names.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.ms-powerpoint": (".ppt",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/tiff": (".tif", ".tiff"),
    "image/webp": (".webp",),
    "text/plain": (".txt", ".text", ".log", ".md", ".csv", ".tsv"),
    "text/csv": (".csv", ".txt", ".tsv"),
    "message/rfc822": (".eml",),
}

# Extensions a name must never end with unless the content is of that type: what runs or renders
# active content when opened. Python's built-in table (never the host's) adds the rest.
ACTIVE_EXTENSIONS = {
    ".js": "JavaScript",
    ".jse": "JScript (encoded)",
    ".mjs": "JavaScript",
    ".vbs": "VBScript",
    ".vbe": "VBScript (encoded)",
    ".wsf": "Windows Script File",
    ".wsh": "Windows Script Host settings",
    ".ps1": "PowerShell script",
    ".psm1": "PowerShell module",
    ".bat": "Windows batch file",
    ".cmd": "Windows command script",
    ".com": "DOS program",
    ".exe": "Windows program",
    ".dll": "Windows library",
    ".scr": "Windows screen saver (a program)",
    ".cpl": "Control Panel item (a program)",
    ".msi": "Windows installer",
    ".msp": "Windows installer patch",
    ".hta": "HTML application",
    ".lnk": "Windows shortcut",
    ".jar": "Java archive",
    ".reg": "Windows registry file",
    ".sh": "shell script",
    ".html": "HTML",
    ".htm": "HTML",
    ".xhtml": "XHTML",
    ".mht": "web archive (HTML)",
    ".mhtml": "web archive (HTML)",
    ".svg": "SVG image (may run scripts)",
    ".docm": "macro-enabled Word document",
    ".dotm": "macro-enabled Word template",
    ".xlsm": "macro-enabled Excel workbook",
    ".xltm": "macro-enabled Excel template",
    ".xlam": "Excel add-in",
    ".pptm": "macro-enabled PowerPoint presentation",
    ".potm": "macro-enabled PowerPoint template",
    ".ppsm": "macro-enabled PowerPoint show",
    ".ppam": "PowerPoint add-in",
    ".iso": "disk image",
    ".zip": "ZIP archive",
}

# Parts of an office file that are programs or scripts, whatever their content looks like.
PROGRAM_EXTENSIONS = frozenset(
    [
        ".bat",
        ".cmd",
        ".com",
        ".cpl",
        ".dll",
        ".exe",
        ".hta",
        ".jar",
        ".js",
        ".jse",
        ".lnk",
        ".mjs",
        ".msi",
        ".msp",
        ".ps1",
        ".psm1",
        ".reg",
        ".scr",
        ".sh",
        ".vbe",
        ".vbs",
        ".wsf",
        ".wsh",
    ]
)

_BUILTIN_TYPES = mimetypes.MimeTypes()  # Python's own table: the same on every host

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EXECUTABLE_MAGIC = (
    b"MZ",  # Windows programs and libraries (.exe, .dll, .scr, .cpl)
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O, both byte orders and widths, and universal binaries
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut (.lnk)
)
OOXML_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
# Content types that mean code: VBA projects, macro-enabled main parts, Excel 4.0 macro sheets,
# ActiveX controls.
MACRO_CONTENT_TYPES = re.compile(
    rb"macroEnabled|vbaProject|vbaData|ms-excel\.(?:intl)?macrosheet|ms-office\.activeX", re.I
)
MACRO_PART = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml)$|^xl/(intl)?macrosheets/|/activeX/", re.I
)
# LibreOffice keeps macro modules (Basic, or scripts in other languages) in these folders.
ODF_MACRO_PART = re.compile(r"^(Basic|Scripts)/.+", re.I)
ODF_LIBRARY_INDEX = {"script-lc.xml", "script-lb.xml", "dialog-lc.xml", "dialog-lb.xml"}
MAX_NESTING = 3
MAX_NESTED_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_CONTENT_TYPES_BYTES = 4 * 1024 * 1024


class DisallowedType(ValueError):
    def __init__(self, media_type: str) -> None:
        super().__init__(
            f"content is {media_type}, which is not an accepted evidence format "
            "(accepted: PDF, office documents, images, plain text, CSV, e-mail messages)"
        )
        self.media_type = media_type


class MisnamedFile(ValueError):
    """The name's extension claims another type than the content's."""

    def __init__(self, extension: str, claimed: str, media_type: str) -> None:
        self.extension = extension
        self.claimed = claimed
        self.media_type = media_type
        self.detected = ALLOWED_MEDIA_TYPES.get(media_type, media_type)
        super().__init__(
            f"the name says {claimed} ({extension}) but the content is {self.detected}"
        )


class DangerousContent(ValueError):
    """An accepted container that carries code: macros, programs, OLE objects.

    ``kind`` is one of ``macros``, ``executable``, ``ole_object``, ``uninspectable``;
    ``where`` names the part inside the container.
    """

    MESSAGES = {
        "macros": "it contains macros ({where})",
        "executable": "it contains an executable file ({where})",
        "ole_object": "it contains an embedded OLE object ({where})",
        "uninspectable": "it cannot be checked for macros and embedded programs ({where})",
    }

    def __init__(self, kind: str, where: str, media_type: str) -> None:
        self.kind = kind
        self.where = where
        self.media_type = media_type
        super().__init__(self.MESSAGES[kind].format(where=where))


def detect(path: Path | str) -> str:
    """The media type of the file's content."""
    return magic.from_file(str(path), mime=True)


def check_allowed(path: Path | str) -> str:
    """The media type of an accepted file; raise DisallowedType otherwise."""
    media_type = detect(path)
    if media_type not in ALLOWED_MEDIA_TYPES:
        raise DisallowedType(media_type)
    return media_type


def extension(name: str) -> str:
    """The name's extension, lower case, as the operating system reads it (Windows ignores
    trailing dots and spaces); empty when there is none."""
    suffix = PurePosixPath(name.rstrip(" .")).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,15}", suffix) else ""


def claimed_type(ext: str) -> str | None:
    """What a name ending with ``ext`` says the file is, or None for an extension that
    says nothing (unknown, or none)."""
    if not ext:
        return None
    if ext in ACTIVE_EXTENSIONS:
        return ACTIVE_EXTENSIONS[ext]
    for media_type, extensions in EXTENSIONS.items():
        if ext in extensions:
            return ALLOWED_MEDIA_TYPES[media_type]
    guessed, _encoding = _BUILTIN_TYPES.guess_type(f"x{ext}", strict=False)
    return guessed


def check_name(name: str, media_type: str) -> None:
    """Raise MisnamedFile when ``name`` claims another type than ``media_type``."""
    ext = extension(name)
    if ext in EXTENSIONS.get(media_type, ()):
        return
    claimed = claimed_type(ext)
    if claimed is not None:
        raise MisnamedFile(ext, claimed, media_type)


def download_name(name: str, media_type: str) -> str:
    """``name`` as a file is downloaded: ending with an extension of its detected type."""
    allowed = EXTENSIONS.get(media_type)
    if not allowed:  # a type stored before it was refused: nothing a system would open it with
        allowed = (".bin",)
    base = name.rstrip(" .") or "file"
    if extension(base) in allowed:
        return base
    return base + allowed[0]


def check_container(path: Path | str, media_type: str) -> None:
    """Raise DangerousContent when an office file carries macros, programs or OLE objects."""
    if media_type == "application/vnd.ms-powerpoint":
        # PowerPoint 97-2003 keeps its VBA and embedded objects compressed inside its main
        # stream, where no directory shows them: it is refused rather than guessed at.
        raise DangerousContent("uninspectable", "PowerPoint 97-2003 format", media_type)
    try:
        if media_type in OOXML_TYPES or media_type in ODF_TYPES:
            with zipfile.ZipFile(path) as archive:
                _check_zip(archive, media_type, prefix="", depth=0)
        elif media_type in ("application/msword", "application/vnd.ms-excel"):
            _check_ole2(path, media_type)
    except DangerousContent:
        raise
    except Exception:  # damaged, encrypted, truncated: what cannot be read
        # cannot be cleared, whatever the parser's complaint
        raise DangerousContent(
            "uninspectable", "damaged or encrypted container", media_type
        ) from None


def check_upload(path: Path | str, name: str) -> str:
    """Every check on an uploaded file: accepted type, safe container, honest name.

    Returns the detected media type; raises DisallowedType, DangerousContent or MisnamedFile.
    """
    media_type = check_allowed(path)
    check_container(path, media_type)
    check_name(name, media_type)
    return media_type


def _entries(archive: zipfile.ZipFile, media_type: str) -> Iterator[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise DangerousContent("uninspectable", f"{len(infos)} parts", media_type)
    yield from (info for info in infos if not info.is_dir())


def _check_zip(archive: zipfile.ZipFile, media_type: str, prefix: str, depth: int) -> None:
    names = {info.filename for info in archive.infolist()}
    if "[Content_Types].xml" in names:
        with archive.open("[Content_Types].xml") as handle:
            declared = handle.read(MAX_CONTENT_TYPES_BYTES)
        if found := MACRO_CONTENT_TYPES.search(declared):
            where = f"{prefix}[Content_Types].xml: {found.group().decode(errors='replace')}"
            raise DangerousContent("macros", where, media_type)
    for info in _entries(archive, media_type):
        where = prefix + info.filename
        if MACRO_PART.search(info.filename):
            raise DangerousContent("macros", where, media_type)
        if ODF_MACRO_PART.match(info.filename) and (
            PurePosixPath(info.filename).name.lower() not in ODF_LIBRARY_INDEX
        ):
            raise DangerousContent("macros", where, media_type)
        if extension(info.filename) in PROGRAM_EXTENSIONS:
            raise DangerousContent("executable", where, media_type)
        with archive.open(info) as handle:
            head = handle.read(8)
        _check_part(archive, info, head, where, media_type, depth)


def _check_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    head: bytes,
    where: str,
    media_type: str,
    depth: int,
) -> None:
    if head.startswith(EXECUTABLE_MAGIC):
        raise DangerousContent("executable", where, media_type)
    if head.startswith(OLE2_MAGIC):
        # vbaProject.bin is caught above by name; an OLE2 part elsewhere is an embedded object
        # (an OLE Package can wrap any program) or an ActiveX control.
        raise DangerousContent("ole_object", where, media_type)
    if head.startswith(ZIP_MAGIC):
        # An embedded document (a chart's workbook inside a Word file) is inspected in turn.
        if depth >= MAX_NESTING or info.file_size > MAX_NESTED_BYTES:
            raise DangerousContent("uninspectable", where, media_type)
        with archive.open(info) as handle:
            nested = io.BytesIO(handle.read(MAX_NESTED_BYTES + 1))
        with zipfile.ZipFile(nested) as inner:
            _check_zip(inner, media_type, prefix=f"{where}/", depth=depth + 1)


# Workbook stream records (BIFF8): a sheet's type says whether it is an Excel 4.0 macro sheet.
BIFF_BOUNDSHEET = 0x0085
BIFF_FILEPASS = 0x002F
BIFF_EOF = 0x000A
SHEET_TYPES_WITH_CODE = {0x01: "Excel 4.0 macro sheet", 0x06: "VBA module sheet"}
# VBA projects live in a "VBA" storage (Word: Macros/VBA, Excel: _VBA_PROJECT_CUR/VBA).
OLE_MACRO_PARTS = {"vba", "_vba_project_cur", "_vba_project"}
# An OLE Package (any file, a program included, wrapped as an object).
OLE_PACKAGE_STREAMS = {"\x01ole10native", "ole10native"}


def _check_ole2(path: Path | str, media_type: str) -> None:
    with olefile.OleFileIO(str(path)) as document:
        for parts in document.listdir(streams=True, storages=True):
            where = "/".join(parts)
            lowered = [part.lower() for part in parts]
            # Word may keep empty Macros and ObjectPool storages: only what is inside counts.
            if OLE_MACRO_PARTS.intersection(lowered) or (lowered[0] == "macros" and len(parts) > 1):
                raise DangerousContent("macros", where, media_type)
            if (
                OLE_PACKAGE_STREAMS.intersection(lowered)
                or (lowered[0] == "objectpool" and len(parts) > 1)
                or any(re.fullmatch(r"mbd[0-9a-f]{8}", part) for part in lowered)  # Excel's
            ):
                raise DangerousContent("ole_object", where, media_type)
        if media_type == "application/vnd.ms-excel":
            for stream in ("Workbook", "Book"):
                if document.exists(stream):
                    with document.openstream(stream) as handle:
                        _check_workbook_globals(handle, media_type)
                    break


def _check_workbook_globals(handle: IO[bytes], media_type: str) -> None:
    """Walk the workbook's global records up to their end, looking at each sheet's type."""
    while header := handle.read(4):
        if len(header) < 4:
            return
        record, length = struct.unpack("<HH", header)
        data = handle.read(length)
        if record == BIFF_FILEPASS:
            raise DangerousContent("uninspectable", "encrypted workbook", media_type)
        if record == BIFF_BOUNDSHEET and len(data) >= 6 and data[5] in SHEET_TYPES_WITH_CODE:
            raise DangerousContent("macros", SHEET_TYPES_WITH_CODE[data[5]], media_type)
        if record == BIFF_EOF:
            return
