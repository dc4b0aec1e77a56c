"""Log lines operations can use: JSON or text, a line per request, a request id on every line.

``TRACKER_LOG_FORMAT=json`` writes each log record as one JSON object a line (python-json-logger)
with ``time``, ``level``, ``logger``, ``message`` and ``request_id``; ``text`` (the default, for
development) writes the same as plain text. :func:`configure` sets this up for a process: the
server (through :func:`init_app`), the worker and the scheduler.

Every request writes one line, logger ``tracker.requests``, when its response is ready (for a
generated body, once it has all been sent): ``route`` (the URL rule, never the path, so
a token in a path such as an unsubscribe link never reaches the log), ``method``, ``status``,
``duration_ms``, ``user`` (the username, or ``-``), ``client`` (the client's address, as the
proxy settings make it: :mod:`tracker.operations.proxy`), ``scheme`` and ``request_id``.

Nothing a request carries as a secret is logged: no headers (Authorization, Cookie), no query
string, no body. As a second line of defence, every formatted line goes through
:func:`redact`, which masks what looks like a credential (``token=…``, ``password: …``,
``Bearer …``) and the configured secrets themselves (the secret key, the SMTP password, the
metrics token, the audit key) wherever they would appear.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from gunicorn.glogging import Logger as GunicornBaseLogger
from pythonjsonlogger.json import JsonFormatter

from tracker.config import Settings
from tracker.operations import request_id

REQUEST_LOGGER = "tracker.requests"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("levelname", "name", "message")
JSON_NAMES = {"levelname": "level", "name": "logger"}
REDACTED = "[redacted]"
_START = "tracker.request_started"  # environ key: perf_counter() when the request began
MIN_SECRET = 4  # characters: shorter configured values would mask ordinary words

# name=value, name: value, "name": "value" for names that carry credentials.
_CREDENTIAL = re.compile(
    r"(?i)\b((?:[a-z_]*token|password|passwd|secret|api[_-]?key|authorization|cookie|"
    r"session[_-]?key|signature)\b[\"']?\s*[:=]\s*[\"']?)(?!\[redacted\])(bearer\s+|basic\s+)?"
    r"[^\s&\"',;]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{6,}")
# scheme://user:password@host (a database or Redis URL in an error message)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)(?!\[redacted\])[^@\s/]+@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials and the given secret values masked."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{REDACTED}", text)


class _Redacting:
    """Formatter mix-in: every formatted line, traceback included, goes through :func:`redact`."""

    secrets: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)  # type: ignore[misc]


class TextFormatter(_Redacting, logging.Formatter):
    pass


class JsonLineFormatter(_Redacting, JsonFormatter):
    pass


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id ('-' when none), unless it has one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.current() or "-"
        return True


class _CurrentStderr(logging.StreamHandler):
    """A stream handler writing to whatever ``sys.stderr`` is when a line is written (a test
    runner swaps it), or to the stream it was given."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._fixed = stream is not None

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return self.__dict__["_stream"] if self._fixed else sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        self.__dict__["_stream"] = value


def formatter(log_format: str, secrets: Iterable[str] = ()) -> logging.Formatter:
    """The formatter of ``log_format`` ("json" or "text")."""
    made: logging.Formatter
    if log_format == "json":
        # "time": ISO 8601 in UTC, to the microsecond.
        made = JsonLineFormatter(list(JSON_FIELDS), rename_fields=JSON_NAMES, timestamp="time")
    else:
        made = TextFormatter(TEXT_FORMAT)
    made.secrets = tuple(s for s in secrets if s)  # type: ignore[attr-defined]
    return made


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """Configured values that must never appear in a log line."""
    values = [settings.smtp_password, settings.metrics_token, settings.pack_signing_key]
    if not settings.secret_key.startswith("insecure-"):
        values.append(settings.secret_key)
    values += [key.strip() for key in settings.audit_key.split(",")]
    for url in (settings.database_url, settings.redis_url, settings.rate_limit_storage_url):
        with contextlib.suppress(ValueError):
            values.append(unquote(urlsplit(url).password or ""))
    return tuple(v for v in values if len(v) >= MIN_SECRET)


def configure(
    log_format: str = "text",
    *,
    stream: Any = None,
    secrets: Iterable[str] = (),
    level: int = logging.INFO,
) -> logging.Handler:
    """Log every record at ``level`` and above to ``stream`` (default: standard error) as
    ``log_format`` says. Replaces what an earlier call set up, and nothing else."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "tracker_handler", False)]:
        root.removeHandler(old)
    handler = _CurrentStderr(stream)
    handler.tracker_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(log_format, secrets))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


def configure_for(settings: Settings, **kwargs: Any) -> logging.Handler:
    """:func:`configure` as the settings say (TRACKER_LOG_FORMAT), masking their secrets."""
    return configure(settings.log_format, secrets=secrets_of(settings), **kwargs)


class GunicornLogger(GunicornBaseLogger):
    """Gunicorn's logger for `tracker serve` (its ``logger_class``): gunicorn's own lines
    (starting, a worker booting or dying) go through the process's logging, in the format the
    settings say, and there are no access lines: the app writes one per request itself, naming
    its route where gunicorn's would show the path and query string (which can hold a token, as
    an unsubscribe link's does). Where something else set logging up, gunicorn's own handlers
    stay as they are."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        root = logging.getLogger()
        if not any(getattr(h, "tracker_handler", False) for h in root.handlers):
            return
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                if getattr(handler, "_gunicorn", False):
                    log.removeHandler(handler)
        self.error_log.propagate = True

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, *args: Any, **kwargs: Any) -> None:
        return None


def _someone_else_logs() -> bool:
    """Whether the process's logging was set up by something else (a test runner, a server
    embedding the app): then it is left as it is."""
    return any(not getattr(h, "tracker_handler", False) for h in logging.getLogger().handlers)


def _username() -> str:
    from flask import g

    api_user = g.get("user")  # the API's bearer-token user (tracker.api.auth)
    if api_user is not None:
        return api_user.username
    # The web's signed-in account, only if this request already loaded it: no query for it here.
    account = g.get("_login_user")
    if account is not None and getattr(account, "is_authenticated", False):
        return account.username
    return "-"


def init_app(app: Any, settings: Settings) -> None:
    """Request ids and the per-request log line for ``app``; log output for the process as the
    settings say, unless something else set logging up already."""
    from flask import Response, request

    if not _someone_else_logs():
        configure_for(settings)
    log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def take_request_id() -> None:
        request.environ[_START] = time.perf_counter()
        value = request_id.accepted(request.headers.get(request_id.HEADER))
        request.environ["tracker.request_id"] = value
        request_id.bind(value)

    @app.after_request
    def log_request(response: Response) -> Response:
        # Registered first, so run last: the status is the one sent.
        value = request.environ.get("tracker.request_id") or request_id.new()
        response.headers[request_id.HEADER] = value
        started = request.environ.get(_START, time.perf_counter())
        rule = request.url_rule
        fields = {
            "route": rule.rule if rule is not None else "-",
            "method": request.method,
            "status": response.status_code,
            "user": _username(),
            "client": request.remote_addr or "-",
            "scheme": request.scheme,
            "request_id": value,
        }

        def written() -> None:
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
            log.info(
                "%s %s %s %.1f ms",
                fields["method"],
                fields["route"],
                fields["status"],
                fields["duration_ms"],
                extra=fields,
            )

        if response.is_streamed and not response.direct_passthrough:
            # A generated body: once the server has sent it all, so that the duration is the
            # whole download's. (A file is handed to the server as it is, to send with
            # sendfile: no close of the response is ever called, so its line is written now.)
            response.call_on_close(written)
        else:
            written()
        return response

    @app.teardown_request
    def forget_request_id(exc: BaseException | None) -> None:
        request_id.bind("")
