"""Evidence file storage and integrity: a content-addressed store of files named by SHA-256."""

from evidence.store import ContentStore, IntegrityError, PendingFile

__all__ = ["ContentStore", "IntegrityError", "PendingFile"]
