"""The audit keys: secrets kept outside the database that make the chain unforgeable.

A key is a line of text (``tracker audit generate-key`` prints 64 random hex digits). The
keyring is TRACKER_AUDIT_KEY (keys separated by commas) or else the key file (one key a line,
``#`` comments), newest first: events are keyed with the newest, older keys only verify the
events and checkpoints made with them. A key is known by its id, the first 8 bytes of its
SHA-256, which is stored with each event; the key itself never is.

Two keys are derived from each (HKDF-SHA256, so neither reveals the other): the HMAC-SHA256 key
of the chain, and the Ed25519 key that signs checkpoints, whose public half an auditor keeps.

Which settings apply: those given to :func:`configure` (tests, scripts), else the running web
app's, else the environment's, but only when they name the database that is bound (a process
that bound another database, such as a test, gets no keys from the environment).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from playhouse.db_url import parse as parse_url

from tracker import config, db

KEY_ID_BYTES = 8
CHAIN_INFO = b"tracker audit chain hmac v1"
SIGNING_INFO = b"tracker audit checkpoint ed25519 v1"
ENVIRONMENT = "TRACKER_AUDIT_KEY"


class AuditKeyError(config.ConfigError):
    """The audit keys configured cannot continue or check this chain; the message says why."""


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def key_id_of(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[: KEY_ID_BYTES * 2]


def generate() -> str:
    """A new random key: 256 bits as 64 hex digits."""
    return secrets.token_hex(32)


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes = field(repr=False)

    @classmethod
    def from_text(cls, text: str) -> AuditKey:
        secret = text.strip().encode()
        return cls(key_id_of(secret), secret)

    @cached_property
    def _chain_key(self) -> bytes:
        return _derive(self.secret, CHAIN_INFO)

    @cached_property
    def signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(_derive(self.secret, SIGNING_INFO))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    def mac(self, message: bytes) -> str:
        return hmac.new(self._chain_key, message, hashlib.sha256).hexdigest()

    def public_key_pem(self) -> str:
        return (
            self.public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
            .strip()
        )

    def public_key_base64(self) -> str:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Keyring:
    """The configured keys, newest first; ``source`` says where they came from ('' for none)."""

    keys: tuple[AuditKey, ...] = ()
    source: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def newest(self) -> AuditKey | None:
        return self.keys[0] if self.keys else None

    def get(self, key_id: str) -> AuditKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    def age(self, key_id: str) -> int | None:
        """0 for the newest key, 1 for the one before it...; None for a key not in the ring."""
        return next((n for n, k in enumerate(self.keys) if k.key_id == key_id), None)


def parse_keys(text: str, separator: str | None = None) -> tuple[AuditKey, ...]:
    """Keys from a file's lines (or a variable's comma-separated list), each once, in order."""
    parts = text.split(separator) if separator else text.splitlines()
    found: dict[str, AuditKey] = {}
    for part in parts:
        line = part.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) < config.AUDIT_KEY_MIN:
            raise AuditKeyError(
                f"an audit key must be at least {config.AUDIT_KEY_MIN} characters "
                "(`tracker audit generate-key` prints one)"
            )
        key = AuditKey.from_text(line)
        found.setdefault(key.key_id, key)
    return tuple(found.values())


_file_cache: dict[tuple, Keyring] = {}


def keyring_for(settings: config.Settings) -> Keyring:
    """The keyring these settings name (the key file is read again whenever it changes)."""
    if settings.audit_key.strip():
        return Keyring(parse_keys(settings.audit_key, ","), ENVIRONMENT)
    path = Path(settings.audit_key_file)
    try:
        found = path.stat()
    except FileNotFoundError:
        return Keyring()
    except OSError as error:
        raise AuditKeyError(f"cannot read the audit key file {path}: {error.strerror}") from None
    cache_key = (str(path), found.st_ino, found.st_mtime_ns, found.st_size, found.st_mode)
    if cache_key not in _file_cache:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise AuditKeyError(f"cannot read the audit key file {path}: {error}") from None
        warnings = ()
        if found.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings = (
                f"the audit key file {path} can be read by other users "
                f"(mode {stat.S_IMODE(found.st_mode):04o}; chmod 600 it)",
            )
        if len(_file_cache) > 32:
            _file_cache.clear()
        _file_cache[cache_key] = Keyring(parse_keys(text), str(path), warnings)
    return _file_cache[cache_key]


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically with ``keys`` (newest first), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(
                "# The tracker's audit keys, newest first: keep every line, older keys verify "
                "older events.\n"
            )
            out.writelines(f"{key}\n" for key in keys)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- which settings apply ---------------------------------------------------------------------

_configured: config.Settings | None = None


def configure(settings: config.Settings | None) -> None:
    """Use these settings' keys in this process from now on (None: find them again)."""
    global _configured
    _configured = settings


def _names_bound_database(url: str) -> bool:
    bound = db.database.obj
    if bound is None:
        return False
    try:
        wanted = parse_url(url)
    except Exception:  # an unreadable URL names no database
        return False
    have = {"database": bound.database, **bound.connect_params}
    return all(have.get(name) == value for name, value in wanted.items())


def current_settings() -> config.Settings | None:
    if _configured is not None:
        return _configured
    try:
        from flask import current_app, has_app_context

        if has_app_context() and "tracker" in current_app.extensions:
            return current_app.extensions["tracker"].settings
    except ImportError:  # pragma: no cover - Flask is a dependency; a bare install has it
        pass
    settings = _environment_settings(
        tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("TRACKER_")))
    )
    return settings if _names_bound_database(settings.database_url) else None


@functools.lru_cache(maxsize=8)
def _environment_settings(variables: tuple[tuple[str, str], ...]) -> config.Settings:
    # Every audit event asks: reading the settings once per set of TRACKER_* variables is enough.
    return config.from_environ(dict(variables))


def current() -> Keyring:
    """The keyring of the settings that apply (an empty one where none do)."""
    settings = current_settings()
    return keyring_for(settings) if settings is not None else Keyring()
