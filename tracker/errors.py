"""Domain errors, raised by the plain-Python core and rendered by each front end.

The API turns them into RFC 9457 problem documents, the CLI into one-line
messages; neither front end decides what is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.i18n import validation


class TrackerError(Exception):
    status = 400
    title = "Bad request"


class NotFound(TrackerError):
    status = 404
    title = "Not found"

    def __init__(self, entity: str, identifier: Any) -> None:
        super().__init__(f"{entity} {identifier} does not exist")
        self.entity = entity
        self.identifier = identifier


class Conflict(TrackerError):
    status = 409
    title = "Conflict"


class ValidationFailed(TrackerError):
    """Input broke one or more rules; ``errors`` maps each field to its messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: Mapping[str, Any], detail: str = "") -> None:
        # marshmallow's English messages, made to read in each reader's language where shown
        self.errors = validation.localizable(dict(errors))
        super().__init__(detail or "; ".join(flatten_messages(self.errors)))


def flatten_messages(errors: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``{"contacts": {0: {"email": ["Not a valid email."]}}}`` -> ``["contacts.0.email: Not a valid email."]``."""
    out: list[str] = []
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out += flatten_messages(value, path)
        elif isinstance(value, list | tuple):
            out += [f"{path}: {message}" for message in value]
        else:
            out.append(f"{path}: {value}")
    return out
