"""Every API endpoint, called with every role: allowed ones get through, others get 403.

The expectations are written out here, from the roles the product defines,
not read from the code under test. A new endpoint that is missing from the
table fails the test until someone decides who may call it.
"""

import re

import pytest

from tests.factories import profile, upload_form
from tracker import accounts
from tracker.reminders import planning

ALL = {"admin", "legal", "dpo", "auditor", "viewer"}
WRITE = {"admin", "legal", "dpo"}
DOWNLOAD = {"admin", "legal", "dpo", "auditor"}
AUDIT = {"admin", "dpo", "auditor"}
ADMIN = {"admin"}
DPO = {"dpo"}

MATRIX = {
    ("GET", "/api/systems"): ALL,
    ("POST", "/api/systems"): WRITE,
    ("GET", "/api/systems/<int:system_id>"): ALL,
    ("PATCH", "/api/systems/<int:system_id>"): WRITE,
    ("POST", "/api/systems/<int:system_id>/retire"): WRITE,
    ("GET", "/api/systems/<int:system_id>/operators"): ALL,
    ("POST", "/api/systems/<int:system_id>/operators"): WRITE,
    ("GET", "/api/systems/<int:system_id>/operators/<int:operator_id>"): ALL,
    ("PATCH", "/api/systems/<int:system_id>/operators/<int:operator_id>"): WRITE,
    ("DELETE", "/api/systems/<int:system_id>/operators/<int:operator_id>"): WRITE,
    ("GET", "/api/evidence"): ALL,
    ("POST", "/api/evidence"): WRITE,
    ("GET", "/api/evidence/<int:evidence_id>"): ALL,
    ("GET", "/api/evidence/<int:evidence_id>/versions"): ALL,
    ("POST", "/api/evidence/<int:evidence_id>/versions"): WRITE,
    ("GET", "/api/evidence/<int:evidence_id>/files/<int:file_id>/content"): DOWNLOAD,
    ("GET", "/api/me"): ALL,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/<username>/tokens"): ADMIN,
    ("POST", "/api/users/<username>/tokens"): ADMIN,
    ("POST", "/api/users/<username>/deactivate"): ADMIN,
    ("POST", "/api/users/<username>/reactivate"): ADMIN,
    ("DELETE", "/api/tokens/<int:token_id>"): ADMIN,  # another user's token; own tokens: see below
    ("GET", "/api/audit"): AUDIT,
    ("GET", "/api/audit/verify"): AUDIT,
    ("GET", "/api/evidence/<int:evidence_id>/reviews"): ALL,
    ("POST", "/api/evidence/<int:evidence_id>/reviews"): DPO,
    ("GET", "/api/reviews/queue"): ALL,
    ("GET", "/api/waivers"): ALL,
    ("POST", "/api/waivers"): WRITE,
    ("GET", "/api/waivers/<int:waiver_id>"): ALL,
    ("POST", "/api/waivers/<int:waiver_id>/approve"): DPO,
    ("POST", "/api/waivers/<int:waiver_id>/reject"): DPO,
    ("POST", "/api/waivers/<int:waiver_id>/revoke"): DPO,
    ("GET", "/api/systems/<int:system_id>/completeness"): ALL,
    ("GET", "/api/systems/<int:system_id>/completeness.csv"): ALL,
    ("GET", "/api/completeness"): ALL,
    ("GET", "/api/completeness.csv"): ALL,
    ("GET", "/api/requirements"): ALL,
    ("GET", "/api/requirements/<requirement_id>"): ALL,
    ("GET", "/api/jurisdictions"): ALL,
    ("GET", "/api/plugins"): ALL,
    ("GET", "/api/profile-questions"): ALL,
    ("GET", "/api/facts"): ALL,
    ("GET", "/api/notifications"): AUDIT,
    ("GET", "/api/me/notification-preferences"): ALL,
    ("PUT", "/api/me/notification-preferences"): ALL,
    ("GET", "/api/event-kinds"): ALL,
    ("GET", "/api/systems/<int:system_id>/events"): ALL,
    ("POST", "/api/systems/<int:system_id>/events"): WRITE,
    ("GET", "/api/systems/<int:system_id>/packs"): ALL,
    ("POST", "/api/systems/<int:system_id>/packs"): DOWNLOAD,
    ("GET", "/api/packs"): ALL,
    ("POST", "/api/packs"): DOWNLOAD,
    ("GET", "/api/packs/<int:pack_id>"): ALL,
    ("GET", "/api/packs/<int:pack_id>/content"): DOWNLOAD,
}
PUBLIC = {
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/assets/<path:filename>"),
    ("GET", "/api/vocabulary"),
    ("GET", "/api/notifications/unsubscribe/<token>"),
    ("POST", "/api/notifications/unsubscribe/<token>"),
}


def api_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_api_route_is_in_the_matrix(app):
    assert api_routes(app) == set(MATRIX) | PUBLIC


@pytest.fixture
def world(client, auth, migrated):
    """One of everything, so that every route has something to act on."""
    legal = auth("legal")
    system = client.post("/api/systems", json=profile(), headers=legal).json["id"]
    spare = client.post("/api/systems", json=profile(name="Spare"), headers=legal).json["id"]
    operator = client.post(
        f"/api/systems/{system}/operators",
        json={"name": "Op", "email": "op@police.example"},
        headers=legal,
    ).json["id"]
    item = client.post(
        "/api/evidence",
        data=upload_form(system_ids=[system]),
        headers=legal,
        content_type="multipart/form-data",
    ).json
    target = accounts.create_user("target", "viewer", "test")
    token = accounts.issue_token(target, "to revoke", "test")[0]
    waiver = client.post(
        "/api/waivers",
        headers=legal,
        json={
            "system_id": system,
            "requirement_id": "toolkit.public_engagement",
            "expires_on": "2099-01-01",
            "justification": "Engagement is run by the city for all public-order technology.",
        },
    ).json
    pack = client.post(f"/api/systems/{system}/packs", json={}, headers=legal).json
    return {
        "pack_id": pack["id"],
        "waiver_id": waiver["id"],
        "requirement_id": "eu-led.dpia",
        "token": planning.preference_for("viewer-user@police.example").unsubscribe_token,
        "system_id": system,
        "operator_id": operator,
        "evidence_id": item["id"],
        "file_id": item["files"][0]["id"],
        "token_id": token.id,
        "username": "target",
        "filename": "swagger-ui.css",
        "spare": spare,
    }


def concrete(rule: str, world: dict) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world[m.group(1)]), rule)
    if rule.endswith("/retire"):
        path = path.replace(f"/{world['system_id']}/", f"/{world['spare']}/")
    return path


@pytest.mark.parametrize("role", sorted(ALL))
def test_each_role_gets_exactly_what_it_may(client, tokens, world, role):
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    for (method, rule), allowed in sorted(MATRIX.items()):
        path = concrete(rule, world)
        with client.open(path, method=method, headers=headers, json={}) as response:
            status = response.status_code
        if role in allowed:
            assert status not in (401, 403), f"{role} refused {method} {path}: {status}"
        else:
            assert status == 403, f"{role} was not refused {method} {path}: {status}"


def test_without_a_token_everything_but_public_routes_is_401(client, world):
    for method, rule in sorted(MATRIX):
        with client.open(concrete(rule, world), method=method, json={}) as response:
            assert response.status_code == 401, f"{method} {rule}"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for method, rule in sorted(PUBLIC):
        with client.open(concrete(rule, world), method=method) as response:
            assert response.status_code == 200, f"{method} {rule}"


@pytest.mark.parametrize(
    "header", ["Bearer tet_not-a-real-token", "Basic YWRtaW46YWRtaW4=", "Bearer "]
)
def test_bad_credentials_are_401(client, world, header):
    assert client.get("/api/systems", headers={"Authorization": header}).status_code == 401


def test_revoked_and_expired_tokens_stop_working(client, tokens, migrated):
    from datetime import timedelta

    from tracker.db import utcnow
    from tracker.models import ApiToken

    user = accounts.get_user("viewer-user")
    token, secret = accounts.issue_token(
        user, "short-lived", "test", expires_at=utcnow() + timedelta(hours=1)
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/me", headers=headers).json["username"] == "viewer-user"
    ApiToken.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        ApiToken.id == token.id
    ).execute()
    assert client.get("/api/me", headers=headers).status_code == 401

    other = accounts.issue_token(user, "other", "test")[1]
    own = ApiToken.get(ApiToken.name == "tests", ApiToken.user == user)
    revoked = client.delete(f"/api/tokens/{own.id}", headers={"Authorization": f"Bearer {other}"})
    assert revoked.status_code == 200  # anyone may revoke their own token
    assert (
        client.get("/api/me", headers={"Authorization": f"Bearer {tokens['viewer']}"}).status_code
        == 401
    )


def test_tokens_are_stored_only_as_hashes(tokens, migrated):
    from tracker.models import ApiToken

    stored = {t.token_hash for t in ApiToken.select()}
    assert not stored & set(tokens.values())
    assert all(len(h) == 64 for h in stored)
