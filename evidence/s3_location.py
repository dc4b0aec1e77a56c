"""Where an S3 evidence store is (bucket and prefix), how its client is configured, and how its
failures read: shared by the store (evidence.s3) and its uploads (evidence.s3_upload)."""

from __future__ import annotations

from dataclasses import dataclass

import botocore.config
import botocore.exceptions

CLIENT_CONFIG = botocore.config.Config(
    # The SHA-256 of every file is this store's own check, and Content-MD5 guards each part in
    # transit: the newer default checksums (CRC32 headers and trailers) are not understood by
    # every S3-compatible server, so they are only sent when an operation requires them.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
    retries={"mode": "standard", "max_attempts": 5},
)


class StoreUnavailable(OSError):
    """The object store could not be reached or refused a request (not a content problem)."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # without a trailing slash; may be empty

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """``s3://bucket/some/prefix`` -> bucket ``bucket``, prefix ``some/prefix``."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        bucket, _, prefix = url[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {url!r}")
        return cls(bucket, prefix.strip("/"))

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def not_found(error: botocore.exceptions.ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


def unavailable(error: Exception, what: str) -> StoreUnavailable:
    return StoreUnavailable(f"object store: {what}: {error}")
