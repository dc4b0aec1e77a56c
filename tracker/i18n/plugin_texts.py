"""Plugins in the reader's language: the catalogues plugins ship, and the texts they translate.

A plugin declares its texts in English (a requirement's title, a question's label and help...)
and may ship a gettext catalogue per language for them, declared by the ``tracker_translations``
hook as a :class:`MessageCatalogue`: ``<directory>/<language>/LC_MESSAGES/<domain>.mo``, the
layout ``pybabel compile`` writes. The message ids are the English texts themselves, so a plugin
marks nothing in its code: :func:`texts_of` lists exactly what needs translating (what
``make translations`` writes into each built-in plugin's ``.po``, and what the tests check is
translated).

Once loaded, each declared definition's texts are made :class:`~tracker.i18n.text.Phrase`\\ s by
:func:`translatable`, so they read in the reader's language wherever they are shown, and stay
English as data (the API, the catalogue's digest, the audit trail).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tracker import i18n
from tracker.i18n.text import Phrase

# The fields of each kind of definition that people read, by class name. Identifiers, rules
# and links stay as they are in every language.
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "Jurisdiction": ("title", "description"),
    "Territory": ("name",),
    "Requirement": ("title", "description", "recurrence"),
    "Citation": ("instrument", "article", "note"),
    "ProfileQuestion": ("label", "help"),
    "EventKind": ("title", "description", "counted_from"),
}
# Definitions held inside others: a requirement's citation, a jurisdiction's territory.
NESTED_FIELDS: dict[str, tuple[str, ...]] = {
    "Jurisdiction": ("territory",),
    "Requirement": ("citation",),
}


@dataclass(frozen=True)
class MessageCatalogue:
    """Where a plugin's translations are: ``directory/<language>/LC_MESSAGES/<domain>.mo``."""

    directory: Path | str
    domain: str

    def path(self, language: str, suffix: str = ".mo") -> Path:
        return Path(self.directory) / language / "LC_MESSAGES" / f"{self.domain}{suffix}"

    @staticmethod
    def problems(catalogue: Any) -> list[str]:
        """What is wrong with a declared catalogue (a missing folder is only a warning's worth:
        the plugin's texts then show in English)."""
        if not isinstance(catalogue.domain, str) or not catalogue.domain.strip():
            return ["a message catalogue needs a domain (the .mo file's name without .mo)"]
        if not Path(catalogue.directory).is_dir():
            return [f"message catalogue folder {str(catalogue.directory)!r} does not exist"]
        return []


Definition = TypeVar("Definition")


def texts_of(definitions: Iterable[Any]) -> Iterator[str]:
    """Every text of ``definitions`` that people read, nested definitions included."""
    for definition in definitions:
        kind = type(definition).__name__
        for name in TEXT_FIELDS.get(kind, ()):
            text = getattr(definition, name, "")
            if isinstance(text, str) and text:
                yield text
        for name in NESTED_FIELDS.get(kind, ()):
            inner = getattr(definition, name, None)
            if inner is not None:
                yield from texts_of([inner])


def translatable(definition: Definition) -> Definition:
    """``definition`` with its texts as Phrases (and those of the definitions it holds)."""
    kind = type(definition).__name__
    if not dataclasses.is_dataclass(definition) or kind not in TEXT_FIELDS:
        return definition
    changes: dict[str, Any] = {
        name: Phrase(getattr(definition, name))
        for name in TEXT_FIELDS[kind]
        if isinstance(getattr(definition, name, None), str) and getattr(definition, name)
    }
    for name in NESTED_FIELDS.get(kind, ()):
        inner = getattr(definition, name, None)
        if inner is not None:
            changes[name] = translatable(inner)
    return dataclasses.replace(definition, **changes) if changes else definition


def install(catalogues: Iterable[MessageCatalogue]) -> None:
    """Make the plugins' catalogues part of every language's translations (after the core's)."""
    i18n.add_catalogues((str(c.directory), c.domain) for c in catalogues)


__all__ = ["MessageCatalogue", "install", "texts_of", "translatable"]
