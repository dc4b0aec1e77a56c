"""The reminder digest's layout: a summary line counting by urgency, agency-wide items once in a
group of their own, a button per system, an equally clear plain-text part, and HTML that loads
nothing from anywhere but the tracker itself."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tracker.config import Settings
from tracker.reminders.claiming import Claimed
from tracker.reminders.digest import summary_line, urgency
from tracker.reminders.mail import compose, environment

BASE = "https://tracker.police.example"
SWEEP = date(2026, 3, 2)


def payload(**fields) -> dict:
    return {
        "kind": "missing",
        "title": "An item",
        "status": "missing",
        "system_id": None,
        "system_name": "",
        "requirement_id": None,
        "due": None,
        "citation": "",
        "detail": "",
        "evidence_id": None,
        "waiver_id": None,
        **fields,
    }


LIVE = {"system_id": 1, "system_name": "Live facial recognition"}
CHAT = {"system_id": 2, "system_name": "Crime report chatbot"}
ROWS = [
    payload(
        title="Data protection impact assessment (due before deployment and use)",
        requirement_id="eu-led.dpia",
        citation="Directive (EU) 2016/680, Art 27",
        **LIVE,
    ),
    payload(
        kind="expiring",
        status="expiring_soon",
        title="Accuracy test report",
        requirement_id="eu-ai-act.accuracy",
        due="2026-03-20",
        citation="Regulation (EU) 2024/1689, Art 15",
        **LIVE,
    ),
    payload(
        kind="expiring",
        status="satisfied",
        title="Chatbot transparency notice",
        requirement_id="eu-ai-act.transparency",
        due="2026-04-25",
        citation="Regulation (EU) 2024/1689, Art 50",
        **CHAT,
    ),
    payload(
        title="Data protection officer designated",
        requirement_id="eu-led.dpo",
        citation="Directive (EU) 2016/680, Art 32",
    ),
    payload(
        kind="review_overdue",
        status="pending_review",
        title="Bias audit 2026",
        due="2026-02-20",
        evidence_id=7,
        detail="uploaded 2026-02-13",
    ),
]


def digest(payloads: list[dict] = ROWS, optional: bool = True):
    settings = Settings(base_url=BASE)
    rows = [
        Claimed(f"k{number}", not optional, SWEEP, item) for number, item in enumerate(payloads)
    ]
    message = compose(
        rows, "dpo@police.example", "David Okafor", settings, "tok", environment(settings)
    )
    text, page = (part.get_payload(decode=True).decode() for part in message.get_payload())
    return message, text, page


@pytest.mark.parametrize(
    ("fields", "bucket"),
    [
        ({"kind": "missing", "status": "missing"}, "needed"),  # reminded only while it blocks
        ({"kind": "rejected", "status": "rejected"}, "needed"),
        ({"kind": "expired", "status": "expired", "due": "2026-01-31"}, "overdue"),
        ({"kind": "event_deadline", "status": "overdue", "due": "2026-03-01"}, "overdue"),
        ({"kind": "event_deadline", "status": "open", "due": "2026-03-03"}, "due_soon"),
        ({"kind": "expiring", "status": "expiring_soon", "due": "2026-04-01"}, "due_soon"),
        ({"kind": "expiring", "status": "satisfied", "due": "2026-04-02"}, "later"),
        ({"kind": "waiver_expiring", "status": "waived", "due": "2026-03-09"}, "due_soon"),
        ({"kind": "operator_certificate", "status": "expiring_soon"}, "due_soon"),
        ({"kind": "operator_certificate", "status": "missing"}, "needed"),
        ({"kind": "review_overdue", "status": "pending_review", "due": "2026-02-01"}, "to_review"),
        ({"kind": "escalation", "status": "pending_review", "due": "2026-02-01"}, "to_review"),
        ({"kind": "escalation", "status": "missing"}, "needed"),
    ],
)
def test_each_payload_falls_in_one_urgency_bucket(fields, bucket):
    assert urgency(payload(**fields), SWEEP) == bucket


def test_the_summary_line_counts_the_non_zero_buckets_most_urgent_first():
    counts = {"to_review": 2, "overdue": 3, "needed": 4, "due_soon": 5, "later": 0}
    assert summary_line(counts) == (
        "3 overdue, 4 needed before the next stage, 5 due within 30 days, 2 to review"
    )


def test_both_parts_open_with_the_same_summary_line_and_group_by_system():
    message, text, page = digest()
    summary = "2 needed before the next stage, 1 due within 30 days, 1 to review, 1 due later"
    assert summary in str(message["Subject"])
    assert text.splitlines()[3] == summary  # the line right under the greeting's sentence
    assert 'id="summary"' in page and f">{summary}</p>" in page
    # Agency-wide first, once, then each system once with its own counts.
    headings = re.findall(r"^== (.+) ==$", text, re.M)
    assert headings == ["Agency-wide", "Live facial recognition", "Crime report chatbot"]
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", page) == headings
    live = text.split("== Live facial recognition ==")[1].split("== Crime")[0]
    assert live.splitlines()[1] == "1 needed before the next stage, 1 due within 30 days"
    # Most urgent first inside a group; each item with status, due date, citation and link.
    assert live.index("[NEEDED BEFORE THE NEXT STAGE] Data protection") < live.index(
        "[DUE WITHIN 30 DAYS] Accuracy"
    )
    assert "Status: Evidence expiring soon: expiring soon" in live
    assert "Due: 20 Mar 2026" in live and "Why: Regulation (EU) 2024/1689, Art 15" in live
    assert f"{BASE}/systems/1?requirement=eu-ai-act.accuracy" in live


def test_agency_wide_items_come_once_even_when_sent_with_every_system():
    agency = payload(title="Data protection officer designated", requirement_id="eu-led.dpo")
    _, text, page = digest([agency, payload(**LIVE, title="DPIA"), payload(**CHAT, title="Log")])
    assert text.count("Data protection officer designated") == 1
    assert page.count("Data protection officer designated") == 1
    assert text.index("== Agency-wide ==") < text.index("== Live facial recognition ==")


def test_each_group_has_a_button_that_opens_its_page():
    _, text, page = digest()
    buttons = re.findall(r'<a class="system-button" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert buttons == [
        (f"{BASE}/portfolio", "Open the portfolio"),
        (f"{BASE}/systems/1", "Open Live facial recognition"),
        (f"{BASE}/systems/2", "Open Crime report chatbot"),
    ]
    assert f"Open this system: {BASE}/systems/2" in text
    _, text, page = digest([ROWS[-1]])  # only reviews waiting: the review queue
    assert f'href="{BASE}/reviews"' in page and f"Open the review queue: {BASE}/reviews" in text


def test_the_html_loads_nothing_from_outside_the_tracker():
    _, _, page = digest()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, re.I)
    assert urls  # the links are there ...
    outside = [u for u in urls if re.match(r"(?i)https?:", u) and not u.startswith(BASE + "/")]
    assert outside == []  # ... and all of them point at the tracker itself
    assert not re.search(r"(?i)<\s*(link|script|img|iframe|object|embed|style)\b", page)
    assert not re.search(r"(?i)url\(|@import", page)  # no CSS that fetches
