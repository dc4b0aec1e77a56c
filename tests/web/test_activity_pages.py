"""The reminders page (one row per e-mail, with its items) and the audit trail (names, the
chain's state, filters, pages, CSV), each in a bounded number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from tests.factories import profile
from tests.web.queries import app_database, counted
from tracker import accounts, register
from tracker.models import AISystem, AuditEvent, Notification
from tracker.reminders import claiming, ledger
from tracker.reminders.kinds import Recipient
from tracker.reminders.planning import Planned
from tracker.web.csv_export import cell

TODAY = date.today()
DPIA = "eu-led.dpia"


def body_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].rsplit("</tbody>", 1)[0]
    return re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>\n", body, re.S)


def planned(recipient: str, kind: str, system: AISystem | None, requirement: str, n: int):
    payload = {
        "title": f"Item {n} as the e-mail said it",
        "system_name": system.name if system else "",
    }
    return Planned(
        f"{recipient}|{kind}|{n}|{TODAY}",
        Recipient(recipient, recipient.split("@")[0].replace(".", " ").title()),
        kind,
        f"item-{n}",
        TODAY.isoformat(),
        system.id if system else None,
        requirement,
        True,
        payload,
    )


def send(rows: list[Planned], sweep: date, state: str, message_id: str = "") -> list[int]:
    """Record rows as one e-mail and bring them to ``state`` the way delivery does."""
    ledger.record(rows, sweep)
    ids = [n.id for n in Notification.select().where(Notification.key.in_([p.key for p in rows]))]
    if state == "sent":
        claiming.claim(ids)
        claiming.mark_sent(ids, message_id)
    elif state == "failed":
        claiming.claim(ids)
        claiming.release(ids, "SMTPRecipientsRefused: 550 No such mailbox", failed=True)
    return ids


@pytest.fixture
def mailings(systems) -> None:
    face, chatbot = systems["Body-worn camera face search"], systems["Crime report chatbot"]
    send(
        [
            planned("dpo@police.example", "missing", face, DPIA, 1),
            planned("dpo@police.example", "expiring", chatbot, "eu-gdpr.dpia", 2),
            planned("dpo@police.example", "missing", None, "toolkit.responsible_ai_strategy", 3),
        ],
        TODAY - timedelta(days=1),
        "sent",
        "<reminder.1@tracker>",
    )
    send(
        [planned("lea.martin@police.example", "missing", face, DPIA, 4)],
        TODAY - timedelta(days=1),
        "sent",
        "<reminder.2@tracker>",
    )
    send(
        [
            planned("gone@police.example", "missing", face, DPIA, 5),
            planned("gone@police.example", "rejected", chatbot, "eu-gdpr.dpia", 6),
        ],
        TODAY,
        "failed",
    )
    send([planned("dpo@police.example", "review_overdue", None, None, 7)], TODAY, "pending")


def test_the_reminders_page_shows_one_row_per_e_mail_with_its_items_by_name(sign_in_as, mailings):
    page = sign_in_as("auditor").get("/reminders").text
    rows = body_rows(page)
    assert len(rows) == 4  # seven notifications, four e-mails
    newest_first = [re.search(r"[\w.]+@police\.example", row).group(0) for row in rows]
    assert newest_first == [
        "dpo@police.example",
        "gone@police.example",
        "lea.martin@police.example",
        "dpo@police.example",
    ]
    digest = rows[3]
    assert "3 items" in digest and "Sent" in digest
    # Items by system name and requirement title; the id only in small print.
    assert "Body-worn camera face search</a>" in digest
    assert "Data protection impact assessment" in digest
    assert f'<code class="rid">{DPIA}</code>' in digest
    assert "Agency-wide" in digest  # the agency-wide strategy item
    failed = rows[1]
    assert "Failed" in failed and "2 items" in failed and "550 No such mailbox" in failed
    assert "1 attempt" in failed
    pending = rows[0]
    assert "Waiting to be sent" in pending and "Item 7 as the e-mail said it" in pending
    assert "Sent: 2" in page and "Failed: 1" in page and "Waiting to be sent: 1" in page


def test_the_reminders_filters_pick_e_mails_by_state_kind_and_recipient(sign_in_as, mailings):
    auditor = sign_in_as("auditor")
    failed = body_rows(auditor.get("/reminders?state=failed").text)
    assert len(failed) == 1 and "gone@police.example" in failed[0]
    by_kind = body_rows(auditor.get("/reminders?kind=rejected").text)
    assert len(by_kind) == 1 and "1 item" in by_kind[0]  # only the matching item is listed
    mine = body_rows(auditor.get("/reminders?recipient=DPO@police.example").text)
    assert len(mine) == 2
    nothing = auditor.get("/reminders?recipient=nobody@police.example").text
    assert body_rows(nothing) == [] and "No e-mail matches these filters." in nothing
    # An unknown state is ignored rather than matching nothing silently.
    assert len(body_rows(auditor.get("/reminders?state=bogus").text)) == 4


def test_the_reminders_page_costs_the_same_queries_for_few_or_many_e_mails(sign_in_as, systems):
    face = systems["Body-worn camera face search"]
    auditor = sign_in_as("auditor")

    def mail(first: int, last: int) -> None:
        for n in range(first, last):
            rows = [
                planned(f"person{n}@police.example", "missing", face, DPIA, n * 10 + i)
                for i in range(3)
            ]
            send(rows, TODAY, "sent", f"<reminder.{n}@tracker>")

    mail(0, 2)
    with counted(app_database()) as few:
        assert len(body_rows(auditor.get("/reminders").text)) == 2
    mail(2, 30)
    with counted(app_database()) as many:
        assert len(body_rows(auditor.get("/reminders").text)) == 30
    assert few and len(many) == len(few) <= 10, many


def test_reminders_come_in_pages_of_fifty(sign_in_as, systems):
    face = systems["Body-worn camera face search"]
    for n in range(55):
        send([planned(f"p{n}@police.example", "missing", face, DPIA, n)], TODAY, "pending")
    auditor = sign_in_as("auditor")
    first = auditor.get("/reminders").text
    assert len(body_rows(first)) == 50 and "Page 1 of 2" in first
    second = auditor.get("/reminders?page=2").text
    assert len(body_rows(second)) == 5 and 'rel="prev"' in second
    assert "p0@police.example" in second  # the oldest last


def test_reminders_and_audit_are_for_auditors_dpos_and_admins_only(sign_in_as):
    for path in ("/reminders", "/audit", "/audit.csv"):
        assert sign_in_as("viewer").get(path).status_code == 403, path
        assert sign_in_as("auditor").get(path).status_code == 200, path


# --- the audit trail ---


@pytest.fixture
def named_actor(people) -> str:
    user = accounts.create_user("l.martin", "legal", "test-setup", full_name="Léa Martin")
    return user.username


def audit_rows(page: str) -> list[str]:
    body = page.split('<table class="audit stack">', 1)[1].split("<tbody>", 1)[1]
    body = body.rsplit("</tbody></table></div>", 1)[0]
    return re.findall(r'<tr>\s*<td data-label="#">(\d+)</td>(.*?)\n</tr>', body, re.S)


def test_the_audit_trail_names_actors_and_entities_and_links_them(app, sign_in_as, named_actor):
    catalogue = app.extensions["tracker"].catalogue
    system = register.create_system(profile(name="Crime report chatbot"), named_actor, catalogue)
    page = sign_in_as("auditor").get("/audit?action=system.created").text
    rows = audit_rows(page)
    assert len(rows) == 1
    _event_id, row = rows[0]
    assert "Léa Martin" in row and "l.martin" in row  # the name, the username in small print
    assert f'<a href="/systems/{system.id}">Crime report chatbot</a>' in row
    assert "AI system" in row
    # The user accounts made for the test are named too.
    users = sign_in_as("auditor").get("/audit?entity_type=user").text
    assert "User: Léa Martin" in users


def test_the_audit_trail_shows_that_the_chain_verifies_then_where_it_breaks(
    app, sign_in_as, people, migrated
):
    auditor = sign_in_as("auditor")
    total = AuditEvent.select().count()
    page = auditor.get("/audit").text
    assert "chain-ok" in page and f"Chain verified: {total} events, the head matches." in page
    assert 'href="/audit?verify=now">Check again now</a>' in page
    victim = AuditEvent.select().order_by(AuditEvent.id).first()
    migrated.execute_sql(
        "UPDATE audit_event SET actor = 'someone-else' WHERE id = " + str(victim.id)
    )
    broken = auditor.get("/audit?verify=now").text
    assert "chain-broken" in broken
    assert f"Chain broken at event {victim.id}" in broken and "was altered" in broken
    # A check is reused only while the head is the same: a new event means a new walk.
    register.create_system(profile(), "test", app.extensions["tracker"].catalogue)
    assert "chain-broken" in auditor.get("/audit").text


def test_audit_filters_are_kept_in_the_form_the_pages_and_the_csv_link(
    app, sign_in_as, named_actor
):
    catalogue = app.extensions["tracker"].catalogue
    for n in range(3):
        register.create_system(profile(name=f"System {n}"), named_actor, catalogue)
    auditor = sign_in_as("auditor")
    page = auditor.get("/audit?actor=l.martin&action=system.created").text
    assert len(audit_rows(page)) == 3 and "3 events" in page
    assert 'value="l.martin"' in page and "<option selected>system.created</option>" in page
    assert 'href="/audit.csv?actor=l.martin&amp;action=system.created"' in page
    bad = auditor.get("/audit?since=last+tuesday")
    assert bad.status_code == 422 and 'id="since-error"' in bad.text
    assert audit_rows(bad.text) == []
    assert auditor.get("/audit.csv?since=last+tuesday").status_code == 400


def test_the_audit_csv_has_every_matching_event_with_names_and_no_formulas(
    app, sign_in_as, named_actor
):
    catalogue = app.extensions["tracker"].catalogue
    register.create_system(
        profile(name='=HYPERLINK("http://evil.example")'), named_actor, catalogue
    )
    register.create_system(profile(name="Plain system"), named_actor, catalogue)
    response = sign_in_as("auditor").get("/audit.csv?action=system.created")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="audit-trail-filtered.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["Event", "When (UTC)", "Actor", "Actor's name", "Action"]
    assert [r[4] for r in data] == ["system.created", "system.created"]
    assert [r[7] for r in data] == ["Plain system", '\'=HYPERLINK("http://evil.example")']
    assert {r[3] for r in data} == {"Léa Martin"}
    assert all(len(r[10]) == 64 for r in data)  # each event's hash, to check against the chain


def test_the_csv_helper_keeps_formulas_as_text():
    assert [cell(v) for v in ("=1+1", "+33 1", "-x", "@SUM", "\tx", "plain", 7, None)] == [
        "'=1+1",
        "'+33 1",
        "'-x",
        "'@SUM",
        "'\tx",
        "plain",
        7,
        None,
    ]


def test_the_audit_page_costs_the_same_queries_for_few_or_many_events(app, sign_in_as, named_actor):
    catalogue = app.extensions["tracker"].catalogue
    auditor = sign_in_as("auditor")

    def add(n: int, first: int) -> None:
        for i in range(first, first + n):
            system = register.create_system(profile(name=f"System {i}"), named_actor, catalogue)
            register.add_operator(
                system, {"name": f"Operator {i}", "email": f"op{i}@police.example"}, named_actor
            )

    add(2, 0)
    with counted(app_database()) as few:
        auditor.get("/audit")
    add(20, 2)
    with counted(app_database()) as many:
        page = auditor.get("/audit").text
    assert "Operator 21 on System 21" in page
    assert few and len(many) == len(few), many


def test_the_audit_trail_comes_in_pages(app, sign_in_as, named_actor):
    catalogue = app.extensions["tracker"].catalogue
    for i in range(60):
        register.create_system(profile(name=f"System {i}"), named_actor, catalogue)
    auditor = sign_in_as("auditor")
    first = auditor.get("/audit?action=system.created").text
    assert len(audit_rows(first)) == 50 and "Page 1 of 2" in first
    assert 'href="/audit?page=2&amp;action=system.created"' in first
    second = auditor.get("/audit?page=2&action=system.created").text
    assert len(audit_rows(second)) == 10 and "System 0</a>" in second
