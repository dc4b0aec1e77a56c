"""An upload into the S3 evidence store: hashed as it arrives, sent on in multipart parts of
:data:`PART_SIZE` to a temporary key while a local spool copy serves the content checks, and
placed under its hash by the store (evidence.s3) when committed."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import botocore.config
import botocore.exceptions

from evidence.s3_location import unavailable
from evidence.store import (
    PendingFile,
)

if TYPE_CHECKING:
    from evidence.s3 import S3Store

log = logging.getLogger(__name__)

# Every part but the last must be at least 5 MiB (S3's rule); 8 MiB parts allow 78 GiB in the
# 10,000 parts S3 accepts, far above any evidence file (TRACKER_MAX_UPLOAD_MB).
PART_SIZE = 8 * 1024 * 1024
# Parts of one upload on their way at once, beside the one being gathered: sending overlaps
# receiving, and memory stays at (1 + PARTS_IN_FLIGHT) parts per upload.
PARTS_IN_FLIGHT = 2

_senders: dict[int, ThreadPoolExecutor] = {}
_senders_lock = threading.Lock()


def _sender() -> ThreadPoolExecutor:
    """The threads that send parts, shared by this process's uploads (made anew after a fork:
    threads do not survive one)."""
    pid = os.getpid()
    with _senders_lock:
        if pid not in _senders:
            _senders.clear()
            _senders[pid] = ThreadPoolExecutor(max_workers=16, thread_name_prefix="s3-parts")
        return _senders[pid]


def content_md5(data: bytes | bytearray) -> str:
    # Content-MD5 is transport integrity (S3 refuses a part that arrived altered), not identity.
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


class _Spool(PendingFile):
    """The local copy of an upload, for the content checks: no fsync, it is never kept."""

    def finish(self) -> str:
        if not self._file.closed:
            self._file.close()
        self.sha256 = self._hash.hexdigest()
        return self.sha256


class S3PendingUpload:
    """An upload being received: hashed as it arrives, sent on in parts, spooled locally."""

    def __init__(self, store: S3Store) -> None:
        self._store = store
        self._spool = _Spool(store.spool_dir())
        self.path = self._spool.path
        # When it began is in its name: what the store's own listing says may be another clock's.
        self.key = store.location.key("tmp", f"upload-{int(time.time())}-{uuid.uuid4().hex}")
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._sending: list[Future[dict[str, Any]]] = []
        self._temporary = False  # a completed object at self.key awaits commit
        self.sha256 = ""
        self.repaired: str | None = None

    @property
    def size(self) -> int:
        return self._spool.size

    # The file-like methods a multipart parser calls while streaming the upload.
    def write(self, data: bytes) -> int:
        written = self._spool.write(data)
        self._buffer += data
        if len(self._buffer) >= PART_SIZE:
            self._send_part()
        return written

    def seek(self, *args: int) -> int:
        return self._spool.seek(*args)

    def tell(self) -> int:
        return self._spool.tell()

    def read(self, *args: int) -> bytes:  # pragma: no cover - required by the file protocol
        raise OSError("a pending upload is write-only")

    def flush(self) -> None:
        self._spool.flush()

    def close(self) -> None:
        self._spool.close()

    @property
    def closed(self) -> bool:
        return self._spool.closed

    def _send_part(self) -> None:
        """Hand the gathered part to a sending thread, once fewer than PARTS_IN_FLIGHT are on
        their way (a failure to send one is raised here or by finish)."""
        if self._upload_id is None:
            try:
                started = self._store.client.create_multipart_upload(
                    Bucket=self._store.location.bucket, Key=self.key
                )
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
                raise unavailable(error, f"starting {self.key}") from error
            self._upload_id = started["UploadId"]
        while len(self._sending) >= PARTS_IN_FLIGHT:
            self._parts.append(self._sending.pop(0).result())
        number = len(self._parts) + len(self._sending) + 1
        data, self._buffer = self._buffer, bytearray()
        self._sending.append(_sender().submit(self._upload_part, number, data))

    def _upload_part(self, number: int, data: bytearray) -> dict[str, Any]:
        try:
            sent = self._store.client.upload_part(
                Bucket=self._store.location.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=data,
                ContentMD5=content_md5(data),
            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise unavailable(error, f"sending part {number} of {self.key}") from error
        return {"PartNumber": number, "ETag": sent["ETag"]}

    def _sent(self) -> None:
        """Wait for the parts on their way; raise the first failure."""
        sending, self._sending = self._sending, []
        failure = None
        for future in sending:
            try:
                self._parts.append(future.result())
            except Exception as error:  # all are waited for before anything is raised
                failure = failure or error
        if failure is not None:
            raise failure

    def finish(self) -> str:
        """Send what is left, complete the upload (to its temporary key when it had parts) and
        return the SHA-256 of everything written."""
        if self.sha256:
            return self.sha256
        self._spool.finish()
        if self._upload_id is not None:
            if self._buffer:
                self._send_part()
            self._sent()
            try:
                self._store.client.complete_multipart_upload(
                    Bucket=self._store.location.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
                raise unavailable(error, f"completing {self.key}") from error
            self._upload_id = None
            self._temporary = True
        self.sha256 = self._spool.sha256
        return self.sha256

    @property
    def in_memory(self) -> bool:
        """Whether the whole content is still here (smaller than one part), not yet sent."""
        return self._upload_id is None and not self._temporary

    def content(self) -> bytes:
        return bytes(self._buffer)

    def placed(self) -> None:
        """The content is under its hash now: what was temporary is no longer needed."""
        self.discard()

    def discard(self) -> None:
        """Drop the upload: abort its multipart upload or delete its temporary object. A
        failure here is logged, not raised: the sweep removes what is left behind."""
        self._buffer = bytearray()
        with contextlib.suppress(OSError):
            self._sent()  # a part still on its way would outlive an abort sent before it lands
        client, bucket = self._store.client, self._store.location.bucket
        try:
            if self._upload_id is not None:
                client.abort_multipart_upload(Bucket=bucket, Key=self.key, UploadId=self._upload_id)
                self._upload_id = None
            if self._temporary:
                client.delete_object(Bucket=bucket, Key=self.key)
                self._temporary = False
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            log.warning("could not drop the unfinished upload %s: %s", self.key, error)
        self._spool.discard()

    def release(self) -> None:
        self._spool.release()
