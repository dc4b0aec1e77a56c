"""Rate limits on sign-in (per address, per username) and the API (per token, per address),
counted in the real Redis, each test under its own key prefix; Redis down fails open."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.services import free_port
from tests.web.conftest import PASSWORD, csrf_token
from tracker.app import create_app
from tracker.web import limits


def _limited_app(settings, storage_url: str, prefix: str):
    return create_app(
        settings.with_overrides(
            rate_limit_storage_url=storage_url,
            rate_limit_prefix=prefix,
            sign_in_rate_limit="3/minute",
            api_rate_limit="5/minute",
        )
    )


@pytest.fixture
def redis_prefix(services) -> Iterator[str]:
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(services.redis_url)
    keys = list(connection.scan_iter(f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def limited(settings, migrated, services, redis_prefix, people, tokens):
    return _limited_app(settings, services.redis_url, redis_prefix)


def _client(app, address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, username: str, password: str = "not the password"):
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def _counted_in_redis(services, prefix: str) -> list[bytes]:
    connection = redis.Redis.from_url(services.redis_url)
    try:
        return list(connection.scan_iter(f"*{prefix}*"))
    finally:
        connection.close()


def test_sign_in_attempts_are_limited_per_address(limited, people, services, redis_prefix):
    client = _client(limited)
    for n in range(3):
        assert _attempt(client, f"someone{n}").status_code == 401
    refused = _attempt(client, "someone-else")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts" in refused.text
    # Not even the right password gets through from there until the wait is over...
    assert _attempt(client, people["legal"], PASSWORD).status_code == 429
    # ...while another address signs in.
    assert _attempt(_client(limited, "198.51.100.7"), people["legal"], PASSWORD).status_code == 302
    assert _counted_in_redis(services, redis_prefix)  # shared by every worker process


@pytest.mark.parametrize("who", ["legal", None])
def test_sign_in_attempts_are_limited_per_username_known_or_not(limited, people, who):
    username = people[who] if who else "nobody.at.all"
    for n in range(3):
        response = _attempt(_client(limited, f"203.0.113.{n + 1}"), username)
        assert response.status_code == 401
    refused = _attempt(_client(limited, "203.0.113.99"), f" {username.upper()} ")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert _attempt(_client(limited, "203.0.113.99"), people["dpo"], PASSWORD).status_code == 302


def test_api_requests_are_limited_per_token(limited, tokens):
    client = _client(limited)
    legal = {"Authorization": f"Bearer {tokens['legal']}"}
    for _ in range(5):
        assert client.get("/api/me", headers=legal).status_code == 200
    refused = client.get("/api/me", headers=legal)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    problem = refused.json
    assert problem["type"] == "urn:tracker:problem:rate-limited" and problem["status"] == 429
    assert int(refused.headers["Retry-After"]) == problem["retry_after"] > 0
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
    # Another token from the same address has its own budget.
    dpo = {"Authorization": f"Bearer {tokens['dpo']}"}
    assert client.get("/api/me", headers=dpo).status_code == 200


def test_api_requests_without_a_token_or_with_made_up_ones_are_limited_per_address(limited):
    anonymous = _client(limited)
    for _ in range(5):
        assert anonymous.get("/api/vocabulary").status_code == 200
    assert anonymous.get("/api/vocabulary").status_code == 429

    guesser = _client(limited, "198.51.100.20")
    for n in range(5):
        made_up = {"Authorization": f"Bearer tet_made-up-{n}"}
        assert guesser.get("/api/me", headers=made_up).status_code == 401
    again = guesser.get("/api/me", headers={"Authorization": "Bearer tet_made-up-again"})
    assert again.status_code == 429


def test_when_redis_is_down_requests_are_served_and_it_is_logged_once(
    settings, migrated, people, tokens, caplog
):
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    app = _limited_app(settings, nothing_there, f"tracker-test-{uuid.uuid4().hex}")
    client = _client(app)
    legal = {"Authorization": f"Bearer {tokens['legal']}"}
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        assert _attempt(client, people["legal"], PASSWORD).status_code == 302
        for _ in range(4):
            assert client.get("/api/me", headers=legal).status_code == 200
    warnings = [r for r in caplog.records if r.name == "flask-limiter"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    assert all(r.levelno < logging.ERROR for r in caplog.records)


def test_limits_are_settings(settings):
    from tracker import config

    with pytest.raises(config.ConfigError, match="TRACKER_API_RATE_LIMIT"):
        settings.with_overrides(api_rate_limit="lots")
    assert settings.with_overrides(api_rate_limit="off", sign_in_rate_limit="5/minute;50/hour")
    read = config.from_environ(
        {"TRACKER_SIGN_IN_RATE_LIMIT": "20/minute", "TRACKER_SESSION_HOURS": "2"}
    )
    assert read.sign_in_rate_limit == "20/minute" and read.api_rate_limit == "600/minute"
    assert read.session_hours == 2 and read.rate_limit_storage_url == read.redis_url
    with pytest.raises(config.ConfigError, match="TRACKER_SESSION_HOURS"):
        config.from_environ({"TRACKER_SESSION_HOURS": "0"})


def test_off_turns_a_limit_off(settings, migrated, services, redis_prefix, tokens):
    app = create_app(
        settings.with_overrides(
            rate_limit_storage_url=services.redis_url,
            rate_limit_prefix=redis_prefix,
            api_rate_limit="off",
        )
    )
    client = _client(app)
    for _ in range(12):
        assert client.get("/api/vocabulary").status_code == 200


def test_with_every_limit_off_no_request_pays_for_the_limiter(settings, migrated, tokens):
    app = create_app(settings.with_overrides(api_rate_limit="off", sign_in_rate_limit="off"))
    limiter = app.extensions[limits.EXTENSION]
    assert not limiter.enabled
    hooks = [*app.before_request_funcs.get(None, []), *app.after_request_funcs.get(None, [])]
    assert not [hook for hook in hooks if getattr(hook, "__self__", None) is limiter]
    client = _client(app)
    for _ in range(12):
        assert client.get("/api/vocabulary").status_code == 200
    # With a limit on, the limiter checks requests.
    on = create_app(settings.with_overrides(api_rate_limit="10/minute", sign_in_rate_limit="off"))
    assert on.extensions[limits.EXTENSION].enabled
