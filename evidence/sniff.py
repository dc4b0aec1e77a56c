"""File type detection from content (libmagic), against the allow-list of evidence formats.

The client's filename and declared Content-Type are never trusted: the type
comes from the bytes. Formats that can carry active content (HTML, SVG,
archives, executables, macro-enabled office files) are refused.
"""

from __future__ import annotations

from pathlib import Path

import magic

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


class DisallowedType(ValueError):
    def __init__(self, media_type: str) -> None:
        super().__init__(
            f"content is {media_type}, which is not an accepted evidence format "
            "(accepted: PDF, office documents, images, plain text, CSV, e-mail messages)"
        )
        self.media_type = media_type


def detect(path: Path | str) -> str:
    """The media type of the file's content."""
    return magic.from_file(str(path), mime=True)


def check_allowed(path: Path | str) -> str:
    """The media type of an accepted file; raise DisallowedType otherwise."""
    media_type = detect(path)
    if media_type not in ALLOWED_MEDIA_TYPES:
        raise DisallowedType(media_type)
    return media_type
