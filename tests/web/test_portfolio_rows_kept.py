"""The portfolio remembers the rows it has shown (the first page is the one everybody opens), by
what identifies their content: a system that changes is shown changed at once, and each reader
reads the rows in their own language."""

from __future__ import annotations

import re

import pytest

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
