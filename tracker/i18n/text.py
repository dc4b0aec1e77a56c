"""Text that is made once and read in each reader's language: the engine's sentences, and what
plugins declare (titles, descriptions, questions).

The completeness engine explains itself in sentences ("risk_level is high", "in force from
2027-12-02") and caches them with its per-date results, which every reader shares whatever their
language. So a sentence is made as a :class:`Phrase`: a ``str`` whose own value is the English,
which carries its message and parameters, and which gives the *current* language's translation
whenever it is turned into text for people: ``str()``, an f-string, ``%s``, a Jinja template.

Code that treats it as data sees the English: JSON (the API, the audit trail, the catalogue's
digest), comparisons and dictionary keys. So the API and stored records never change with the
language of whoever caused them.

Messages use ``%(name)s`` placeholders like every other message; a parameter may itself be a
Phrase (translated in turn), a list (joined with the language's "and" or "or" by
:func:`listing`), a date (ISO 8601 in English, the language's long form in
others) or anything else (``str()``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from babel.lists import format_list

from tracker import i18n
from tracker.i18n import N_

# Separators a language may write differently.
SEPARATORS = {N_("; ")}


class Phrase(str):
    """A message and its parameters: English as a ``str``, the current language when shown."""

    message: str
    params: dict[str, Any]

    def __new__(cls, message: str, /, **params: Any) -> Phrase:
        english = message % {k: _english(v) for k, v in params.items()} if params else message
        self = super().__new__(cls, english)
        self.message = message
        self.params = params
        return self

    def __str__(self) -> str:
        language = i18n.current_language()
        if language == i18n.DEFAULT_LANGUAGE:
            return str.__str__(self)
        return self.translate(language)

    def translate(self, language: str) -> str:
        translated = i18n.translations(language).gettext(self.message)
        if not self.params:
            return translated
        return translated % {k: _shown(v) for k, v in self.params.items()}

    @property
    def english(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # unpickled (RQ, copies) as the same message, not as its English
        return (_rebuild, (type(self), self.message, self.params))


def _rebuild(kind: type[Phrase], message: str, params: dict[str, Any]) -> Phrase:
    return kind(message, **params)


class Term(Phrase):
    """A code that reads as its label: the code as data and in English sentences ("due before
    deployment"), the label's translation where another language shows it ("avant l'étape
    « Déploiement et utilisation »" reads better than a code in a French sentence)."""

    def __new__(cls, code: str, label: str) -> Term:
        self = str.__new__(cls, code)
        self.message = label
        self.params = {}
        return self

    def translate(self, language: str) -> str:
        return i18n.translations(language).gettext(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.english, self.message))


class _Joined(Phrase):
    """Parts joined by a separator, or listed with "and"/"or" ("a, b and c"), each part shown in
    the current language."""

    def __new__(cls, parts: Iterable[Any], separator: str = "; ", style: str = "") -> _Joined:
        items = tuple(parts)
        english = [_english(item) for item in items]
        if style:
            joined = english[0] if len(english) == 1 else ""
            if len(english) > 1:
                word = "and" if style == "standard" else "or"
                joined = f"{', '.join(english[:-1])} {word} {english[-1]}"
        else:
            joined = separator.join(english)
        self = str.__new__(cls, joined)
        self.message = joined
        self.params = {"parts": items, "separator": separator, "style": style}
        return self

    def translate(self, language: str) -> str:
        shown = [_shown(item) for item in self.params["parts"]]
        if self.params["style"] and shown:
            return format_list(shown, style=self.params["style"], locale=i18n.locale())
        separator = self.params["separator"]
        if separator in SEPARATORS:  # French writes " ; " where English writes "; "
            separator = i18n.translations(language).gettext(separator)
        return separator.join(shown)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.params["parts"], self.params["separator"], self.params["style"]))


def english(text: str) -> str:
    """The English of ``text`` whatever language is current: what records keep (a plain ``str``
    is its own English)."""
    return str.__str__(text)


def joined(parts: Iterable[Any], separator: str = "; ") -> Phrase:
    """Parts joined by ``separator`` ("a; b"), each in the reader's language."""
    return _Joined(parts, separator)


def listing(items: Iterable[Any], conjunction: str = "and") -> Phrase:
    """Items as a sentence lists them: "a, b and c" ("a, b et c"); ``conjunction`` "or" for
    alternatives. An empty listing is empty text."""
    return _Joined(items, style="standard" if conjunction == "and" else "or")


def _english(value: Any) -> str:
    if isinstance(value, Phrase):
        return value.english
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return listing(value).english
    return str(value)


def _shown(value: Any) -> str:
    """A parameter in the current language (not English: English is the string itself)."""
    if isinstance(value, date):
        return i18n.format_day(value, "long")
    if isinstance(value, list | tuple):
        return str(listing(value))
    return str(value)


class Kept(Phrase):
    """A sentence read back from storage: its English as the string, its data
    (:func:`to_data`, as JSON text) made a :class:`Phrase` again only when another language is
    shown, and each translation remembered: a stored portfolio repeats the same few hundred
    sentences, and most readers read English."""

    def __new__(cls, english: str, data: str) -> Kept:
        self = str.__new__(cls, english)
        self.message, self.params, self.data = english, {}, data
        return self

    def translate(self, language: str) -> str:
        return _translated(self.data, language)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.english, self.data))


@functools.lru_cache(maxsize=4096)
def _translated(data: str, language: str) -> str:
    return from_data(json.loads(data)).translate(language)


def to_data(value: Any) -> Any:
    """A text as plain JSON data that :func:`from_data` makes the same text of again, still
    read in each reader's language: what a stored answer keeps (never pickle: whoever can write
    the database must not be able to run code in the app)."""
    if isinstance(value, Kept):
        return json.loads(value.data)
    if isinstance(value, Term):
        return {"term": value.english, "label": value.message}
    if isinstance(value, _Joined):
        params = value.params
        return {
            "parts": [to_data(part) for part in params["parts"]],
            "separator": params["separator"],
            "style": params["style"],
        }
    if isinstance(value, Phrase):
        return {
            "message": value.message,
            "params": {name: to_data(param) for name, param in value.params.items()},
        }
    if isinstance(value, datetime):
        return {"moment": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, list | tuple):
        return {"list": [to_data(item) for item in value]}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str.__str__(value) if isinstance(value, str) else str(value)


def from_data(data: Any) -> Any:
    """The text :func:`to_data` kept."""
    if not isinstance(data, dict):
        return data
    if "term" in data:
        return Term(data["term"], data["label"])
    if "parts" in data:
        return _Joined(
            [from_data(part) for part in data["parts"]], data["separator"], data["style"]
        )
    if "message" in data:
        return Phrase(
            data["message"], **{name: from_data(param) for name, param in data["params"].items()}
        )
    if "moment" in data:
        return datetime.fromisoformat(data["moment"])
    if "date" in data:
        return date.fromisoformat(data["date"])
    return tuple(from_data(item) for item in data["list"])


__all__ = ["Kept", "Phrase", "Term", "english", "from_data", "joined", "listing", "to_data"]
