"""The CSV file behind an import page: uploaded for the dry run, carried to the commit.

The dry-run page hands the checked file back in a hidden field (base64), so "Import" writes
exactly the file that was checked, without the person choosing it again and without keeping
uploads on the server; the commit judges it again before writing anything.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tracker.i18n import gettext as _
from tracker.imports.csvfile import MAX_BYTES


class NoFile(ValueError):
    """No file was chosen, or the carried one is damaged; the message says which."""


def read(form: Any, files: Any, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """The file's bytes and name: the carried content when the form has it, else the
    upload. At most one byte over ``max_bytes`` is read, enough for the limit's message."""
    carried = form.get("content", "")
    if carried:
        try:
            return base64.b64decode(carried, validate=True), form.get("filename", "")
        except (binascii.Error, ValueError):
            raise NoFile(_("The checked file did not come back whole; choose it again.")) from None
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise NoFile(_("Choose a CSV file to check."))
    stream = upload.stream
    if hasattr(stream, "path"):  # streamed into the evidence store's temporary area (write-only)
        stream.flush()
        with open(stream.path, "rb") as received:
            return received.read(max_bytes + 1), upload.filename
    return stream.read(max_bytes + 1), upload.filename


def carry(data: bytes) -> str:
    """The file as the hidden field of the commit form."""
    return base64.b64encode(data).decode("ascii")
