"""The Reminders page in a browser: a capped digest's rows that the e-mail counted without listing
them, and an e-mail longer than the page lists, at desktop and phone width."""

from __future__ import annotations

import pytest

from tests.browser.test_forms_pages import WIDTHS, shot, signed_in
from tests.web.conftest import systems  # noqa: F401  (fixture)
from tests.web.test_activity_pages import TODAY, planned
from tracker.models import Notification
from tracker.reminders import claiming, history, ledger

SHOWN = 5


@pytest.fixture
def agency(settings, people, live_server, demo_agency) -> str:
    return live_server


@pytest.fixture
def capped_digest(systems, monkeypatch) -> None:  # noqa: F811
    """One DPO digest of twelve items that listed four and counted the others; the page lists
    five items an e-mail."""
    monkeypatch.setattr(history, "ITEMS_SHOWN", SHOWN)
    face, chatbot = systems["Body-worn camera face search"], systems["Crime report chatbot"]
    rows = [
        planned("dpo@police.example", "missing", face if n % 2 else chatbot, None, n)
        for n in range(12)
    ]
    ledger.record(rows, TODAY)
    keys = [p.key for p in rows]
    ids = [n.id for n in Notification.select().where(Notification.key.in_(keys))]
    claiming.claim(ids)
    claiming.mark_sent(ids, "<reminder.capped@tracker>", listed=ids[:4])


@pytest.mark.parametrize("width", WIDTHS)
def test_a_capped_digest_says_what_it_only_counted_and_what_the_page_leaves_out(
    browser, agency, people, capped_digest, width
):
    page = signed_in(browser, agency, people["dpo"], width)
    page.goto(f"{agency}/reminders?recipient=dpo@police.example")
    digest = page.locator("details", has_text="12 items").first
    digest.locator("summary").click()
    items = digest.locator("li")
    assert items.count() == SHOWN + 1  # the items shown and the line counting the others
    assert digest.get_by_text("7 more items not shown here").is_visible()
    counted = digest.get_by_text("counted in the e-mail, not listed")
    assert counted.count() >= 1 and counted.first.is_visible()
    shot(page, "reminders-capped-digest", width)
