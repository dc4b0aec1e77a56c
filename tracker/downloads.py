"""Serving an evidence file or an evidence pack over HTTP, for the API and the web pages alike.

A file is served only after its content was verified against its SHA-256; a mismatch is
recorded in the audit trail and raised as :class:`evidence.IntegrityError`. Its name always ends
with an extension of the type detected from its content, whatever name it was uploaded under
(older uploads included): what the downloader's system opens it with follows the content.
"""

from __future__ import annotations

import base64
import logging

from flask import Response, send_file

from evidence import ContentStore, IntegrityError
from evidence.sniff import download_name
from tracker import audit
from tracker.config import Settings
from tracker.db import write_transaction
from tracker.models import EvidenceFile, Pack
from tracker.packs import records

log = logging.getLogger(__name__)


def verified_download(store: ContentStore, stored: EvidenceFile, actor: str) -> Response:
    try:
        handle = store.open_verified(stored.sha256)
    except IntegrityError as failure:
        log.error("integrity failure on download: %s", failure)
        with write_transaction():
            audit.record(
                actor,
                "evidence_file.integrity_failure",
                "evidence_file",
                stored.id,
                after={"sha256": failure.sha256, "problem": failure.problem},
            )
        raise
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
