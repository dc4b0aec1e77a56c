"""Users and tokens through the API."""

from tracker.models import AuditEvent


def test_admin_creates_a_user_and_issues_a_token_shown_once(client, auth):
    created = client.post(
        "/api/users",
        json={
            "username": "j.doe",
            "role": "dpo",
            "full_name": "J. Doe",
            "email": "j.doe@police.example",
        },
        headers=auth("admin"),
    )
    assert created.status_code == 201 and created.json["role"] == "dpo"
    issued = client.post("/api/users/j.doe/tokens", json={"name": "laptop"}, headers=auth("admin"))
    assert issued.status_code == 201
    secret = issued.json["secret"]
    assert (
        client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).json["username"]
        == "j.doe"
    )
    listed = client.get("/api/users/j.doe/tokens", headers=auth("admin")).json
    assert [t["name"] for t in listed] == ["laptop"] and "secret" not in listed[0]
    assert listed[0]["prefix"] == secret[:12]
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.actor == "admin-user")]
    assert actions == ["user.created", "token.issued"]


def test_bad_user_input_names_the_field(client, auth):
    response = client.post(
        "/api/users", json={"username": "Bad Name", "role": "chief"}, headers=auth("admin")
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"role"}
    response = client.post(
        "/api/users", json={"username": "Bad Name", "role": "legal"}, headers=auth("admin")
    )
    assert response.json["errors"][0]["field"] == "username"
    duplicate = client.post(
        "/api/users", json={"username": "legal-user", "role": "legal"}, headers=auth("admin")
    )
    assert duplicate.status_code == 422 and "already exists" in duplicate.json["detail"]


def test_token_expiry_must_be_in_the_future(client, auth):
    response = client.post(
        "/api/users/legal-user/tokens",
        json={"name": "x", "expires_at": "2020-01-01T00:00:00Z"},
        headers=auth("admin"),
    )
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "expires_at"


def test_unknown_user_is_404(client, auth):
    assert client.get("/api/users/nobody/tokens", headers=auth("admin")).status_code == 404


def test_user_and_token_lists_filter(client, auth):
    dpos = client.get("/api/users?role=dpo", headers=auth("admin")).json
    assert [u["username"] for u in dpos] == ["dpo-user"]
    assert [
        u["username"] for u in client.get("/api/users?q=audit", headers=auth("admin")).json
    ] == ["auditor-user"]
    issued = client.post(
        "/api/users/viewer-user/tokens", json={"name": "old"}, headers=auth("admin")
    ).json
    client.delete(f"/api/tokens/{issued['id']}", headers=auth("admin"))
    active = client.get("/api/users/viewer-user/tokens", headers=auth("admin")).json
    everything = client.get(
        "/api/users/viewer-user/tokens?include_revoked=true", headers=auth("admin")
    ).json
    assert [t["name"] for t in active] == ["tests"]
    assert [t["name"] for t in everything] == ["tests", "old"]


def accounts_user(username: str):
    from tracker import accounts

    return accounts.get_user(username)


def _expire(token_id: int) -> None:
    from datetime import timedelta

    from tracker.db import utcnow
    from tracker.models import ApiToken

    ApiToken.update(expires_at=utcnow() - timedelta(minutes=1)).where(
        ApiToken.id == token_id
    ).execute()


def test_token_lists_say_which_tokens_are_expired(client, auth):
    from datetime import timedelta

    from tracker import accounts
    from tracker.db import utcnow

    user = accounts.get_user("viewer-user")
    soon = accounts.issue_token(user, "soon over", "test", utcnow() + timedelta(hours=1))[0]
    _expire(soon.id)
    gone = accounts.issue_token(user, "revoked", "test")[0]
    accounts.revoke_token(gone.id, "test")
    listed = client.get(
        "/api/users/viewer-user/tokens?include_revoked=true", headers=auth("admin")
    ).json
    assert {t["name"]: t["state"] for t in listed} == {
        "tests": "active",
        "soon over": "expired",
        "revoked": "revoked",
    }
    spec = client.get("/api/openapi.json").json
    schema = spec["components"]["schemas"]["TokenListedOut"]["properties"]["state"]
    assert schema["enum"] == ["active", "expired", "revoked"]


def test_an_administrator_deactivates_a_user_through_the_api(client, auth, tokens):
    from tracker.models import ApiToken

    legal = auth("legal")
    assert client.get("/api/me", headers=legal).status_code == 200
    response = client.post("/api/users/legal-user/deactivate", headers=auth("admin"))
    assert response.status_code == 200 and response.json["is_active"] is False
    assert client.get("/api/me", headers=legal).status_code == 401
    legal_tokens = ApiToken.select().where(ApiToken.user == accounts_user("legal-user"))
    assert legal_tokens.count() == 1 and all(t.revoked_at is not None for t in legal_tokens)
    event = AuditEvent.select().where(AuditEvent.action == "user.deactivated").get()
    assert event.actor == "admin-user" and event.after["tokens_revoked"]

    back = client.post("/api/users/legal-user/reactivate", headers=auth("admin"))
    assert back.status_code == 200 and back.json["is_active"] is True
    assert client.get("/api/me", headers=legal).status_code == 401  # its tokens stay revoked

    own = client.post("/api/users/admin-user/deactivate", headers=auth("admin"))
    assert own.status_code == 422 and own.json["errors"][0]["field"] == "is_active"
    assert client.post("/api/users/nobody/deactivate", headers=auth("admin")).status_code == 404
    assert client.post("/api/users/dpo-user/deactivate", headers=auth("dpo")).status_code == 403
