"""Domain errors, raised by the plain-Python core and rendered by each front end.

The API turns them into RFC 9457 problem documents, the CLI into one-line
messages; neither front end decides what is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.i18n import validation
from tracker.i18n.text import Phrase, joined


class TrackerError(Exception):
    status = 400
    title = "Bad request"


class NotFound(TrackerError):
    status = 404
    title = "Not found"

    def __init__(self, entity: str, identifier: Any) -> None:
        """``entity`` is a word marked for the catalogue where it is defined (a model's
        ``label``, ``N_("API token")``): a French page names it in French, the API in English."""
        entity = entity if isinstance(entity, Phrase) else Phrase(entity)
        super().__init__(Phrase("%(entity)s %(id)s does not exist", entity=entity, id=identifier))
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
        # "field: message; ...", each message shown in the language of whoever reads it
        super().__init__(detail or _joined_messages(self.errors))


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


def _joined_messages(errors: Mapping[str, Any], prefix: str = "") -> Phrase:
    """:func:`flatten_messages` joined with "; ", its messages kept as Phrases until shown."""
    return joined(_message_parts(errors, prefix), "; ")


def _message_parts(errors: Mapping[str, Any], prefix: str) -> list[Phrase]:
    out: list[Phrase] = []
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out += _message_parts(value, path)
        elif isinstance(value, list | tuple):
            out += [joined([path, message], ": ") for message in value]
        else:
            out.append(joined([path, value], ": "))
    return out
