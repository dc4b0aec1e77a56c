"""What an uploaded image really is, read from its bytes: the agency's logo from a page or a file.

The name and the type a browser declares are never trusted. An SVG logo is refused when it
carries script or embedded documents: it is served with a CSP that blocks them, but it also
travels in e-mails and PDFs, where nothing would.
"""

from __future__ import annotations

import re

import magic

from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _

SVG = "image/svg+xml"
_ACTIVE_SVG = re.compile(
    rb"<\s*(script|foreignobject|iframe|embed|object)\b|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def media_type(data: bytes) -> str:
    """The media type of ``data`` by its content (libmagic)."""
    return magic.from_buffer(data, mime=True)


def logo(data: bytes, field: str = "logo") -> tuple[bytes, str]:
    """``(data, media type)`` for :func:`tracker.agency.update`, or ValidationFailed on ``field``.

    Whether the type is one a logo may have is the agency's rule (``agency.LOGO_TYPES``);
    this only refuses what no rule should see: an empty file, an SVG that could run.
    """
    if not data:
        raise ValidationFailed({field: [_("The file is empty.")]})
    found = media_type(data)
    if found == SVG and _ACTIVE_SVG.search(data):
        raise ValidationFailed(
            {field: [_("This SVG contains scripts or embedded content: export a plain image.")]}
        )
    return data, found
