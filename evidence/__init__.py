"""Evidence file storage and integrity: a content-addressed store of files named by SHA-256,
in a local folder or in S3-compatible object storage."""

from evidence.s3 import S3Store
from evidence.store import ContentStore, IntegrityError, PendingFile
from evidence.stores import EvidenceStore, open_store, store_for

__all__ = [
    "ContentStore",
    "EvidenceStore",
    "IntegrityError",
    "PendingFile",
    "S3Store",
    "open_store",
    "store_for",
]
