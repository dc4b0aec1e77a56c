"""The reminders page reads of a large e-mail only what it shows: its first items (ITEMS_SHOWN),
their payloads alone, and it says how many more the e-mail carried. A DPO's digest can carry
hundreds of thousands of rows."""

from __future__ import annotations

import re

import pytest

from tests.web.queries import app_database, counted
from tests.web.test_activity_pages import DPIA, TODAY, planned, send
from tracker.models import Notification
from tracker.reminders import claiming, history

SHOWN = 5


@pytest.fixture
def few_shown(monkeypatch) -> None:
    monkeypatch.setattr(history, "ITEMS_SHOWN", SHOWN)


def big_digest(systems, rows: int = 12) -> list[int]:
    face, chatbot = systems["Body-worn camera face search"], systems["Crime report chatbot"]
    return send(
        [
            planned("dpo@police.example", "missing", face if n % 2 else chatbot, None, n)
            for n in range(rows)
        ],
        TODAY,
        "sent",
        "<reminder.big@tracker>",
    )


def titles(ids: list[int]) -> list[str]:
    return [Notification.get_by_id(row_id).payload["title"] for row_id in ids]


def in_page_order(ids: list[int]) -> list[int]:
    """The rows as the page lists them: by system, then row (NULL as the database sorts it)."""
    query = Notification.select(Notification.id).where(Notification.id.in_(ids))
    return [row.id for row in query.order_by(Notification.system_id, Notification.id)]


def test_a_large_e_mail_shows_its_first_items_and_says_how_many_more(
    sign_in_as, systems, few_shown
):
    ids = big_digest(systems)
    page = sign_in_as("auditor").get("/reminders").text
    assert "12 items" in page  # the e-mail's count is every row's
    shown = re.findall(r"Item \d+ as the e-mail said it", page)
    assert shown == titles(in_page_order(ids)[:SHOWN])
    assert "7 more items not shown here" in page


def test_the_page_reads_the_payloads_it_shows_and_no_other(
    sign_in_as, systems, few_shown, monkeypatch
):
    ids = big_digest(systems)
    auditor = sign_in_as("auditor")
    read: list[int] = []
    real = claiming.payloads_by_id
    monkeypatch.setattr(claiming, "payloads_by_id", lambda chunk: read.extend(chunk) or real(chunk))
    with counted(app_database()) as statements:
        auditor.get("/reminders")
    assert read == in_page_order(ids)[:SHOWN]
    assert any("ROW_NUMBER" in sql for sql in statements)  # the page's statements, counted
    # One statement reads payloads, that of the rows shown; the rows' statement does not.
    assert len([sql for sql in statements if "payload" in sql]) == 1


def test_an_e_mail_under_the_cap_shows_every_item_and_no_more_line(sign_in_as, systems):
    big_digest(systems, rows=4)
    page = sign_in_as("auditor").get("/reminders").text
    assert len(re.findall(r"Item \d+ as the e-mail said it", page)) == 4
    assert "not shown here" not in page


def test_the_last_error_of_a_row_not_shown_is_still_shown(sign_in_as, systems, few_shown):
    face = systems["Body-worn camera face search"]
    ids = send(
        [planned("gone@police.example", "missing", face, DPIA, n) for n in range(8)],
        TODAY,
        "failed",
    )
    Notification.update(last_error="").execute()
    last = in_page_order(ids)[-1]
    Notification.update(last_error="SMTPDataError: 554 too big").where(
        Notification.id == last
    ).execute()
    page = sign_in_as("auditor").get("/reminders").text
    assert "Last error: SMTPDataError: 554 too big" in page
    assert "3 more items not shown here" in page


def test_the_page_costs_the_same_statements_for_few_or_many_e_mails_and_rows(
    sign_in_as, systems, few_shown
):
    """(Counted on the database the models use: tests.web.test_activity_pages counts on the
    ``migrated`` fixture's, which the page does not run its statements on.)"""
    face = systems["Body-worn camera face search"]
    auditor = sign_in_as("auditor")
    send([planned("one@police.example", "missing", face, DPIA, 0)], TODAY, "sent", "<r.0@t>")
    with counted(Notification._meta.database.obj) as few:
        auditor.get("/reminders")
    big_digest(systems, rows=30)
    for n in range(1, 20):
        rows = [
            planned(f"p{n}@police.example", "missing", face, DPIA, 100 * n + i) for i in range(3)
        ]
        send(rows, TODAY, "sent", f"<r.{n}@t>")
    with counted(Notification._meta.database.obj) as many:
        page = auditor.get("/reminders").text
    assert "25 more items not shown here" in page
    assert len(many) == len(few), many
