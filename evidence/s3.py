"""The content-addressed evidence store in S3-compatible object storage (AWS S3, MinIO, Ceph RGW).

The same interface and the same guarantees as :class:`evidence.store.ContentStore`, over a
bucket: every file is the object ``<prefix>/objects/ab/cd/<sha256>``. Only the plain S3 API is
used (no vendor extension), through boto3, which finds the endpoint, region and credentials
itself (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, or any other way boto3 knows).

An upload is hashed as it arrives and sent on in parts of :data:`PART_SIZE` (a multipart upload
to a temporary key under ``<prefix>/tmp/``), so memory stays bounded whatever the file's size;
a local copy in a spool folder lets the content checks (evidence.sniff) read the file. On commit
the object is copied under its hash and the temporary one deleted; a file smaller than one part
never leaves memory before it is put under its hash. A multipart upload nobody completes or
aborts (a killed server) is an interrupted upload: the check reports it, the sweep aborts it.

Reads verify as they stream: the hash of everything read is compared before the last chunk is
handed out, so a mismatch surfaces as :class:`IntegrityError` before a reader holds the whole
(wrong) file. A file of up to :data:`VERIFY_WHOLE` bytes is read and checked before the first
byte is handed out, as the folder store does for every file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import boto3
import botocore.config
import botocore.exceptions

from evidence.s3_location import CLIENT_CONFIG, S3Location, not_found, unavailable
from evidence.s3_upload import S3PendingUpload, content_md5
from evidence.store import (
    CHUNK_SIZE,
    IntegrityError,
    TemporaryUpload,
    check_digest,
    check_sha256,
    in_progress,
    receive,
)

log = logging.getLogger(__name__)

# S3's limit for a copy in one request (CopyObject); larger objects are copied in parts.
COPY_IN_ONE = 5 * 1024 * 1024 * 1024
# Files up to this size are checked whole before open_verified returns (one read, in memory).
VERIFY_WHOLE = 8 * 1024 * 1024


class _ObjectReader:
    """An object's body as a file to read (unchecked)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> _ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VerifyingReader(_ObjectReader):
    """An object's body hashed as it is read: the read that would hand out the last bytes raises
    :class:`IntegrityError` instead when the whole does not match its hash (or ends short)."""

    def __init__(self, sha256: str, body: Any, length: int) -> None:
        super().__init__(body)
        self.sha256 = sha256
        self._left = length
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        chunk = self._body.read(want)
        if not chunk:
            raise IntegrityError(self.sha256, f"the stored content ended {self._left} bytes short")
        self._digest.update(chunk)
        self._left -= len(chunk)
        if self._left == 0:
            check_digest(self.sha256, self._digest.hexdigest())
        return chunk


class S3Store:
    """Files addressed by SHA-256 under ``s3://bucket/prefix/objects/ab/cd/abcd…``.

    ``spool`` is a local folder for the copies of uploads in flight (their content is checked
    there); ``live_hours``: how old an unfinished multipart upload must be before the check calls
    it interrupted (S3 cannot say whether a process still works on it).
    """

    def __init__(self, url: str, spool: Path | str, live_hours: float = 24) -> None:
        self.location = S3Location.parse(url)
        self.spool = Path(spool)
        self.live_seconds = live_hours * 3600
        self.tmp = self.location.key("tmp") + "/"  # named like the folder store's, for logs
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return str(self.location)

    @property
    def client(self) -> Any:
        # One client per process: `tracker serve` forks workers after the app is made, and a
        # connection pool must never be shared across a fork. A client is thread-safe.
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    client = boto3.session.Session().client("s3", config=CLIENT_CONFIG)
                    self._clients = {pid: client}
        return client

    def spool_dir(self) -> Path:
        self.spool.mkdir(parents=True, exist_ok=True)
        return self.spool

    def key_for(self, sha256: str) -> str:
        check_sha256(sha256)
        return self.location.key("objects", sha256[:2], sha256[2:4], sha256)

    # Reading
    def _get(self, key: str, sha256: str) -> dict[str, Any]:
        try:
            return self.client.get_object(Bucket=self.location.bucket, Key=key)
        except botocore.exceptions.ClientError as error:
            if not_found(error):
                raise IntegrityError(sha256, "the stored file is missing") from None
            raise unavailable(error, f"reading {key}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise unavailable(error, f"reading {key}") from error

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.location.bucket, Key=key)
        except botocore.exceptions.ClientError as error:
            if not_found(error):
                return None
            raise unavailable(error, f"looking up {key}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise unavailable(error, f"looking up {key}") from error

    def exists(self, sha256: str) -> bool:
        return self._head(self.key_for(sha256)) is not None

    def _hash_key(self, key: str, sha256: str) -> tuple[str, int]:
        found = self._get(key, sha256)
        digest, size = hashlib.sha256(), 0
        with _ObjectReader(found["Body"]) as body:
            while chunk := body.read(CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def hash_file(self, sha256: str) -> tuple[str, int]:
        """Hash the stored object as it is now: (actual SHA-256, size)."""
        try:
            return self._hash_key(self.key_for(sha256), sha256)
        except IntegrityError:
            raise FileNotFoundError(self.key_for(sha256)) from None

    def open(self, sha256: str) -> BinaryIO:
        """The stored object for reading, unchecked: for callers that hash what they read."""
        return _ObjectReader(self._get(self.key_for(sha256), sha256)["Body"])  # type: ignore[return-value]

    def open_verified(self, sha256: str) -> BinaryIO:
        """The stored object, verified as it is read (one read of the object).

        Up to :data:`VERIFY_WHOLE` bytes it is read and checked here, before anything is handed
        out; a larger one is checked as it streams, and the read that would hand out its last
        bytes raises :class:`IntegrityError` when it does not match.
        """
        found = self._get(self.key_for(sha256), sha256)
        length = int(found["ContentLength"])
        reader = VerifyingReader(sha256, found["Body"], length)
        if length > VERIFY_WHOLE:
            return reader  # type: ignore[return-value]
        try:
            data = reader.read()
        finally:
            reader.close()
        return io.BytesIO(data)

    def iter_objects(self) -> Iterator[tuple[str, str]]:
        """Every object in the object area, as (name, key)."""
        for item in self._list(self.location.key("objects") + "/"):
            yield item["Key"].rsplit("/", 1)[-1], item["Key"]

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=prefix
            )
            for page in pages:
                yield from page.get("Contents", [])
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise unavailable(error, f"listing {prefix}") from error

    # Writing
    def begin(self) -> S3PendingUpload:
        return S3PendingUpload(self)

    def put(self, stream: BinaryIO) -> S3PendingUpload:
        """Receive a whole stream (finished, not yet committed)."""
        return receive(self.begin(), stream)

    def commit(self, pending: S3PendingUpload) -> bool:
        """Put a finished upload under its hash; return True when this content was new.

        As in the folder store, a stored copy that no longer matches its hash is replaced by the
        fresh one (checked first) and ``pending.repaired`` says what was wrong with it.
        """
        sha256 = pending.sha256 or pending.finish()
        key = self.key_for(sha256)
        if self._head(key) is not None:
            problem = self._problem(sha256)
            if problem is None:
                pending.discard()
                return False
            if not pending.in_memory:
                actual, _size = self._hash_key(pending.key, sha256)
                if actual != sha256:  # the fresh copy did not reach the store intact either
                    pending.discard()
                    raise IntegrityError(sha256, f"the uploaded copy hashes to {actual} in store")
            self._place(pending, key)
            pending.repaired = problem
            return False
        self._place(pending, key)
        return True

    def _problem(self, sha256: str) -> str | None:
        try:
            actual, _size = self.hash_file(sha256)
        except FileNotFoundError:
            return "the stored file is missing"
        return None if actual == sha256 else f"the stored content hashed to {actual}"

    def _place(self, pending: S3PendingUpload, key: str) -> None:
        client, bucket = self.client, self.location.bucket
        try:
            if pending.in_memory:
                data = pending.content()
                client.put_object(Bucket=bucket, Key=key, Body=data, ContentMD5=content_md5(data))
            elif pending.size <= COPY_IN_ONE:
                # A server-side copy, S3 having no rename: one request up to 5 GiB.
                client.copy_object(
                    Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": pending.key}
                )
            else:  # in parts (UploadPartCopy), the only way above 5 GiB
                client.copy({"Bucket": bucket, "Key": pending.key}, bucket, key)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise unavailable(error, f"storing {key}") from error
        pending.placed()

    def remove(self, sha256: str) -> None:
        """Take back an object committed by a transaction that then failed."""
        key = self.key_for(sha256)
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=key)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise unavailable(error, f"deleting {key}") from error

    # Interrupted uploads
    def temporary_uploads(self, now: float | None = None) -> list[TemporaryUpload]:
        """Unfinished multipart uploads, temporary objects never committed and local spool
        files; a multipart upload or temporary object younger than ``live_hours`` counts as
        live (S3 cannot tell whether a process still works on it)."""
        now = time.time() if now is None else now
        found: list[TemporaryUpload] = []
        client, bucket = self.client, self.location.bucket
        try:
            pages = client.get_paginator("list_multipart_uploads").paginate(
                Bucket=bucket, Prefix=self.tmp
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    age = max(0.0, now - _began(upload["Key"], upload["Initiated"]))
                    size = self._parts_size(upload["Key"], upload["UploadId"])
                    where = f"{upload['Key']} (multipart upload {upload['UploadId']})"
                    found.append(TemporaryUpload(where, size, age, age < self.live_seconds, upload))
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise unavailable(error, f"listing uploads under {self.tmp}") from error
        for item in self._list(self.tmp):
            age = max(0.0, now - _began(item["Key"], item["LastModified"]))
            found.append(
                TemporaryUpload(item["Key"], item["Size"], age, age < self.live_seconds, item)
            )
        if self.spool.is_dir():
            for path in sorted(p for p in self.spool.iterdir() if p.is_file()):
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                age = max(0.0, now - stat.st_mtime)
                found.append(TemporaryUpload(path, stat.st_size, age, in_progress(path), None))
        return found

    def iter_temporary(self) -> Iterator[Path | str]:
        """Every upload begun and not finished with, live or not (see temporary_uploads)."""
        for upload in self.temporary_uploads():
            yield upload.where

    def _parts_size(self, key: str, upload_id: str) -> int:
        pages = self.client.get_paginator("list_parts").paginate(
            Bucket=self.location.bucket, Key=key, UploadId=upload_id
        )
        return sum(part["Size"] for page in pages for part in page.get("Parts", []))

    def remove_stale_temporary(
        self, max_age_seconds: float, now: float | None = None
    ) -> tuple[int, int]:
        """Abort multipart uploads and delete temporary objects and spool files untouched for
        longer than ``max_age_seconds``; return (uploads removed, bytes freed)."""
        removed = freed = 0
        client, bucket = self.client, self.location.bucket
        for upload in self.temporary_uploads(now):
            if upload.age < max_age_seconds or (isinstance(upload.where, Path) and upload.live):
                continue
            try:
                if isinstance(upload.where, Path):
                    upload.where.unlink()
                elif "UploadId" in upload.detail:
                    client.abort_multipart_upload(
                        Bucket=bucket, Key=upload.detail["Key"], UploadId=upload.detail["UploadId"]
                    )
                else:
                    client.delete_object(Bucket=bucket, Key=upload.detail["Key"])
            except FileNotFoundError:
                continue
            except botocore.exceptions.ClientError as error:
                if not_found(error):
                    continue
                raise unavailable(error, f"removing {upload.where}") from error
            removed += 1
            freed += upload.size
        return removed, freed


def _began(key: str, listed: datetime) -> float:
    """When an upload began: from its key (``upload-<unix time>-<id>``), else as listed."""
    name = key.rsplit("/", 1)[-1]
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == "upload" and parts[1].isdigit():
        return float(parts[1])
    return listed.timestamp()
