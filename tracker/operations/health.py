"""``/healthz`` and ``/readyz``: is the process alive, and can it serve requests?

- ``/healthz`` answers 200 as long as the process answers HTTP at all: it touches no database,
  no Redis, no store (an orchestrator restarts a process whose liveness fails, and restarting
  the app does not mend a database that is down).
- ``/readyz`` checks what a request needs: the database (a query, and the schema at the
  version this code expects), Redis (PING), the evidence store (a file store's folders listable
  and writable; another store's own ``ready()``, else a lookup of an object through it). All
  checks run at once, each in its own thread, and a check that has not answered within
  :data:`CHECK_SECONDS` fails as timed out: a hung dependency makes the probe fail, never hang.
  200 with every part "ok", else 503 naming the part that failed.

Both are public (a load balancer or an orchestrator calls them without credentials) and exempt
from rate limits. The answers say which part failed and how (an error's type, a schema
version), never an address, a URL or a credential: the details go to the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, jsonify
from redis import Redis

from tracker import config, db, schema
from tracker.runtime import runtime

bp = Blueprint("operations_health", __name__)
log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # the longest a readiness check (or a metrics source) may take
OK = "ok"
# Any 64 hex digits name an object; this one is never stored (a file hashing to it is not known).
PROBE_SHA256 = "0" * 64
F = TypeVar("F", bound=Callable[..., Any])


class NotReady(Exception):
    """A dependency answered, but not as the app needs (the message says how, with no secret)."""


def connects_itself(view: F) -> F:
    """Mark a view that opens its database connection itself, within a time limit.

    The app's ``open_connection`` (tracker.app) skips it: a database that is down or hung then
    makes the probe answer 503 in time, rather than the request fail before reaching it.
    """
    view.connects_itself = True  # type: ignore[attr-defined]
    return view


def within(checks: dict[str, Callable[[], Any]], seconds: float) -> dict[str, Any]:
    """Run every check at once, each in a daemon thread; wait at most ``seconds`` for them all.

    Returns each check's result, or the exception it raised, or :class:`TimeoutError` when it
    had not finished in time. A thread left running finishes on its own (each check also has
    timeouts of its own) and, as a daemon, never keeps the process from exiting.
    """
    results: dict[str, Any] = {}
    lock = threading.Lock()

    def run(name: str, check: Callable[[], Any]) -> None:
        try:
            outcome: Any = check()
        except Exception as error:  # reported as the part's failure, never raised to the caller
            outcome = error
        with lock:
            results[name] = outcome

    threads = [
        threading.Thread(target=run, args=(name, check), name=f"check-{name}", daemon=True)
        for name, check in checks.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds  # one time limit for them all, not one each
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    with lock:
        return {
            name: results.get(name, TimeoutError(f"no answer within {seconds:g} s"))
            for name in checks
        }


def check_database() -> str:
    """A query, and the schema version, on a connection of the check's own thread."""
    database = db.database
    with database.connection_context():
        if db.is_postgres():
            with database.atomic():
                # Only this transaction: the pooled connection goes back without the limit.
                database.execute_sql(f"SET LOCAL statement_timeout = {int(CHECK_SECONDS * 1000)}")
                state = schema.status(database)
        else:
            database.execute_sql("SELECT 1")
            state = schema.status(database)
    if not state.up_to_date:
        raise NotReady(
            f"schema version {state.current}, this code needs {state.latest}: "
            "run `tracker db upgrade`"
        )
    return OK


def redis_client(settings: config.Settings) -> Redis:
    """A connection to the settings' Redis that gives up quickly (probes and metrics)."""
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=CHECK_SECONDS / 2,
        socket_timeout=CHECK_SECONDS / 2,
    )


def check_redis(settings: config.Settings) -> str:
    connection = redis_client(settings)
    try:
        connection.ping()
    finally:
        connection.close()
    return OK


def check_store(store: Any) -> str:
    """Whether the evidence store can be read and written, by whatever means it offers.

    A store with a ``ready()`` method is asked through it. A file store (``objects`` and
    ``tmp`` folders) must let its objects folder be listed and a file be made and removed in
    its temporary folder. An S3 store (a ``location.bucket`` and a boto3 ``client``) is asked
    for its bucket (HEAD bucket: the endpoint answers, the bucket is there, the credentials are
    good; nothing changes). Any other store is asked whether an object exists.
    """
    ready = getattr(store, "ready", None)
    if callable(ready):
        ready()
        return OK
    objects, tmp = getattr(store, "objects", None), getattr(store, "tmp", None)
    if isinstance(objects, Path) and isinstance(tmp, Path):
        with os.scandir(objects) as entries:
            next(entries, None)
        handle, name = tempfile.mkstemp(prefix="readiness-", dir=tmp)
        os.close(handle)
        os.unlink(name)
        return OK
    location, client = getattr(store, "location", None), getattr(store, "client", None)
    bucket = getattr(location, "bucket", None)
    if bucket and client is not None:
        # An object store: a missing object and a missing bucket both answer a HEAD of the
        # object with 404, so the bucket itself is asked for (needs it and the credentials).
        client.head_bucket(Bucket=bucket)
        return OK
    store.exists(PROBE_SHA256)
    return OK


def describe_failure(result: Any) -> str:
    """A failed part as the answer shows it: how it failed, with no address or secret."""
    if isinstance(result, NotReady):
        return f"not ready: {result}"
    if isinstance(result, TimeoutError):
        return f"timed out: {result}" if str(result) else "timed out"
    if isinstance(result, PermissionError):
        return "not writable: permission denied"
    if isinstance(result, OSError) and result.strerror:
        return f"unavailable: {result.strerror}"
    return f"unreachable: {type(result).__name__}"


def readiness(settings: config.Settings, store: Any) -> dict[str, str]:
    """Each part's state: "ok", or how it failed."""
    results = within(
        {
            "database": check_database,
            "redis": lambda: check_redis(settings),
            "evidence_store": lambda: check_store(store),
            # The schema version is read with the database check (one connection, one query).
        },
        CHECK_SECONDS,
    )
    checks = {}
    for part, result in results.items():
        if result == OK:
            checks[part] = OK
        else:
            checks[part] = describe_failure(result)
            log.warning("readiness: %s failed: %s", part, _redacted(settings, result))
    return checks


def _redacted(settings: config.Settings, error: Any) -> str:
    """An error's own text for the log, without the passwords that URLs in it may carry."""
    text = db.one_line(error) if isinstance(error, BaseException) else str(error)
    for url in (settings.database_url, settings.redis_url):
        with contextlib.suppress(ValueError):
            text = text.replace(url, db.redacted(url))
    for secret in (settings.metrics_token, settings.secret_key):
        if secret:
            text = text.replace(secret, "***")
    return f"{type(error).__name__}: {text}"


@bp.route("/healthz")
@connects_itself  # it never connects at all
def healthz() -> Response:
    """The process is alive and answers."""
    return jsonify(status=OK)


@bp.route("/readyz")
@connects_itself
def readyz() -> tuple[Response, int]:
    """Ready when the database (at the current schema), Redis and the evidence store answer."""
    state = runtime()
    checks = readiness(state.settings, state.store)
    healthy = all(value == OK for value in checks.values())
    return jsonify(status=OK if healthy else "fail", checks=checks), 200 if healthy else 503


def init_app(app: Flask) -> None:
    """Add ``/healthz`` and ``/readyz`` to ``app``, outside rate limits and sign-in."""
    app.register_blueprint(bp)
    exempt_from_rate_limits(app, bp)


def exempt_from_rate_limits(app: Flask, blueprint: Blueprint) -> None:
    """Keep the limiter (tracker.web.limits) away from a blueprint's routes altogether: probes
    and scrapes come often from one address, and must not wait on the limiter's Redis."""
    from tracker.web import limits

    limiter = app.extensions.get(limits.EXTENSION)
    if limiter is not None:
        limiter.exempt(blueprint)
