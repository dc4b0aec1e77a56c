"""The portfolio remembers the rows it has shown (the first page is the one everybody opens), by
what identifies their content: a system that changes is shown changed at once, and each reader
reads the rows in their own language."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from tracker.models import AISystem
from tracker.web import portfolio


@pytest.fixture
def agency(people, demo_agency):
    return {s.name: s for s in AISystem.select()}


def names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/systems/\d+">(.*?)</a>', page)


def test_a_changed_system_is_shown_changed_and_each_language_its_own(sign_in_as, agency):
    viewer = sign_in_as("viewer")
    viewer.get("/portfolio")  # the "signed in" message shown
    first = viewer.get("/portfolio").text
    assert portfolio._SHOWN  # remembered
    assert viewer.get("/portfolio").text == first  # and shown the same from memory
    system = next(iter(agency.values()))
    AISystem.update(name="Zz renamed system").where(AISystem.id == system.id).execute()
    again = viewer.get("/portfolio").text
    assert "Zz renamed system" in names(again) and system.name not in names(again)
    french = viewer.get("/portfolio", headers={"Accept-Language": "fr"}).text
    english = viewer.get("/portfolio", headers={"Accept-Language": "en"}).text
    assert "pas prêt" in french and ">not ready<" not in french
    assert ">not ready<" in english and "pas prêt" not in english


def test_each_row_is_written_once_then_read_as_written(sign_in_as, agency, monkeypatch):
    monkeypatch.setattr(portfolio, "_WRITTEN", {})  # what earlier tests' pages kept
    viewer = sign_in_as("viewer")
    viewer.get("/portfolio")  # the "signed in" message shown
    first = viewer.get("/portfolio").text
    kept = {key: html for key, (_row, html) in portfolio._WRITTEN.items() if key[1] == "act"}
    assert len(kept) >= len(agency) and all(html in first for html in kept.values())
    # The next page is written from what was kept: a kept row's HTML is what it shows.
    key, html = next(iter(kept.items()))
    row = portfolio._WRITTEN[key][0]
    portfolio._WRITTEN[key] = (row, Markup(html.replace(row.name, "Kept row marker")))
    assert "Kept row marker" in viewer.get("/portfolio").text
    # Another view writes its own rows, with its own columns.
    frameworks = viewer.get("/portfolio?view=frameworks").text
    assert "Kept row marker" not in frameworks and row.name in frameworks
