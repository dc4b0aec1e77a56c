"""Administering users in the browser: the same rules as the API and the CLI, administrators only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.conftest import PASSWORD, csrf_token
from tracker import accounts, sign_in
from tracker.db import utcnow
from tracker.models import ApiToken, AuditEvent, User


def _id(username: str) -> int:
    return User.get(User.username == username).id


def _post(client, path: str, data: dict | None = None, page: str = "/users"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def _shown_secret(html: str) -> str:
    return re.search(r'id="shown-secret" class="secret-value" readonly value="([^"]+)"', html)[1]


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


@pytest.mark.parametrize("role", ["legal", "dpo", "auditor", "viewer"])
def test_only_administrators_reach_the_users_pages(sign_in_as, people, role):
    client = sign_in_as(role)
    target = _id(people["viewer"])
    assert client.get("/users").status_code == 403
    assert client.get(f"/users/{target}").status_code == 403
    token = csrf_token(client, "/account")
    for path in ("/users", f"/users/{target}/role", f"/users/{target}/tokens"):
        response = client.post(path, data={"csrf_token": token, "role": "admin", "name": "x"})
        assert response.status_code == 403, path
    assert User.get_by_id(target).role == "viewer"
    assert "/users" not in client.get("/account").text  # and the nav does not offer it


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get("/users")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_list_names_role_state_and_last_change(sign_in_as, people):
    dpo = User.get(User.username == people["dpo"])
    dpo.locked_until = utcnow() + timedelta(minutes=10)
    dpo.save()
    accounts.set_active(User.get(User.username == people["viewer"]), False, "test-setup")
    page = sign_in_as("admin").get("/users")
    assert page.status_code == 200
    row = re.search(
        r"<tr>\s*<th scope=\"row\" class=\"who\"><a[^>]*>dpo\.web</a>.*?</tr>", page.text, re.S
    )[0]
    assert "Data protection officer" in row and "Locked until" in row
    assert "dpo@police.example" in row
    viewer_row = re.search(r"viewer\.web</a>.*?</tr>", page.text, re.S)[0]
    assert "Deactivated" in viewer_row
    assert '<a href="/users">Users</a>' in page.text and '<a href="/agency">Agency</a>' in page.text
    only_locked = sign_in_as("admin").get("/users?state=locked").text
    assert "dpo.web" in only_locked and "legal.web" not in only_locked


def test_creating_a_user_with_a_password_lets_them_sign_in(sign_in_as, app):
    admin = sign_in_as("admin")
    response = _post(
        admin,
        "/users",
        {
            "username": "m.curie",
            "full_name": "Marie Curie",
            "email": "m.curie@police.example",
            "role": "dpo",
            "password": "radium and polonium",
        },
    )
    assert response.status_code == 302
    created = User.get(User.username == "m.curie")
    assert (created.role, created.full_name) == ("dpo", "Marie Curie")
    assert created.password_hash.startswith("$argon2id$")
    events = AuditEvent.select().where(AuditEvent.entity_id == str(created.id))
    assert [(e.action, e.actor) for e in events] == [
        ("user.created", "admin.web"),
        ("user.password_set", "admin.web"),
    ]
    assert sign_in.check_credentials("m.curie", "radium and polonium").id == created.id


def test_a_refused_user_is_not_created_and_every_field_says_why(sign_in_as):
    admin = sign_in_as("admin")
    response = _post(admin, "/users", {"username": "Bad Name", "role": "chief", "email": "nowhere"})
    assert response.status_code == 422
    assert 'id="username-error"' in response.text and 'id="role-error"' in response.text
    assert 'id="email-error"' in response.text
    assert 'value="Bad Name"' in response.text  # what was typed stays
    # A password the rules refuse leaves no user behind, and no audit event.
    before = AuditEvent.select().count()
    response = _post(admin, "/users", {"username": "ok.name", "role": "legal", "password": "short"})
    assert response.status_code == 422 and "at least 12 characters" in response.text
    assert not User.select().where(User.username == "ok.name").exists()
    assert AuditEvent.select().count() == before


def test_a_generated_password_is_shown_once(sign_in_as):
    admin = sign_in_as("admin")
    response = _post(admin, "/users", {"username": "n.bohr", "role": "viewer", "generate": "yes"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = _shown_secret(response.text)
    assert sign_in.check_credentials("n.bohr", password).username == "n.bohr"
    again = admin.get(f"/users/{_id('n.bohr')}")
    assert password not in again.text and "shown-secret" not in again.text


def test_a_user_without_a_password_is_said_to_have_none(sign_in_as):
    admin = sign_in_as("admin")
    response = _post(admin, "/users", {"username": "svc.sync", "role": "legal"})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"])
    assert "without a password" in page.text and "None yet" in page.text


def test_changing_a_role_is_audited_and_shown_in_words(sign_in_as, people):
    admin = sign_in_as("admin")
    target = _id(people["legal"])
    response = _post(admin, f"/users/{target}/role", {"role": "auditor"})
    assert response.status_code == 302
    assert User.get_by_id(target).role == "auditor"
    assert "is now: Auditor" in admin.get(response.headers["Location"]).text
    event = AuditEvent.select().where(AuditEvent.action == "user.role_changed").get()
    assert (event.actor, event.before, event.after["role"]) == (
        "admin.web",
        {"role": "legal"},
        "auditor",
    )


def test_the_last_administrator_cannot_demote_or_deactivate_themselves(sign_in_as, people):
    admin = sign_in_as("admin")
    me = _id(people["admin"])
    response = _post(admin, f"/users/{me}/role", {"role": "viewer"})
    assert response.status_code == 422 and "last active administrator" in response.text
    response = _post(admin, f"/users/{me}/active", {"active": "no"})
    assert response.status_code == 422 and "your own account" in response.text
    stored = User.get_by_id(me)
    assert (stored.role, stored.is_active) == ("admin", True)
    assert _signed_in(admin)


def test_deactivating_ends_the_users_sessions_and_revokes_their_tokens(sign_in_as, people):
    legal = sign_in_as("legal")
    target = User.get(User.username == people["legal"])
    _, secret = accounts.issue_token(target, "sync", "test-setup")
    admin = sign_in_as("admin")
    assert _post(admin, f"/users/{target.id}/active", {"active": "no"}).status_code == 302
    assert not _signed_in(legal)
    assert accounts.authenticate(secret) is None
    assert _post(admin, f"/users/{target.id}/active", {"active": "yes"}).status_code == 302
    # Back, but not through what they held: a new sign-in and new tokens.
    assert accounts.authenticate(secret) is None and not _signed_in(legal)
    assert "Revoked on" in admin.get(f"/users/{target.id}").text
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.actor == "admin.web")]
    assert actions == ["user.deactivated", "user.reactivated"]


def test_unlocking_a_locked_account(sign_in_as, people, client):
    for _ in range(sign_in.MAX_FAILURES):
        client.post(
            "/sign-in",
            data={
                "username": people["dpo"],
                "password": "nope nope",
                "csrf_token": csrf_token(client),
            },
        )
    admin = sign_in_as("admin")
    target = _id(people["dpo"])
    page = admin.get(f"/users/{target}")
    assert "Locked after too many wrong passwords" in page.text and ">Unlock</button>" in page.text
    assert _post(admin, f"/users/{target}/unlock").status_code == 302
    assert not accounts.is_locked(User.get_by_id(target))
    assert AuditEvent.select().where(AuditEvent.action == "user.unlocked").count() == 1
    sign_in_as("dpo")  # the right password works again


def test_resetting_a_password_ends_the_users_sessions(sign_in_as, people):
    legal = sign_in_as("legal")
    admin = sign_in_as("admin")
    target = _id(people["legal"])
    response = _post(admin, f"/users/{target}/password", {"password": "short"})
    assert response.status_code == 422 and 'id="password-error"' in response.text
    assert _signed_in(legal)
    response = _post(admin, f"/users/{target}/password", {"password": "a new long passphrase"})
    assert response.status_code == 302
    assert not _signed_in(legal)
    assert sign_in.check_credentials(people["legal"], "a new long passphrase").id == target
    generated = _post(admin, f"/users/{target}/password", {"generate": "yes"})
    assert generated.headers["Cache-Control"] == "no-store"
    assert sign_in.check_credentials(people["legal"], _shown_secret(generated.text)).id == target


def test_editing_details_checks_the_address(sign_in_as, people):
    admin = sign_in_as("admin")
    target = _id(people["viewer"])
    response = _post(admin, f"/users/{target}/details", {"full_name": "Vi", "email": "nope"})
    assert response.status_code == 422 and 'id="email-error"' in response.text
    assert 'value="nope"' in response.text
    assert User.get_by_id(target).email == "viewer@police.example"
    response = _post(
        admin, f"/users/{target}/details", {"full_name": "Vi Ewer", "email": "vi@police.example"}
    )
    assert response.status_code == 302
    assert (User.get_by_id(target).full_name, User.get_by_id(target).email) == (
        "Vi Ewer",
        "vi@police.example",
    )


def test_an_administrator_issues_a_token_for_a_user_and_sees_its_secret_once(sign_in_as, people):
    admin = sign_in_as("admin")
    target = _id(people["auditor"])
    response = _post(
        admin, f"/users/{target}/tokens", {"name": "audit export", "expires_at": "2999-01-01"}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = _shown_secret(response.text)
    assert "shown only this once" in response.text
    assert accounts.authenticate(secret).id == target
    token = ApiToken.get(ApiToken.name == "audit export")
    assert token.expires_at.year == 2999
    page = admin.get(f"/users/{target}")
    assert secret not in page.text and token.prefix in page.text and "audit export" in page.text

    response = _post(admin, f"/users/{target}/tokens/{token.id}/revoke")
    assert response.status_code == 302 and accounts.authenticate(secret) is None
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.actor == "admin.web")]
    assert actions == ["token.issued", "token.revoked"]


def test_token_input_is_checked_beside_its_field(sign_in_as, people):
    admin = sign_in_as("admin")
    target = _id(people["auditor"])
    response = _post(admin, f"/users/{target}/tokens", {"name": " ", "expires_at": "2000-01-01"})
    assert response.status_code == 422 and 'id="name-error"' in response.text
    response = _post(admin, f"/users/{target}/tokens", {"name": "x", "expires_at": "2000-01-01"})
    assert response.status_code == 422 and "Must be in the future." in response.text
    response = _post(admin, f"/users/{target}/tokens", {"name": "x", "expires_at": "soon"})
    assert response.status_code == 422 and "Must be a date" in response.text
    assert ApiToken.select().count() == 0


def test_a_token_is_revoked_only_under_its_own_user(sign_in_as, people):
    admin = sign_in_as("admin")
    owner = User.get(User.username == people["legal"])
    token, secret = accounts.issue_token(owner, "sync", "test-setup")
    other = _id(people["viewer"])
    assert _post(admin, f"/users/{other}/tokens/{token.id}/revoke").status_code == 404
    assert accounts.authenticate(secret) is not None
    assert _post(admin, f"/users/{other}/tokens/{2**40}/revoke").status_code == 404


def test_the_session_survives_an_unrelated_users_change(sign_in_as, people):
    admin = sign_in_as("admin")
    target = _id(people["viewer"])
    _post(admin, f"/users/{target}/password", {"password": PASSWORD + " too"})
    assert _signed_in(admin)
