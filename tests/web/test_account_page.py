"""My account: every signed-in user's own password, API tokens, reminder preferences and language."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, csrf_token
from tracker import accounts, sign_in
from tracker.models import ApiToken, AuditEvent, NotificationPreference, User

NEW_PASSWORD = "a much longer passphrase now"


def _post(client, path: str, data: dict | None = None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/account")})


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _html_lang(client) -> str:
    return re.search(r'<html lang="([^"]+)"', client.get("/account").text)[1]


@pytest.mark.parametrize("role", ["admin", "legal", "dpo", "auditor", "viewer"])
def test_every_role_has_an_account_page_linked_from_the_header(sign_in_as, people, role):
    page = sign_in_as(role).get("/account")
    assert page.status_code == 200
    assert (
        f'<a class="me" href="/account">My account<span class="who"> · {people[role]}' in page.text
    )
    assert "<h1>My account <small>" in page.text


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get("/account")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_page_says_what_my_role_allows(sign_in_as):
    page = sign_in_as("auditor").get("/account").text
    assert "Download evidence files" in page and "Upload evidence</li>" not in page


def test_changing_my_password_ends_my_other_sessions_and_keeps_this_one(sign_in_as, people):
    here, elsewhere = sign_in_as("legal"), sign_in_as("legal")
    response = _post(
        here,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert "signed out everywhere else" in here.get("/account").text  # still signed in here
    assert not _signed_in(elsewhere)
    assert sign_in.check_credentials(people["legal"], NEW_PASSWORD).username == people["legal"]
    event = (
        AuditEvent.select()
        .where(AuditEvent.action == "user.password_set")
        .order_by(AuditEvent.id.desc())[0]
    )
    assert event.actor == people["legal"]


@pytest.mark.parametrize(
    "form, field, message",
    [
        (
            {"current_password": "not it at all", "password": NEW_PASSWORD},
            "current_password",
            "This is not your current password.",
        ),
        (
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": "other"},
            "password_again",
            "The two new passwords differ.",
        ),
        (
            {"current_password": PASSWORD, "password": "short", "password_again": "short"},
            "password",
            "Must be at least 12 characters.",
        ),
    ],
)
def test_a_refused_password_change_says_why_beside_the_field(
    sign_in_as, people, form, field, message
):
    client = sign_in_as("dpo")
    form.setdefault("password_again", form["password"])
    before = User.get(User.username == people["dpo"]).password_hash
    response = _post(client, "/account/password", form)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error" role="alert">(.*?)</p>', response.text, re.S)[1]
    assert message in error
    assert User.get(User.username == people["dpo"]).password_hash == before
    assert _signed_in(client)


def test_my_tokens_secret_is_shown_once_and_i_can_revoke_it(sign_in_as, people):
    client = sign_in_as("legal")
    response = _post(client, "/account/tokens", {"name": "laptop scripts", "expires_at": ""})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(
        r'id="shown-secret" class="secret-value" readonly value="([^"]+)"', response.text
    )[1]
    assert accounts.authenticate(secret).username == people["legal"]
    token = ApiToken.get(ApiToken.name == "laptop scripts")
    assert token.expires_at is None
    page = client.get("/account").text
    assert secret not in page and token.prefix in page
    assert "Never" in page  # no expiry

    assert _post(client, f"/account/tokens/{token.id}/revoke").status_code == 302
    assert accounts.authenticate(secret) is None
    assert "Revoked on" in client.get("/account").text
    events = AuditEvent.select().where(AuditEvent.actor == people["legal"])
    assert [e.action for e in events] == ["token.issued", "token.revoked"]


def test_a_token_name_is_required(sign_in_as):
    response = _post(sign_in_as("viewer"), "/account/tokens", {"name": ""})
    assert response.status_code == 422 and 'id="name-error"' in response.text
    assert ApiToken.select().count() == 0


def test_nobody_revokes_another_users_token_here(sign_in_as, people):
    owner = User.get(User.username == people["dpo"])
    token, secret = accounts.issue_token(owner, "sync", "test-setup")
    response = _post(sign_in_as("admin"), f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 404  # administrators do it on the user's page
    assert accounts.authenticate(secret) is not None


def test_reminder_preferences_are_saved_as_the_api_would(sign_in_as, people):
    client = sign_in_as("dpo")
    response = _post(
        client,
        "/account/notifications",
        {"frequency": "weekly", "weekly_day": "2", "opted_out": ["expiring", "review_overdue"]},
    )
    assert response.status_code == 302
    stored = NotificationPreference.get(NotificationPreference.email == "dpo@police.example")
    assert (stored.frequency, stored.weekly_day, stored.opted_out) == (
        "weekly",
        2,
        ["expiring", "review_overdue"],
    )
    page = client.get("/account").text
    assert 'value="weekly" checked' in page and '<option value="2" selected>Wednesday' in page
    assert 'name="opted_out" value="expiring" checked' in page
    assert 'name="opted_out" value="waiver_expiring">' in page


@pytest.mark.parametrize(
    "form, field",
    [
        ({"frequency": "hourly", "weekly_day": "0"}, "frequency"),
        ({"frequency": "weekly", "weekly_day": "9"}, "weekly_day"),
        ({"frequency": "weekly", "weekly_day": "Monday"}, "weekly_day"),
        ({"frequency": "daily", "weekly_day": "0", "opted_out": ["missing"]}, "opted_out"),
    ],
)
def test_refused_preferences_say_why_and_change_nothing(sign_in_as, form, field):
    client = sign_in_as("legal")
    response = _post(client, "/account/notifications", form)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    stored = NotificationPreference.get_or_none(
        NotificationPreference.email == "legal@police.example"
    )
    assert stored is None or (stored.frequency, stored.opted_out) == ("daily", [])


def test_without_an_e_mail_address_there_are_no_preferences_to_set(sign_in_as, people):
    accounts.update_details(User.get(User.username == people["viewer"]), "test-setup", "", "")
    client = sign_in_as("viewer")
    assert "no e-mail address" in client.get("/account").text
    response = _post(client, "/account/notifications", {"frequency": "daily", "weekly_day": "0"})
    assert response.status_code == 422 and NotificationPreference.select().count() == 0


def test_choosing_a_language_changes_the_page(sign_in_as, people):
    client = sign_in_as("auditor")
    assert _html_lang(client) == "en"
    assert _post(client, "/account/language", {"language": "fr"}).status_code == 302
    assert User.get(User.username == people["auditor"]).language == "fr"
    assert _html_lang(client) == "fr"
    # Another browser of the same user gets the stored choice too.
    assert _html_lang(sign_in_as("auditor")) == "fr"
    assert _post(client, "/account/language", {"language": ""}).status_code == 302
    assert _html_lang(client) == "en"
    response = _post(client, "/account/language", {"language": "de"})
    assert response.status_code == 422 and 'id="language-error"' in response.text
    events = AuditEvent.select().where(AuditEvent.action == "user.language_set")
    assert [e.after["language"] for e in events] == ["fr", ""]


def test_the_footer_switcher_stores_a_signed_in_users_choice(sign_in_as, people):
    client = sign_in_as("viewer")
    accounts.set_language(User.get(User.username == people["viewer"]), "fr", "test-setup")
    assert _html_lang(client) == "fr"
    response = client.post(
        "/language",
        data={"language": "en", "next": "/account", "csrf_token": csrf_token(client, "/account")},
    )
    assert response.status_code == 302
    assert _html_lang(client) == "en"
    assert User.get(User.username == people["viewer"]).language == "en"
