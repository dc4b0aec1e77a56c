"""Validation messages in the reader's language, marshmallow's included.

marshmallow writes its messages in English and formats them at once ("Length must be between
1 and 200."). :func:`localizable` recognises each of its messages, formatted or not, and turns it
into a :class:`~tracker.i18n.text.Phrase` of the same message with its values as parameters: the
API (and anything storing it) still reads the English, a French page shows French. Messages of
the tracker's own are made as Phrases where they are raised.

:func:`messages` lists marshmallow's messages as catalogue ids (``{min}`` written ``%(min)s``),
which the catalogue's extraction adds to the strings to translate, so that a marshmallow upgrade
that adds a message fails the translation test until it is translated.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import marshmallow
import webargs.fields  # noqa: F401  (its fields, e.g. DelimitedList, are marshmallow fields too)
from marshmallow import validate

from tracker.i18n.text import Phrase

_FIELD = re.compile(r"\{(\w+)(![rs])?\}")
# Range's messages are templates of templates: "Must be {min_op} {{min}}.".
_RANGE_WORDS = {
    "min_op": ("greater than or equal to", "greater than"),
    "max_op": ("less than or equal to", "less than"),
}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _templates() -> set[str]:
    """Every message marshmallow's fields, validators and schemas can give, as it writes them.

    Fields are found as subclasses, so every module defining fields the app uses is imported
    above: otherwise the catalogue's extraction and a running app would see different sets."""
    found: set[str] = set()
    for field in (marshmallow.fields.Field, *_subclasses(marshmallow.fields.Field)):
        found.update(getattr(field, "default_error_messages", {}).values())
    for _name, validator in inspect.getmembers(validate, inspect.isclass):
        for attribute, value in vars(validator).items():
            if isinstance(value, str) and "message" in attribute:
                found.add(value)
    found.update(marshmallow.Schema._default_error_messages.values())
    expanded = set()
    for template in found:
        if "{min_op}" in template or "{max_op}" in template:
            for min_op in _RANGE_WORDS["min_op"]:
                for max_op in _RANGE_WORDS["max_op"]:
                    expanded.add(template.format(min_op=min_op, max_op=max_op))
        elif template not in (*_RANGE_WORDS["min_op"], *_RANGE_WORDS["max_op"]):
            expanded.add(template)
    return expanded


@cache
def _known() -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    """marshmallow's messages: {English: catalogue id} for those without values, and a
    (pattern, catalogue id) per message with values, the most specific (most fixed text) first:
    '"x" cannot be formatted as a date.' before '"x" cannot be formatted as a {obj_type}.'."""
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for template in sorted(_templates(), key=lambda t: -len(_FIELD.sub("", t))):
        message = _FIELD.sub(lambda m: f"%({m[1]})s", template)
        if not _FIELD.search(template):
            exact[template] = template
            continue
        pattern = ""
        for part in re.split(r"(\{\w+(?:![rs])?\})", template):
            if m := _FIELD.fullmatch(part):
                pattern += f"(?P<{m[1]}>.+?)"
            else:
                pattern += re.escape(part)
        patterns.append((re.compile(f"^{pattern}$", re.S), message))
    return exact, patterns


def messages() -> list[str]:
    """marshmallow's messages as catalogue ids, for the catalogue's extraction."""
    exact, patterns = _known()
    return sorted({*exact.values(), *(message for _pattern, message in patterns)})


def localizable(errors: Any) -> Any:
    """``errors`` (marshmallow's or the tracker's, nested in dicts and lists) with each of
    marshmallow's messages made a Phrase; other values as they are."""
    if isinstance(errors, Phrase):
        return errors
    if isinstance(errors, str):
        exact, patterns = _known()
        if errors in exact:
            return Phrase(exact[errors])
        for pattern, message in patterns:
            if found := pattern.match(errors):
                return Phrase(message, **found.groupdict())
        return errors
    if isinstance(errors, Mapping):
        return {key: localizable(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return type(errors)(localizable(value) for value in errors)
    return errors


__all__ = ["localizable", "messages"]
