"""The key evidence packs are signed with: Ed25519, kept outside the database.

The private key comes from ``TRACKER_PACK_SIGNING_KEY`` (PEM text) or from the key file
(``TRACKER_PACK_SIGNING_KEY_FILE``, default ``DATA_DIR/pack-signing-key.pem``), which
``tracker pack generate-key`` writes. The public key goes into every pack and onto the public
register, so that an auditor can check a pack against the key the agency publishes.

This module has no database or Flask import: ``tracker pack verify`` uses it offline.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from tracker.config import ConfigError, Settings


class PackKeyError(ConfigError):
    """No usable pack signing key."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of its raw bytes' SHA-256."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public(pem: bytes | str) -> Ed25519PublicKey:
    """A public key from PEM text; ValueError when it is not an Ed25519 one."""
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def is_valid(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class PackKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    @property
    def public_pem(self) -> str:
        return public_pem(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @classmethod
    def from_pem(cls, text: bytes | str, source: str) -> PackKey:
        data = text.encode() if isinstance(text, str) else text
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise PackKeyError(
                f"{source}: not a PEM private key without password ({error})"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise PackKeyError(f"{source}: the key must be an Ed25519 key")
        return cls(key)


def generate_pem() -> str:
    """A new private key as PEM text (PKCS #8, unencrypted: protect the file instead)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def write_key_file(path: Path) -> PackKey:
    """Write a new key to ``path`` (readable by its owner only); refuse to replace one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = generate_pem()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise PackKeyError(f"{path} already exists: a pack key is never overwritten") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    return PackKey.from_pem(pem, str(path))


def key_for(settings: Settings, create: bool = False) -> PackKey:
    """The configured key. ``create``: in development and tests, make the key file when there
    is none; production must configure one (an operator decides where the key lives)."""
    if settings.pack_signing_key.strip():
        return PackKey.from_pem(settings.pack_signing_key.strip(), "TRACKER_PACK_SIGNING_KEY")
    path = settings.pack_signing_key_file
    if path.exists():
        return PackKey.from_pem(path.read_bytes(), str(path))
    if create and not settings.is_production:
        try:
            return write_key_file(path)
        except PackKeyError:  # another process made it first
            return PackKey.from_pem(path.read_bytes(), str(path))
    raise PackKeyError(
        "no pack signing key: set TRACKER_PACK_SIGNING_KEY or TRACKER_PACK_SIGNING_KEY_FILE, "
        f"or run `tracker pack generate-key` to write {path}"
    )


def encoded(signature: bytes) -> str:
    return base64.b64encode(signature).decode()
