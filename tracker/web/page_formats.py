"""Formatting helpers for one page render, shared by the system page and the portfolio:
dates and percentages written as :mod:`tracker.i18n` writes them with the language's pattern
parsed once, per-page memos for values a template repeats, and a template's ``gettext`` and
``ngettext`` that look each message up once.

Plain Python (no Flask import): the views in ``tracker.web.systems`` and
``tracker.web.portfolio`` build these per request and hand them to their templates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import dates, numbers
from markupsafe import Markup

from tracker import i18n


def day_formatter() -> Callable[[date | datetime | None], str]:
    """:func:`tracker.i18n.format_day` for one page: the pattern parsed once, each date formatted
    once (a page shows a hundred validity dates)."""
    locale = i18n.locale()
    pattern = dates.parse_pattern(dates.get_date_format("medium", locale=locale))

    @functools.cache
    def day(value: date | datetime | None) -> str:
        if value is None:
            return ""
        return pattern.apply(value.date() if isinstance(value, datetime) else value, locale)

    return day


def percent_formatter() -> Callable[[float | None], str]:
    """:func:`tracker.i18n.format_percent` for one page: the language's pattern parsed once, each
    score formatted once (a portfolio page shows fifty, the system page a few dozen)."""
    locale = i18n.locale()
    pattern = numbers.parse_pattern(locale.percent_formats[None])
    not_applicable = i18n.gettext("n/a")

    # typed: 50 and 50.0 are written differently ("50%", "50.0%"), as format_percent does
    @functools.lru_cache(maxsize=None, typed=True)
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
    """``gettext`` and ``ngettext`` for one page's template, as Jinja's newstyle ones given
    Flask-Babel's ``translations`` behave (the message made Markup, then ``%`` escaping the
    values), each message looked up once: a page translates a hundred messages, and the
    look-up through Flask-Babel cost more than the rest of each."""
    found: dict[str, Markup] = {}

    def gettext(message: str, **variables: Any) -> Markup:
        text = found.get(message)
        if text is None:
            text = found[message] = Markup(translations.ugettext(message))
        return text % variables

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
        variables.setdefault("num", num)
        return Markup(translations.ungettext(singular, plural, num)) % variables

    return gettext, ngettext
