"""Which evidence store to use: an S3 bucket when a URL names one, else the local folder.

``TRACKER_EVIDENCE_URL=s3://bucket/prefix`` selects :class:`evidence.s3.S3Store` (endpoint,
region and credentials from the usual AWS variables, read by boto3); without it the
content-addressed folder ``TRACKER_EVIDENCE_DIR`` is the store. Both have the same interface.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Union

from evidence.s3 import S3Store
from evidence.store import ContentStore

if TYPE_CHECKING:
    from tracker.config import Settings

EvidenceStore = Union[ContentStore, S3Store]  # noqa: UP007 - an alias used at run time


def store_for(url: str, folder: Path | str, live_hours: float = 24) -> EvidenceStore:
    """The store at ``url``: ``s3://bucket/prefix``, ``file:///path`` or a folder path; an empty
    URL means the folder ``folder``. An S3 store spools uploads in flight under ``folder/tmp``."""
    if url.startswith("s3://"):
        return S3Store(url, Path(folder) / "tmp", live_hours=live_hours)
    if url.startswith("file://"):
        return ContentStore(Path(url[len("file://") :]))
    if "://" in url:
        raise ValueError(f"not an s3://bucket/prefix URL or a folder: {url!r}")
    return ContentStore(Path(url) if url else Path(folder))


def open_store(settings: Settings) -> EvidenceStore:
    """The store the settings name (TRACKER_EVIDENCE_URL, else TRACKER_EVIDENCE_DIR)."""
    return store_for(
        settings.evidence_url, settings.evidence_dir, settings.upload_temp_max_age_hours
    )


def describe(settings: Settings) -> str:
    """Where the configured store is, and the setting that says so, for messages."""
    if settings.evidence_url:
        return f"{settings.evidence_url} (TRACKER_EVIDENCE_URL)"
    return f"{settings.evidence_dir} (TRACKER_EVIDENCE_DIR)"
