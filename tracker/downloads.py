"""Serving an evidence file or an evidence pack over HTTP, for the API and the web pages alike.

A file is served only as verified against its SHA-256: from a folder store, checked whole
before the first byte; from an object store, checked as it streams, the last chunk held back
until the whole matches (a small file is checked whole first there too). A mismatch is
recorded in the audit trail and raised as :class:`evidence.IntegrityError`: before the
response starts, an error answer; during it, the connection is cut short of the last bytes, so
a client never holds the whole wrong file (and the Repr-Digest header lets it check). Its name always ends
with an extension of the type detected from its content, whatever name it was uploaded under
(older uploads included): what the downloader's system opens it with follows the content.
"""

from __future__ import annotations

import base64
import logging
from typing import Any, BinaryIO

from flask import Response, send_file

from evidence import EvidenceStore, IntegrityError
from evidence.s3 import VerifyingReader
from evidence.sniff import download_name
from tracker import audit, db
from tracker.config import Settings
from tracker.db import write_transaction
from tracker.models import EvidenceFile, Pack
from tracker.packs import records

log = logging.getLogger(__name__)


def _record_failure(failure: IntegrityError, actor: str, file_id: int) -> None:
    log.error("integrity failure on download: %s", failure)
    with write_transaction():
        audit.record(
            actor,
            "evidence_file.integrity_failure",
            "evidence_file",
            file_id,
            after={"sha256": failure.sha256, "problem": failure.problem},
        )


class _AuditedStream:
    """A download checked as it streams: a mismatch found after the response started (the
    request's connection is given back by then) is recorded on a connection of its own."""

    def __init__(self, handle: Any, actor: str, file_id: int) -> None:
        self._handle, self._actor, self._file_id = handle, actor, file_id

    def read(self, size: int = -1) -> bytes:
        try:
            return self._handle.read(size)
        except IntegrityError as failure:
            opened = db.database.is_closed()
            if opened:
                db.database.connect()
            try:
                _record_failure(failure, self._actor, self._file_id)
            finally:
                if opened:
                    db.database.close()
            raise

    def close(self) -> None:
        self._handle.close()


def verified_download(store: EvidenceStore, stored: EvidenceFile, actor: str) -> Response:
    try:
        handle: BinaryIO = store.open_verified(stored.sha256)
    except IntegrityError as failure:
        _record_failure(failure, actor, stored.id)
        raise
    if isinstance(handle, VerifyingReader):  # still to be verified as it streams
        handle = _AuditedStream(handle, actor, stored.id)  # type: ignore[assignment]
    response = send_file(
        handle,
        mimetype=stored.blob.media_type,
        as_attachment=True,
        download_name=download_name(stored.display_name, stored.blob.media_type),
        conditional=False,
        etag=False,
    )
    response.content_length = stored.blob.size
    digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def pack_download(pack: Pack, settings: Settings) -> Response | None:
    """A ready pack's zip, answering range requests (an interrupted download resumes) and
    conditional ones; None when its file is no longer kept."""
    path = records.path_of(pack, settings)
    if not pack.file_name or not path.is_file():
        return None
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=pack.file_name,
        conditional=True,
        etag=pack.sha256,
    )
    digest = base64.b64encode(bytes.fromhex(pack.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    return response
