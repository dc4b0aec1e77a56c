"""Every link in a delivered reminder opens the web page where the reader acts: signed out,
the reader signs in and lands on that page with the item shown."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import date, timedelta
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import DEPLOYMENT
from tests.web.conftest import PASSWORD, csrf_token
from tracker import accounts, sign_in
from tracker.app import create_app
from tracker.models import Evidence, Notification, Waiver
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.mail import item_link
from tracker.reminders.planning import load_preferences

BASE = "https://tracker.police.example"
LINK = re.compile(re.escape(BASE) + r"[^\s\"<>]*")


def sweep_and_send(settings, as_of: date) -> None:
    sweep(as_of, load_catalogue(deployment=DEPLOYMENT), settings)
    deliver(ledger.messages(load_preferences()), settings, final_attempt=True)


def expected_on_page(payload: dict, catalogue) -> str:
    """What the page a link opens must show of the item."""
    if payload.get("kind") == "review_overdue":
        return Evidence.get_by_id(payload["evidence_id"]).title
    if payload.get("waiver_id"):
        return f"Waiver {payload['waiver_id']}"
    return catalogue.requirements[payload["requirement_id"]].title


@pytest.fixture
def app(seeded, migrated):
    """The app for a DPO who follows every link of the e-mails, signing in afresh for each: more
    sign-ins in a minute than the sign-in rate limit allows, which tests/web/test_rate_limits.py
    tests on its own."""
    return create_app(dataclasses.replace(seeded, sign_in_rate_limit="off"))


def test_every_link_in_a_reminder_leads_to_its_page_after_sign_in(seeded, smtp, app):
    today = date.today()
    waiver = Waiver.get(Waiver.state == "approved")
    for day in (today, today + timedelta(days=25), waiver.expires_on - timedelta(days=6)):
        sweep_and_send(seeded, day)
    mail_links = set()
    for message in smtp.mailbox.received:
        text = smtp.mailbox.text(message)
        page = message.get_body(("html",)).get_content()
        mail_links |= set(LINK.findall(text)) | {html.unescape(u) for u in LINK.findall(page)}
    assert mail_links and not [u for u in mail_links if "/api/" in u]

    catalogue = load_catalogue(deployment=DEPLOYMENT)
    expected = {}
    for payload in Notification.select(Notification.payload).where(Notification.state == "sent"):
        link = item_link(payload.payload, BASE)
        assert link in mail_links
        expected[link] = expected_on_page(payload.payload, catalogue)
    kinds = {urlsplit(link).path.split("/")[1] for link in expected}
    assert kinds >= {"systems", "evidence", "waivers"}

    dpo = accounts.get_user("d.okafor")
    sign_in.set_password(dpo, PASSWORD, "test")
    for link, shown in sorted(expected.items()):
        target = link.removeprefix(BASE)
        client = app.test_client()
        bounced = client.get(target)
        assert bounced.status_code == 302
        sign_in_url = bounced.headers["Location"]
        assert sign_in_url.startswith("/sign-in?next=") and unquote(
            sign_in_url.split("next=", 1)[1]
        ) == (target)
        landed = client.post(
            sign_in_url,
            data={"username": "d.okafor", "password": PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert landed.status_code == 302 and landed.headers["Location"] == target
        page = client.get(target)
        assert page.status_code == 200
        body = html.unescape(page.text)
        assert shown in body, (link, shown)
        if "?requirement=" in target:
            assert 'id="focus"' in body


def test_the_unsubscribe_link_asks_before_it_declines(seeded, smtp, app):
    sweep_and_send(seeded, date.today() + timedelta(days=25))
    dpo_mail = smtp.mailbox.text(smtp.mailbox.to("dpo@police.example")[0])
    link = next(u for u in LINK.findall(dpo_mail) if "/unsubscribe/" in u)
    client = app.test_client()
    asked = client.get(link.removeprefix(BASE))
    assert asked.status_code == 200 and "Stop optional reminders" in asked.text
    token = link.rsplit("/", 1)[1]
    from tracker.models import NotificationPreference

    assert NotificationPreference.get(
        NotificationPreference.unsubscribe_token == token
    ).opted_out in (
        [],
        None,
    )
    done = client.post(
        link.removeprefix(BASE), data={"csrf_token": csrf_token(client, link.removeprefix(BASE))}
    )
    assert done.status_code == 200 and "no longer receives optional reminders" in done.text
    assert set(
        NotificationPreference.get(NotificationPreference.unsubscribe_token == token).opted_out
    ) == {"expiring", "review_overdue", "waiver_expiring"}
    assert client.get("/unsubscribe/not-a-token").status_code == 404
