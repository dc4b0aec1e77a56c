"""The per-page formatters the system page and the portfolio use write exactly what the shared
ones write (tracker.i18n): they only parse the language's pattern once and remember each value."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker import i18n
from tracker.web import page_formats

SCORES = [None, 0, 0.0, 1, 5.5, 12.25, 33.3, 33.35, 50, 50.0, 57.142857, 66.66, 99.95, 100, 100.0]


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_the_page_percent_is_format_percent(language):
    with i18n.using(language):
        percent = page_formats.percent_formatter()
        for value in SCORES * 2:  # the second time from memory
            assert percent(value) == i18n.format_percent(value), (language, value)
        # 50 and 50.0 are written differently: never confused in memory.
        assert percent(50) == i18n.format_percent(50) and percent(50.0) == i18n.format_percent(50.0)


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_the_page_day_is_format_day(language):
    with i18n.using(language):
        day = page_formats.day_formatter()
        for value in (date(2026, 1, 31), datetime(2026, 11, 28, 23, 59), None) * 2:
            assert day(value) == i18n.format_day(value), (language, value)
