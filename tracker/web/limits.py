"""Rate limits on sign-in and the API, with Flask-Limiter, counted in Redis.

- Sign-in: ``TRACKER_SIGN_IN_RATE_LIMIT`` (default 10 a minute) attempts per client address,
  and the same again per username tried, whether or not that user exists (so the limit tells
  nothing about which names exist).
- The API (everything under ``/api/``): ``TRACKER_API_RATE_LIMIT`` (default 600 a minute) per
  token presented, or per client address without one; requests refused for a missing or wrong
  token count against their address's budget too (a made-up token is a fresh key each time).

Over a limit, a page says how long to wait and the API answers an RFC 9457 problem document;
both are 429 with ``Retry-After``. Counts are kept in ``TRACKER_RATE_LIMIT_STORAGE_URL`` (the
Redis of ``TRACKER_REDIS_URL``) so that every worker process shares them. When Redis stops
answering, the limiter logs one warning and counts in each process's own memory until it answers
again (one more line then): requests keep being served, never refused because Redis is down.

The client address is ``REMOTE_ADDR`` after the proxy fix (tracker.operations.proxy): behind a
proxy, set ``TRACKER_TRUSTED_PROXIES`` so that it is the client's, or every client shares the
proxy's budget.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded

from tracker import config
from tracker.api import problems
from tracker.i18n import gettext as _

EXTENSION = "tracker.limiter"
SIGN_IN_ENDPOINT = "session.sign_in_page"
# Redis that does not answer must not hold a request up for long before the limiter falls back.
STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def client_address() -> str:
    return request.remote_addr or "unknown"


def _username_tried() -> str:
    # Spelt as sign-in reads it, so "Alice " and "alice" share a budget.
    return request.form.get("username", "").strip().casefold()


def _api_client() -> str:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        # Hashed: the limiter's keys in Redis are no more a credential than the database is.
        return "token:" + hashlib.sha256(secret.strip().encode()).hexdigest()
    return "address:" + client_address()


def _not_sign_in() -> bool:
    return request.endpoint != SIGN_IN_ENDPOINT


def _not_sign_in_with_a_username() -> bool:
    return _not_sign_in() or not _username_tried()


def _not_api() -> bool:
    return not request.path.startswith("/api/")


def _is_refused(response: Response) -> bool:
    return response.status_code == 401


def _limits(settings: config.Settings) -> list[ApplicationLimit]:
    limits = []
    if settings.sign_in_rate_limit.strip().lower() != "off":
        sign_in = settings.sign_in_rate_limit
        limits += [
            ApplicationLimit(
                sign_in,
                key_function=client_address,
                scope="sign-in-address",
                methods=["POST"],
                exempt_when=_not_sign_in,
            ),
            ApplicationLimit(
                sign_in,
                key_function=_username_tried,
                scope="sign-in-username",
                methods=["POST"],
                exempt_when=_not_sign_in_with_a_username,
            ),
        ]
    if settings.api_rate_limit.strip().lower() != "off":
        api = settings.api_rate_limit
        limits += [
            ApplicationLimit(api, key_function=_api_client, scope="api", exempt_when=_not_api),
            # A made-up token is a new key each time: refused requests count per address too.
            ApplicationLimit(
                api,
                key_function=client_address,
                scope="api-refused-address",
                exempt_when=_not_api,
                deduct_when=_is_refused,
            ),
        ]
    return limits


def install(app: Flask, settings: config.Settings) -> Limiter:
    """Limit ``app``'s sign-in and API requests as ``settings`` say."""
    limits = _limits(settings)
    limiter = Limiter(
        key_func=client_address,
        application_limits=limits,
        storage_uri=settings.rate_limit_storage_url,
        storage_options=STORAGE_OPTIONS
        if settings.rate_limit_storage_url.startswith("redis")
        else {},
        key_prefix=settings.rate_limit_prefix,
        # Smooths the edge between two windows: 10 a minute is never 20 in two seconds.
        strategy="sliding-window-counter",
        # Redis down: count in memory, logged once (flask-limiter's "Rate limit storage
        # unreachable"), and back to Redis when it answers; any other error lets the request
        # through, logged.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=False,  # the X-RateLimit-* headers would cost a Redis round trip each
        # Both limits off: no hooks at all, rather than two per request that find nothing to
        # count (a thirtieth of one system's answer).
        enabled=bool(limits),
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    return limiter


def retry_after() -> int:
    """Seconds until the limit this request broke lets one more through."""
    breached = current_app.extensions[EXTENSION].current_limit
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()))


def too_many_requests(error: RateLimitExceeded) -> Response | tuple[str, int, dict]:
    seconds = retry_after()
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith("/api/"):
        return problems.problem(
            429,
            f"Too many requests: at most {error.limit.limit} from this token or address. "
            f"Retry in {seconds} seconds.",
            title="Too many requests",
            type_="urn:tracker:problem:rate-limited",
            headers=headers,
            retry_after=seconds,
        )
    page = render_template(
        "error.html",
        title=_("Too many attempts"),
        message=_(
            "Too many sign-in attempts from this address or for this username. "
            "Wait %(seconds)s seconds, then try again.",
            seconds=seconds,
        ),
    )
    return page, 429, headers
