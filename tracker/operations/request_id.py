"""The id of the request (or of the job it queued) that the current code works for.

A request takes the id its ``X-Request-ID`` header brings when that is a sane one (a proxy or a
load balancer in front made it), else a new one; the id goes back in the response's header, on
every log line written for the request, into the RQ jobs it queues (in the job's meta) and onto
the audit events it records. In a worker, the job's id comes from its meta: the log lines and
audit events of the job carry the request's id.

No Flask here: :mod:`tracker.audit` reads :func:`current` in the web app, the worker and the CLI.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

HEADER = "X-Request-ID"
META_KEY = "request_id"  # in an RQ job's meta
MAX_LENGTH = 64
# What an id may be made of: what proxies, load balancers and uuid make (hex, base64url, dashes,
# dots), and nothing a log reader or a terminal could take for something else.
_SANE = re.compile(rf"[A-Za-z0-9._:+/=-]{{8,{MAX_LENGTH}}}")

_current: ContextVar[str] = ContextVar("tracker_request_id", default="")


def new() -> str:
    """A fresh id: 32 hex digits (a random UUID)."""
    return uuid.uuid4().hex


def accepted(value: str | None) -> str:
    """``value`` if it is a sane id (8 to 64 characters of a safe set), else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return new()


def current() -> str:
    """The id the code runs for: the request's, or the running RQ job's; '' when neither."""
    value = _current.get()
    if value:
        return value
    return _job_request_id()


def _job_request_id() -> str:
    # RQ keeps the running job in a context variable of its own (rq >= 2): a cheap look-up,
    # None outside a job.
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return ""
    value = (job.meta or {}).get(META_KEY, "")
    return value if isinstance(value, str) else ""


def bind(value: str) -> Any:
    """Make ``value`` the current id; returns the token :func:`unbind` takes."""
    return _current.set(value)


def unbind(token: Any) -> None:
    _current.reset(token)


@contextmanager
def bound(value: str) -> Iterator[str]:
    """The current id is ``value`` within the block (a job wrapper, a CLI command)."""
    token = bind(value)
    try:
        yield value
    finally:
        unbind(token)


def job_meta(meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """An RQ job's meta carrying the current id (for ``Queue.enqueue(..., meta=...)``)."""
    meta = dict(meta or {})
    value = current()
    if value:
        meta[META_KEY] = value
    return meta
