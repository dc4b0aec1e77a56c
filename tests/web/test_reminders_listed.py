"""The ledger as shown (the reminders page, the API) says which rows of a sent digest were only
counted, not listed: a digest over TRACKER_DIGEST_MAX_ITEMS names the most urgent items."""

from __future__ import annotations

from datetime import date

from tracker.models import Notification
from tracker.reminders import claiming, ledger
from tracker.reminders.kinds import Recipient
from tracker.reminders.planning import Planned

TODAY = date.today()


def digest_of_three() -> list[int]:
    """One digest of three rows, sent, the first listed and the others counted."""
    rows = [
        Planned(
            f"dpo@police.example|missing|{n}|{TODAY}",
            Recipient("dpo@police.example", "Dpo"),
            "missing",
            f"item-{n}",
            TODAY.isoformat(),
            None,
            None,
            True,
            {"title": f"Item {n} as the e-mail said it", "status": "missing"},
        )
        for n in range(3)
    ]
    ledger.record(rows, TODAY)
    ids = [row.id for row in Notification.select(Notification.id).order_by(Notification.id)]
    claiming.claim(ids)
    claiming.mark_sent(ids, "<reminder.3@tracker>", listed=ids[:1])
    return ids


def test_the_reminders_page_notes_the_items_counted_not_listed(sign_in_as):
    digest_of_three()
    page = sign_in_as("auditor").get("/reminders").text
    assert "3 items" in page
    assert page.count("counted in the e-mail, not listed") == 2


def test_the_api_says_listed_or_not(client, auth):
    ids = digest_of_three()
    found = client.get("/api/notifications", headers=auth("auditor")).json
    assert {row["id"]: row["listed"] for row in found} == {
        ids[0]: True,
        ids[1]: False,
        ids[2]: False,
    }
    assert {row["state"] for row in found} == {"sent"}
