"""Signing in and out: argon2 passwords, session cookies, CSRF on every form, limited failures."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, csrf_token
from tracker import sign_in
from tracker.models import AuditEvent, User


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
    assert response.status_code == 401 and "locked until" in response.text
    assert AuditEvent.select().where(AuditEvent.action == "user.locked").count() == 1


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
