"""Behind a proxy: X-Forwarded-* are used only as far as TRACKER_TRUSTED_PROXIES trusts them.

With 0 (the default) anyone could send them, so they are ignored: the address is the
connection's, the scheme and host the request's own. With 1, the last proxy's values are used
for the client's address (the request log and the rate limits), the scheme and the host (so
external URLs name the public site); values further left, which the client itself may have
written, are not.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from tracker.app import create_app
from tracker.operations import logs

FORGED = {
    "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "tracker.police.example",
    "X-Forwarded-Port": "443",
}


@pytest.fixture
def logged():
    stream = io.StringIO()
    handler = logs.configure("json", stream=stream)
    yield lambda: [
        json.loads(line)
        for line in stream.getvalue().splitlines()
        if json.loads(line)["logger"] == logs.REQUEST_LOGGER
    ]
    logging.getLogger().removeHandler(handler)


def app_trusting(settings, proxies: int, **overrides):
    return create_app(settings.with_overrides(trusted_proxies=proxies, **overrides))


def test_without_trusted_proxies_forwarded_headers_are_ignored(settings, migrated, logged):
    client = app_trusting(settings, 0).test_client()
    schema = client.get("/register/schema.json", headers=FORGED)
    assert schema.status_code == 200
    assert schema.json["$id"] == "http://localhost/register/schema.json"
    (line,) = logged()
    assert line["client"] == "127.0.0.1" and line["scheme"] == "http"


def test_with_one_trusted_proxy_its_values_are_used(settings, migrated, logged):
    client = app_trusting(settings, 1).test_client()
    schema = client.get("/register/schema.json", headers=FORGED)
    assert schema.json["$id"] == "https://tracker.police.example/register/schema.json"
    (line,) = logged()
    # The proxy's own value (the last), not what the client put before it.
    assert line["client"] == "203.0.113.9" and line["scheme"] == "https"


def test_one_trusted_proxy_does_not_trust_a_second(settings, migrated, logged):
    """Two proxies append two addresses; trusting one takes the nearer, never the client's
    own claim further left."""
    client = app_trusting(settings, 2).test_client()
    client.get("/register/about", headers=FORGED)
    client = app_trusting(settings, 1).test_client()
    client.get("/register/about", headers={"X-Forwarded-For": "198.51.100.7"})
    two, one = logged()
    assert two["client"] == "198.51.100.7" and one["client"] == "198.51.100.7"
    client.get("/register/about")  # no header: the connection's address
    assert logged()[-1]["client"] == "127.0.0.1"


@pytest.mark.parametrize(("proxies", "second_client"), [(0, 429), (1, 401)])
def test_rate_limits_count_per_forwarded_address_only_when_trusted(
    settings, migrated, proxies, second_client
):
    app = app_trusting(
        settings, proxies, api_rate_limit="2/minute", rate_limit_storage_url="memory://"
    )
    client = app.test_client()
    first = {"X-Forwarded-For": "198.51.100.1"}
    assert [client.get("/api/systems", headers=first).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    # Another client behind the proxy: its own budget only if the proxy is trusted; else it
    # shares the proxy's address (and a client could not dodge its limit by forging one).
    other = client.get("/api/systems", headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == second_client
