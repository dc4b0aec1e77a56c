"""Writing a signed BagIt bag (RFC 8493) as a zip stream, never held in memory.

The zip has one folder, the bag, holding ``bagit.txt``, the payload under ``data/``, the
payload manifest ``manifest-sha256.txt`` (the "content manifest"), ``bag-info.txt``, the other
tag files, ``tagmanifest-sha256.txt`` over every tag file, and
``tagmanifest-sha256.txt.sig``: the raw Ed25519 signature of the tag manifest, which through
it covers every file. Both manifests use the ``<sha256>  <path>`` lines ``sha256sum -c`` reads.

Files are stored, not compressed (evidence is mostly PDFs and images already compressed, and
an auditor's tools open stored zips everywhere). Each payload file is hashed as it streams
through; a file whose known SHA-256 (an evidence blob's) does not match fails the build rather
than be signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from zipstream import ZIP_STORED, ZipStream

from tracker.packs.signing import PackKey

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
SIGNATURE = TAG_MANIFEST + ".sig"
PUBLIC_KEY = "pack-public-key.pem"
CHUNK = 1024 * 1024
SOFTWARE = "AI Evidence Tracker"


class ContentChanged(Exception):
    """A payload file's content did not hash to what it is recorded as."""


@dataclass
class Member:
    """One payload file: its path under ``data/`` and where its bytes come from."""

    path: str
    chunks: Callable[[], Iterable[bytes]]
    size: int | None = None
    sha256: str | None = None  # what its content must hash to (evidence blobs)


def text_member(path: str, data: bytes | str) -> Member:
    raw = data.encode() if isinstance(data, str) else data
    return Member(path, lambda: (raw,), len(raw))


def file_chunks(opener: Callable[[], BinaryIO]) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        with opener() as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    return chunks


@dataclass(frozen=True)
class Written:
    size: int
    sha256: str  # of the zip
    manifest_sha256: str  # of manifest-sha256.txt: the same for the same content
    signature: bytes
    files: int
    payload_bytes: int


def manifest_lines(digests: Iterable[tuple[str, str]]) -> bytes:
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(digests)).encode()


def bag_info(fields: dict[str, str], payload_bytes: int, files: int) -> bytes:
    lines = {**fields, "Payload-Oxum": f"{payload_bytes}.{files}", "Bag-Software-Agent": SOFTWARE}
    # A value never spans lines: a newline in a name would start a field of its own.
    return "".join(f"{k}: {' '.join(str(v).split())}\n" for k, v in lines.items()).encode()


def write(
    out: BinaryIO,
    root: str,
    members: Iterable[Member],
    info: dict[str, str],
    tags: Callable[[], dict[str, bytes]],
    key: PackKey,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Stream the bag to ``out``. ``tags`` is called once the payload is written (an anchor
    may depend on what the payload held); ``progress`` with each payload chunk's size."""
    stream = ZipStream(compress_type=ZIP_STORED)
    digests: list[tuple[str, str]] = []
    counted = {"bytes": 0}
    zip_digest = hashlib.sha256()
    size = 0

    def emit(chunks: Iterable[bytes]) -> None:
        nonlocal size
        for chunk in chunks:
            out.write(chunk)
            zip_digest.update(chunk)
            size += len(chunk)

    def hashed(member: Member) -> Iterator[bytes]:
        digest = hashlib.sha256()
        for chunk in member.chunks():
            digest.update(chunk)
            counted["bytes"] += len(chunk)
            if progress:
                progress(len(chunk))
            yield chunk
        found = digest.hexdigest()
        if member.sha256 and found != member.sha256:
            raise ContentChanged(f"{member.path}: the stored content hashes to {found}")
        digests.append((f"data/{member.path}", found))

    stream.add(BAGIT_TXT, f"{root}/bagit.txt")
    for member in members:
        stream.add(hashed(member), f"{root}/data/{member.path}", size=member.size)
        emit(stream.all_files())  # one file at a time: the queue never holds the payload
    manifest = manifest_lines(digests)
    tag_files = {
        "bagit.txt": BAGIT_TXT,
        MANIFEST: manifest,
        "bag-info.txt": bag_info(info, counted["bytes"], len(digests)),
        **tags(),
        PUBLIC_KEY: key.public_pem.encode(),
    }
    for name, data in tag_files.items():
        if name != "bagit.txt":
            stream.add(data, f"{root}/{name}")
    tag_manifest = manifest_lines(
        (name, hashlib.sha256(data).hexdigest()) for name, data in tag_files.items()
    )
    signature = key.sign(tag_manifest)
    stream.add(tag_manifest, f"{root}/{TAG_MANIFEST}")
    stream.add(signature, f"{root}/{SIGNATURE}")
    emit(stream.finalize())
    return Written(
        size=size,
        sha256=zip_digest.hexdigest(),
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        signature=signature,
        files=len(digests),
        payload_bytes=counted["bytes"],
    )
