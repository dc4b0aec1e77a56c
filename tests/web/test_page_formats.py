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


def test_formatters_are_made_once_per_language_and_each_writes_its_own():
    made = {}
    for language in i18n.LANGUAGES:
        with i18n.using(language):
            made[language] = page_formats.percent_formatter(), page_formats.day_formatter()
            assert (page_formats.percent_formatter(), page_formats.day_formatter()) == made[
                language
            ]
    for language, (percent, day) in made.items():  # used later, still in their own language
        with i18n.using(language):
            assert percent(12.5) == i18n.format_percent(12.5)
            assert day(date(2026, 1, 31)) == i18n.format_day(date(2026, 1, 31))


class Translations:
    """Flask-Babel's translations of one language, counting the look-ups."""

    def __init__(self, words: dict[str, str]) -> None:
        self.words, self.asked = words, 0

    def ugettext(self, message: str) -> str:
        self.asked += 1
        return self.words.get(message, message)

    def ungettext(self, singular: str, plural: str, num: int) -> str:
        return singular if num == 1 else plural


def test_the_templates_gettext_looks_each_message_up_once_per_language():
    french = Translations({"Upload": "Déposer", "%(num)s of %(count)s": "%(num)s sur %(count)s"})
    gettext, _ = page_formats.page_gettext(french)
    for _round in range(3):
        assert gettext("Upload") == "Déposer"
        assert gettext("%(num)s of %(count)s", num=2, count="<b>") == "2 sur &lt;b&gt;"
        assert gettext("100%% done") == "100% done"  # as Jinja's gettext: "%" applied even alone
    assert french.asked == 3
    assert page_formats.page_gettext(french)[0] is gettext  # kept while the translations live
    assert page_formats.page_gettext(Translations({}))[0] is not gettext
