"""A digest lists at most TRACKER_DIGEST_MAX_ITEMS items: the most urgent of the whole message,
grouped by system as always, the others counted by urgency with a link to where they are. The
subject and the summary count every item, and every row is recorded as sent by the e-mail."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import DEPLOYMENT
from tests.reminders.test_digest_layout import BASE, ROWS, SWEEP, payload
from tracker.config import Settings
from tracker.models import Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger, mail
from tracker.reminders.claiming import Claimed
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.mail import compose, environment
from tracker.reminders.planning import load_preferences

CAP = 10
LIVE = {"system_id": 1, "system_name": "Live facial recognition"}
CHAT = {"system_id": 2, "system_name": "Crime report chatbot"}
PLATE = {"system_id": 3, "system_name": "Number plate reader"}


def digest(payloads: list[dict], cap: int = CAP, language: str | None = None):
    settings = Settings(base_url=BASE, digest_max_items=cap)
    rows = [Claimed(f"k{number}", False, SWEEP, item) for number, item in enumerate(payloads)]
    message = compose(
        rows,
        "dpo@police.example",
        "David Okafor",
        settings,
        "tok",
        environment(settings),
        language=language,
    )
    text, page = (part.get_payload(decode=True).decode() for part in message.get_payload())
    return message, text, page


def listed(text: str) -> list[str]:
    """The items the plain text lists, as "[URGENCY] title", in order."""
    return re.findall(r"^- (\[[A-Z0-9 ]+\] .+)$", text, re.M)


def listed_in_html(page: str) -> list[str]:
    return re.findall(
        r'<div style="margin:4px 0 2px 0;font-weight:bold;"><a [^>]+>([^<]+)</a>', page
    )


def overdue(title: str, due: str, **system) -> dict:
    return payload(kind="expired", status="expired", title=title, due=due, **system)


def needed(title: str, **system) -> dict:
    return payload(title=title, **system)


def later(title: str, **system) -> dict:
    return payload(kind="expiring", status="satisfied", title=title, due="2026-06-01", **system)


def review(title: str, evidence_id: int) -> dict:
    return payload(
        kind="review_overdue",
        status="pending_review",
        title=title,
        due="2026-02-20",
        evidence_id=evidence_id,
    )


# 40 items: 4 overdue, 7 needed (2 of them escalations), 3 due soon, 6 to review, 20 due later.
MANY = [
    *(later(f"Later {n}", **(LIVE, CHAT, PLATE)[n % 3]) for n in range(20)),
    *(review(f"Review {n}", 100 + n) for n in range(6)),
    needed("Needed 0", **LIVE),
    needed("Needed 1", **CHAT),
    overdue("Overdue late", "2026-02-25", **CHAT),
    payload(kind="escalation", status="missing", title="Escalated 0", **PLATE),
    needed("Needed 2"),  # agency-wide
    overdue("Overdue earliest", "2026-01-05", **PLATE),
    needed("Needed 3", **PLATE),
    needed("Needed 4", **LIVE),
    overdue("Overdue middle", "2026-02-01", **LIVE),
    payload(kind="escalation", status="missing", title="Escalated 1", **LIVE),
    overdue("Overdue second", "2026-01-20"),  # agency-wide
    *(
        payload(
            kind="expiring", status="expiring_soon", title=f"Soon {n}", due="2026-03-20", **CHAT
        )
        for n in range(3)
    ),
]


def test_under_the_cap_the_digest_is_unchanged():
    exactly = digest(ROWS, cap=len(ROWS))
    roomy = digest(ROWS, cap=10_000)
    assert exactly[1:] == roomy[1:]  # the same text and HTML, to the byte
    assert str(exactly[0]["Subject"]) == str(roomy[0]["Subject"])
    _, text, page = exactly
    assert len(listed(text)) == len(ROWS) and len(listed_in_html(page)) == len(ROWS)
    assert "Listed here" not in text and 'id="not-listed"' not in page
    assert "more are not listed" not in text and "more-button" not in page


def test_over_the_cap_the_most_urgent_of_the_whole_message_are_listed():
    _, text, page = digest(MANY)
    titles = [line.split("] ", 1)[1] for line in listed(text)]
    assert len(titles) == CAP and listed_in_html(page) == titles
    # Every overdue, then the escalations, then the first needed ones as they come; grouped by
    # system, agency-wide first, then the systems whose listed items are the most urgent.
    # Agency-wide first, then each system in the order of its most urgent item; in each, the
    # most urgent first: overdue by due date, then escalations, then needed ones as they come.
    assert titles == [
        "Overdue second",  # agency-wide
        "Needed 2",
        "Overdue earliest",  # Number plate reader: the earliest overdue of all
        "Escalated 0",
        "Needed 3",
        "Overdue middle",  # Live facial recognition
        "Escalated 1",
        "Needed 0",
        "Overdue late",  # Crime report chatbot
        "Needed 1",
    ]  # not listed: Needed 4, the last needed one, and everything less urgent
    headings = re.findall(r"^== (.+) ==$", text, re.M)
    assert headings == [
        "Agency-wide",
        "Number plate reader",
        "Live facial recognition",
        "Crime report chatbot",
    ]
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", page) == headings


def test_over_the_cap_the_subject_and_summary_count_every_item():
    message, text, page = digest(MANY)
    summary = (
        "4 overdue, 7 needed before the next stage, 3 due within 30 days, 6 to review, 20 due later"
    )
    assert str(message["Subject"]).endswith(f"40 items need your attention: {summary}")
    assert "40 items need your attention (as of 2 Mar 2026):" in text
    assert text.splitlines()[3] == summary and f">{summary}</p>" in page
    # Each group's counts are of all its items, and it says how many of them it lists.
    plate = text.split("== Number plate reader ==")[1].split("\n== ")[0]
    assert plate.splitlines()[1] == "1 overdue, 2 needed before the next stage, 6 due later"
    assert plate.splitlines()[2] == "Listed here: 3 of 9, the most urgent."
    assert "Listed here: 3 of 9, the most urgent." in page


def test_over_the_cap_the_others_are_counted_by_urgency_with_links_to_them():
    _, text, page = digest(MANY)
    block = text.split("\n\n")[2]
    assert block.splitlines() == [
        "Listed here: 10 of 40, the most urgent.",
        "30 more are not listed here:",
        "- 1 needed before the next stage",
        "- 3 due within 30 days",
        "- 6 to review",
        "- 20 due later",
        # The most urgent of them are "needed": the systems with the most missing first.
        f"Find them system by system in the portfolio: {BASE}/portfolio?sort=missing&order=desc",
        f"Open the review queue: {BASE}/reviews",
    ]
    box = page.split('id="not-listed"')[1].split("</div>")[0]
    assert re.findall(r"<li>([^<]+)</li>", box) == [
        "1 needed before the next stage",
        "3 due within 30 days",
        "6 to review",
        "20 due later",
    ]
    assert re.search(
        rf'class="more-button" href="{re.escape(BASE)}/portfolio\?sort=missing&amp;order=desc"[^>]*>'
        r"Open the portfolio</a>",
        box,
    )
    assert f'class="more-link" href="{BASE}/reviews"' in box


def test_when_every_item_not_listed_is_one_systems_the_link_is_its_page():
    rows = [overdue(f"Overdue {n}", "2026-02-01", **LIVE) for n in range(CAP)]
    rows += [later(f"Later {n}", **LIVE) for n in range(5)]
    _, text, page = digest(rows)
    assert "5 more are not listed here:\n- 5 due later\n" in text
    assert f"Find them on the page of Live facial recognition: {BASE}/systems/1\n" in text
    assert re.search(
        rf'class="more-button" href="{re.escape(BASE)}/systems/1"[^>]*>Open Live facial recognition<',
        page,
    )
    assert "Open the review queue" not in text


def test_when_only_reviews_are_not_listed_the_link_is_the_review_queue():
    rows = [overdue(f"Overdue {n}", "2026-02-01", **(LIVE, CHAT)[n % 2]) for n in range(CAP)]
    rows += [review(f"Review {n}", 200 + n) for n in range(3)]
    _, text, page = digest(rows)
    assert "3 more are not listed here:\n- 3 to review\n" in text
    assert text.count(f"Open the review queue: {BASE}/reviews") == 1
    assert re.search(
        rf'class="more-button" href="{re.escape(BASE)}/reviews"[^>]*>Open the review queue<', page
    )
    assert "more-link" not in page


def test_overdue_items_not_listed_send_the_reader_to_the_most_overdue_systems():
    rows = [
        overdue(f"Overdue {n}", f"2026-02-{n + 1:02d}", **(LIVE, CHAT)[n % 2]) for n in range(15)
    ]
    _, text, _ = digest(rows)
    assert f"{BASE}/portfolio?sort=overdue&order=desc" in text
    # The earliest due are the ones listed.
    assert [line.split("] ")[1] for line in listed(text)] == sorted(
        (f"Overdue {n}" for n in range(10)), key=lambda title: (int(title.split()[1]) % 2, title)
    )


def test_a_capped_digest_in_french_counts_in_french():
    message, text, page = digest(MANY, language="fr")
    assert "40 éléments requièrent votre attention" in str(message["Subject"])
    assert "- 6 à examiner" in text and "<li>6 à examiner</li>" in page
    assert "Ouvrir la file d'examen : https://" in text


def test_rows_beyond_the_cap_are_counted_not_rendered(monkeypatch):
    made = []
    real = mail.localised
    monkeypatch.setattr(mail, "localised", lambda p, tz: made.append(p) or real(p, tz))
    rows = [
        later(f"Later {n}", system_id=n % 50 + 1, system_name=f"S{n % 50}") for n in range(5000)
    ]
    message, text, _ = digest(rows)
    assert len(made) == CAP and len(listed(text)) == CAP
    assert "5000 items need your attention" in str(message["Subject"])
    assert "4990 more are not listed here:\n- 4990 due later\n" in text
    assert len(text) < 10_000  # a page of text, not one per item


def test_every_row_of_a_capped_digest_is_marked_sent_with_its_message_id(seeded, smtp):
    settings = seeded.with_overrides(digest_max_items=CAP)
    result = sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), settings)
    messages = ledger.messages(load_preferences())
    largest = max(messages, key=lambda message: len(message.ids))
    assert len(largest.ids) > CAP  # the demo agency's DPO is owed more than that
    sent = deliver(messages, settings, final_attempt=False)
    assert sent.sent == len(messages) == len(smtp.mailbox.received) and sent.failed == 0
    assert Notification.select().where(Notification.state != "sent").count() == 0
    assert Notification.select().count() == len(result.planned)
    received = smtp.mailbox.to(largest.recipient)
    assert len(received) == 1
    email = received[0]
    text = smtp.mailbox.text(email)
    assert len(listed(text)) == CAP
    assert f"{len(largest.ids)} items need your attention" in email["Subject"]
    assert f"Listed here: {CAP} of {len(largest.ids)}, the most urgent." in text
    assert f"{len(largest.ids) - CAP} more are not listed here:" in text
    # Every row of the message, listed or counted, carries the Message-ID of the e-mail.
    rows = Notification.select().where(Notification.id.in_(largest.ids))
    assert {row.message_id for row in rows} == {email["Message-ID"]}
    assert {row.state for row in rows} == {"sent"}


@pytest.mark.parametrize("cap", [CAP, 10_000])
def test_the_message_id_covers_every_row_whatever_the_cap(cap):
    short, _, _ = digest(MANY, cap=cap)
    other, _, _ = digest([*MANY, later("One more")], cap=cap)
    assert short["Message-ID"] != other["Message-ID"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_subject_goes_out_as_its_words_in_lines_of_at_most_78(language):
    """An ASCII subject as it is, folded at spaces; another in base64 encoded words (RFC 2047);
    either reads back as the same words."""
    import email
    import email.policy

    message, _, _ = digest(MANY, language=language)
    sent = message.as_bytes(policy=mail.SENDING_POLICY)
    head = sent.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject = re.search(r"^Subject: .*?(?=\r\n\S)", head, re.M | re.S).group(0)
    assert all(len(line) <= 78 for line in subject.split("\r\n"))
    assert ("=?utf-8?b?" in subject) == (language == "fr")
    parsed = email.message_from_bytes(sent, policy=email.policy.default)
    assert parsed["Subject"] == str(message["Subject"])
    if language == "en":  # readable as it is in the message's bytes
        assert "40 items need your attention" in subject.replace("\r\n ", " ")
