"""Formatting helpers for page renders, shared by the system page and the portfolio: dates and
percentages written as :mod:`tracker.i18n` writes them with the language's pattern parsed once,
per-page memos for values a template repeats, and a template's ``gettext`` and ``ngettext``
that look each message up once.

The formatters and the templates' ``gettext`` are made once per language and kept for the
process (what they remember is bounded: messages of the templates, at most
:data:`VALUES_KEPT` dates or scores): a page used to build them anew, and their first look-ups
were a good part of rendering it.

Plain Python (no Flask import): the views in ``tracker.web.systems`` and
``tracker.web.portfolio`` hand these to their templates.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale, dates, numbers
from markupsafe import Markup

from tracker import i18n

VALUES_KEPT = 4096  # dates, or scores, a language's formatter remembers


def day_formatter() -> Callable[[date | datetime | None], str]:
    """:func:`tracker.i18n.format_day` in the current language: the pattern parsed once, each
    date formatted once (a page shows a hundred validity dates)."""
    return _day_formatter(i18n.locale())


@functools.cache  # one per language
def _day_formatter(locale: Locale) -> Callable[[date | datetime | None], str]:
    pattern = dates.parse_pattern(dates.get_date_format("medium", locale=locale))

    @functools.lru_cache(maxsize=VALUES_KEPT)
    def day(value: date | datetime | None) -> str:
        if value is None:
            return ""
        return pattern.apply(value.date() if isinstance(value, datetime) else value, locale)

    return day


def percent_formatter() -> Callable[[float | None], str]:
    """:func:`tracker.i18n.format_percent` in the current language: the language's pattern
    parsed once, each score formatted once (a portfolio page shows fifty, the system page a few
    dozen)."""
    return _percent_formatter(i18n.locale(), i18n.gettext("n/a"))


@functools.cache  # one per language
def _percent_formatter(locale: Locale, not_applicable: str) -> Callable[[float | None], str]:
    pattern = numbers.parse_pattern(locale.percent_formats[None])

    # typed: 50 and 50.0 are written differently ("50%", "50.0%"), as format_percent does
    @functools.lru_cache(maxsize=VALUES_KEPT, typed=True)
    def percent(value: float | None) -> str:
        if value is None:
            return not_applicable
        return pattern.apply(
            Decimal(str(round(value, 1))) / 100, locale, decimal_quantization=False
        )

    return percent


class Memo(dict):
    """Each value worked out once per page, by ``make``: in a template, ``memo[key]`` is a look-up,
    cheaper than a call, and a page of a hundred rows repeats a few dozen keys."""

    def __init__(self, make: Callable[[Any], Any], known: Mapping[Any, Any] | None = None) -> None:
        super().__init__(known or {})
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


def page_gettext(translations: Any) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    """``gettext`` and ``ngettext`` for templates, as Jinja's newstyle ones given Flask-Babel's
    ``translations`` behave (the message made Markup, then ``%`` escaping the values), each
    message looked up once per language: a page translates a hundred messages, and the
    look-up through Flask-Babel cost more than the rest of each. Kept while ``translations``
    (Flask-Babel's own, per language) lives."""
    found = _gettexts.get(translations)
    if found is None:
        found = _gettexts[translations] = _page_gettext(translations)
    return found


# Flask-Babel's translations of a language -> the templates' gettext and ngettext made for them.
_gettexts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _page_gettext(translations: Any) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    found: dict[str, Markup] = {}
    whole: dict[str, Markup] = {}  # messages without values, as shown ("%%" written "%")

    def gettext(message: str, **variables: Any) -> Markup:
        if not variables:
            text = whole.get(message)
            if text is None:
                text = whole[message] = Markup(translations.ugettext(message)) % variables
            return text
        text = found.get(message)
        if text is None:
            text = found[message] = Markup(translations.ugettext(message))
        return text % variables

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
        variables.setdefault("num", num)
        return Markup(translations.ungettext(singular, plural, num)) % variables

    return gettext, ngettext
