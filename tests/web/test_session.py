"""Signing in and out: argon2 passwords, session cookies, CSRF on every form, limited failures."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from tests.web.conftest import PASSWORD, csrf_token
from tracker import accounts, sign_in
from tracker.models import ApiToken, AuditEvent, User, WebSession

COOKIE = "tracker_session"


def _sign_in(client, username: str, password: str = PASSWORD):
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def _refusal(response) -> str:
    return re.search(r'id="sign-in-error">([^<]*)<', response.text).group(1)


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie (a stolen or replayed one)."""
    other = app.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other


def test_signing_in_sets_a_protected_session_cookie_and_opens_the_portfolio(client, people):
    response = client.post(
        "/sign-in",
        data={"username": people["legal"], "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/portfolio"
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("tracker_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/portfolio").status_code == 200
    assert User.get(User.username == people["legal"]).password_hash.startswith("$argon2id$")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, people):
    for username in (people["legal"], "nobody"):
        response = client.post(
            "/sign-in",
            data={
                "username": username,
                "password": "not it at all",
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
    assert client.get("/portfolio").status_code == 302  # still signed out


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, people):
    for _ in range(sign_in.MAX_FAILURES):
        client.post(
            "/sign-in",
            data={
                "username": people["dpo"],
                "password": "guess guess guess",
                "csrf_token": csrf_token(client),
            },
        )
    response = client.post(
        "/sign-in",
        data={"username": people["dpo"], "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 401 and "is locked for 15 minutes" in response.text
    assert AuditEvent.select().where(AuditEvent.action == "user.locked").count() == 1
    assert client.get("/portfolio").status_code == 302


def test_a_locked_account_answers_as_an_unknown_username_and_costs_the_same(
    client, people, monkeypatch
):
    for _ in range(sign_in.MAX_FAILURES):
        _sign_in(client, people["dpo"], "guess guess guess")
    verified = []

    class CountingHasher(PasswordHasher):
        def verify(self, *args):
            verified.append(1)
            return super().verify(*args)

    monkeypatch.setattr(sign_in, "_hasher", CountingHasher())
    answers = {}
    for name, username, password in (
        ("locked, right password", people["dpo"], PASSWORD),
        ("locked, wrong password", people["dpo"], "guess guess guess"),
        ("unknown", "nobody.here", PASSWORD),
        ("wrong password", people["legal"], "guess guess guess"),
    ):
        verified.clear()
        response = _sign_in(client, username, password)
        # One argon2 verification each: the time does not tell a locked account from no account.
        answers[name] = (response.status_code, _refusal(response), len(verified))
    assert len(set(answers.values())) == 1, answers
    status, text, hashes = answers["unknown"]
    assert status == 401 and hashes == 1
    assert "Wrong username or password." in text and "locked" in text


def test_a_form_posted_without_its_csrf_token_is_refused(sign_in_as, client, people):
    assert (
        client.post(
            "/sign-in", data={"username": people["legal"], "password": PASSWORD}
        ).status_code
        == 400
    )
    dpo = sign_in_as("dpo")
    assert dpo.post("/evidence/1/review", data={"decision": "accepted"}).status_code == 400
    assert dpo.post("/sign-out").status_code == 400


def test_the_api_keeps_working_with_bearer_tokens_and_no_csrf_token(client, auth):
    response = client.post(
        "/api/systems",
        json={"name": "x"},
        headers=auth("legal"),
    )
    assert response.status_code == 422  # validated, not refused for a missing CSRF token


def test_signing_out_ends_the_session(sign_in_as):
    legal = sign_in_as("legal")
    response = legal.post("/sign-out", data={"csrf_token": csrf_token(legal, "/portfolio")})
    assert response.status_code == 302
    assert legal.get("/portfolio").status_code == 302


def test_a_copy_of_the_session_cookie_stops_working_at_sign_out(app, sign_in_as):
    legal = sign_in_as("legal")
    replayed = _copy(app, legal)
    assert replayed.get("/portfolio").status_code == 200  # a copy works while the session lasts
    legal.post("/sign-out", data={"csrf_token": csrf_token(legal, "/portfolio")})
    assert replayed.get("/portfolio").status_code == 302
    assert WebSession.select().count() == 0


def test_a_session_lives_in_the_database_by_the_hash_of_its_key(app, sign_in_as, people):
    legal = sign_in_as("legal")
    sign_in_as("dpo")
    key = legal.get_cookie(COOKIE).value
    assert WebSession.select().count() == 2
    assert not WebSession.select().where(WebSession.key_hash.contains(key[:20])).exists()
    # A cookie from before the upgrade (user id and a fragment of the hash) opens nothing.
    user = User.get(User.username == people["legal"])
    with app.test_request_context():
        from flask import session

        session["_user_id"] = f"{user.id}:{user.password_hash[-12:]}"
        forged = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    old = app.test_client()
    old.set_cookie(COOKIE, forged)
    assert old.get("/portfolio").status_code == 302


def test_a_session_ends_after_its_hours(app, sign_in_as):
    from datetime import timedelta

    from tracker.db import utcnow

    legal = sign_in_as("legal")
    assert legal.get("/portfolio").status_code == 200
    WebSession.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    assert legal.get("/portfolio").status_code == 302
    sign_in_as("dpo")  # a new sign-in clears the sessions nobody can use any more
    assert WebSession.select().count() == 1


def test_signing_in_gives_a_new_csrf_token(app, client, people):
    before = csrf_token(client)
    response = client.post(
        "/sign-in", data={"username": people["legal"], "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    # The token a page showed before sign-in is refused after it; the new one works.
    assert client.post("/sign-out", data={"csrf_token": before}).status_code == 400
    after = csrf_token(client, "/portfolio")
    assert after != before
    assert client.post("/sign-out", data={"csrf_token": after}).status_code == 302


def test_changing_ones_own_password_keeps_this_browser_and_ends_every_copy(app, sign_in_as):
    legal = sign_in_as("legal")
    replayed = _copy(app, legal)
    other_browser = sign_in_as("legal")
    response = legal.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "password_again": "a brand new passphrase",
            "csrf_token": csrf_token(legal, "/account"),
        },
    )
    assert response.status_code == 302
    assert legal.get("/portfolio").status_code == 200
    assert replayed.get("/portfolio").status_code == 302
    assert other_browser.get("/portfolio").status_code == 302


def test_deactivation_ends_sessions_and_revokes_tokens_for_good(app, sign_in_as, people):
    legal = sign_in_as("legal")
    user = User.get(User.username == people["legal"])
    _token, secret = accounts.issue_token(user, "sync", "test")
    admin = User.get(User.username == people["admin"])
    accounts.set_active(user, False, admin.username, by=admin)
    assert legal.get("/portfolio").status_code == 302
    assert WebSession.select().where(WebSession.user == user).count() == 0
    accounts.set_active(User.get_by_id(user.id), True, admin.username, by=admin)
    # Reactivated: the old session and token stay dead (a new sign-in and new tokens are needed).
    assert legal.get("/portfolio").status_code == 302
    assert accounts.authenticate(secret) is None
    assert ApiToken.get(ApiToken.user == user).revoked_at is not None
    event = AuditEvent.select().where(AuditEvent.action == "user.deactivated").get()
    assert event.after["sessions_ended"] == 1 and len(event.after["tokens_revoked"]) == 1


def test_changing_the_password_ends_other_sessions(sign_in_as, people):
    legal = sign_in_as("legal")
    sign_in.set_password(
        User.get(User.username == people["legal"]), "a brand new passphrase", "admin"
    )
    assert legal.get("/portfolio").status_code == 302


def test_short_passwords_are_refused_naming_the_rule(people):
    import pytest

    from tracker.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        sign_in.set_password(User.get(User.username == people["legal"]), "short", "admin")
    assert refused.value.errors == {
        "password": [f"Must be at least {sign_in.MIN_LENGTH} characters."]
    }


def test_roles_decide_what_each_page_allows(sign_in_as):
    viewer = sign_in_as("viewer")
    assert viewer.get("/portfolio").status_code == 200
    assert viewer.get("/evidence/new").status_code == 403
    assert viewer.get("/audit").status_code == 403
    assert sign_in_as("auditor").get("/audit").status_code == 200


def test_the_cli_sets_a_password_that_signs_in(runner, client, people):
    result = runner.tracker(
        "users", "set-password", people["viewer"], "--password", "a new long passphrase"
    )
    assert result.exit_code == 0, result.output
    refused = runner.tracker("users", "set-password", people["viewer"], "--password", "short")
    assert refused.exit_code != 0 and "password: Must be at least 12 characters." in refused.output
    response = client.post(
        "/sign-in",
        data={
            "username": people["viewer"],
            "password": "a new long passphrase",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302


def test_expired_tokens_are_shown_as_expired_on_the_account_and_user_pages(sign_in_as, people):
    from datetime import timedelta

    from tracker.db import utcnow

    user = User.get(User.username == people["legal"])
    token = accounts.issue_token(user, "nightly export", "test", utcnow() + timedelta(days=1))[0]
    ApiToken.update(expires_at=utcnow() - timedelta(days=1)).where(
        ApiToken.id == token.id
    ).execute()
    for client, path in (
        (sign_in_as("legal"), "/account"),
        (sign_in_as("admin"), f"/users/{user.id}"),
    ):
        row = re.search(r"nightly export.*?</tr>", client.get(path).text, re.DOTALL).group(0)
        assert "Expired" in row and "Active" not in row, path
