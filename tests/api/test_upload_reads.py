"""Multipart bodies parsed in larger reads (tracker.app.UploadFormParser): files of several
reads arrive whole, with their boundary anywhere, and a form field still may not exceed the
form-memory limit."""

import hashlib
import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tracker.app import UPLOAD_READ_BYTES, StreamingUploadRequest, UploadFormParser


def text_of(size: int) -> bytes:
    line = b"Evidence text, readable and plain, line after line.\n"
    return (line * (size // len(line) + 1))[:size]


def post(client, headers, content: bytes, **fields):
    """POST /api/evidence with one text file, the body built here in memory (the test client
    would spool a large one to a temporary file and leave it open)."""
    form = MultiDict({"kind": "record", "title": "Notes", "agency_wide": "true", **fields})
    form.add("files", FileStorage(io.BytesIO(content), "notes.txt", content_type="text/plain"))
    boundary, body = encode_multipart(form)
    return client.post(
        "/api/evidence",
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_uploads_are_parsed_by_the_larger_reads():
    assert StreamingUploadRequest.form_data_parser_class is UploadFormParser
    assert UPLOAD_READ_BYTES > 64 * 1024


@pytest.mark.parametrize("size", [UPLOAD_READ_BYTES - 3, UPLOAD_READ_BYTES + 1, 3_000_001])
def test_a_file_of_several_reads_arrives_whole(client, auth, size):
    content = text_of(size)
    created = post(client, auth("legal"), content)
    assert created.status_code == 201, created.json
    stored = created.json["files"][0]
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["size"] == size


def test_a_form_field_over_the_memory_limit_is_still_refused(client, auth, app):
    limit = app.config.get("MAX_FORM_MEMORY_SIZE") or 500_000
    refused = post(client, auth("legal"), text_of(1000), description="x" * (limit + 1))
    assert refused.status_code == 413
