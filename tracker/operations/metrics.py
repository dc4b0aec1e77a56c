"""``/metrics``: the tracker's Prometheus metrics, through prometheus_client.

Two kinds of metric:

- Counted by the web processes as requests happen: request durations per route, method and
  status class (``tracker_http_request_duration_seconds``), evidence files uploaded and their
  bytes (``tracker_evidence_uploads_total``, ``tracker_evidence_upload_bytes_total``).
  ``tracker serve`` runs several worker processes: it points prometheus_client's multiprocess
  mode at a folder of its own (:func:`multiprocess_directory`), emptied at start, where each
  worker keeps its counts, and a scrape of any worker adds up every worker's, those that have
  exited included (their counts stay until the server restarts, as Prometheus expects of a
  counter). Elsewhere (``tracker run``, the tests) one process counts in memory.
- Read at scrape time from what every process shares (:class:`SharedState`): reminders by
  ledger state (one GROUP BY), evidence integrity failures (the audit trail's events), the RQ
  queue's depth and failed jobs, when a sweep last finished (a Redis key the sweep job sets)
  and when the audit chain was last verified (the newest signed checkpoint, which the sweep
  makes only after the chain verifies). A source that does not answer within the readiness
  time limit is left out, and ``tracker_metrics_source_up`` says so.

Who may read: a bearer token (``TRACKER_METRICS_TOKEN``) and/or client networks
(``TRACKER_METRICS_NETWORKS``); each one configured must be met (403 from another network,
401 without the right token); with neither, loopback only (and not a request a proxy forwarded
when no proxy is trusted: a proxy on this machine would make every client look local). The
client address is the one the proxy fix (``TRACKER_TRUSTED_PROXIES``) leaves in
``REMOTE_ADDR``.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import peewee
from flask import Flask, Response, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from werkzeug.wsgi import ClosingIterator

from tracker import config, db
from tracker.operations import health
from tracker.runtime import runtime

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "(unmatched)"  # the route label of a request no route matched (a 404 or 405)
# Seconds: from a probe's millisecond to a large upload's minutes.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
UPLOAD_FIELD = "files"  # the form field evidence files come in, on the pages and the API
ROUTE_KEY = "tracker.metrics.route"


# --- Counted by each web process ------------------------------------------------------------


@cache
def instruments() -> SimpleNamespace:
    """The per-process metrics, made once per process on first use.

    Not at import: prometheus_client picks in-memory or multiprocess counting as a metric is
    made, and ``tracker serve`` chooses the latter before it builds the app.
    """
    # The *_created series (when each count started) are left out, as multiprocess mode does.
    disable_created_metrics()
    return SimpleNamespace(
        duration=Histogram(
            "tracker_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response body, by route (the URL "
            "rule, not the path), method and status class.",
            ["route", "method", "status"],
            buckets=DURATION_BUCKETS,
            registry=None,
        ),
        uploads=Counter(
            "tracker_evidence_uploads",
            "Evidence files received by uploads that succeeded (the API and the pages).",
            registry=None,
        ),
        upload_bytes=Counter(
            "tracker_evidence_upload_bytes",
            "Bytes of the evidence files received by uploads that succeeded.",
            registry=None,
        ),
    )


class RequestTimer:
    """WSGI middleware: times each request until its response body is closed (a download
    streams after the view returns), labelled with the route the app saw."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["5xx"]  # what a request that fails before answering counts as

        def starting(line: str, headers: list, exc_info: Any = None) -> Any:
            status[0] = f"{line[:1]}xx"
            return start_response(line, headers, exc_info)

        def observe() -> None:
            instruments().duration.labels(
                environ.get(ROUTE_KEY, UNMATCHED), environ.get("REQUEST_METHOD", ""), status[0]
            ).observe(time.perf_counter() - started)

        try:
            body = self.wsgi_app(environ, starting)
        except BaseException:
            observe()
            raise
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):
            # A file served as is (a download): the server sends it with sendfile() only while
            # it is still the server's own file wrapper, so its close() is extended in place.
            closing = getattr(body, "close", None)

            def close() -> None:
                try:
                    if closing is not None:
                        closing()
                finally:
                    observe()

            body.close = close
            return body
        return ClosingIterator(body, [observe])


def note_request(response: Response) -> Response:
    """After each request: its route for the timer, and the evidence files it uploaded."""
    rule = request.url_rule
    request.environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED
    pending = request.environ.get("tracker.pending_uploads")
    if pending and response.status_code < 400:
        # Only a request whose form was parsed has pending uploads, so request.files is read
        # from what the parse kept. A file the upload finished (hashed) was taken in; one a
        # failed check refused made the request fail (4xx) and is not counted.
        received = {id(upload) for upload in pending}
        for part in request.files.getlist(UPLOAD_FIELD):
            upload = part.stream
            if id(upload) in received and getattr(upload, "sha256", ""):
                instruments().uploads.inc()
                instruments().upload_bytes.inc(getattr(upload, "size", 0))
    return response


# --- Read at scrape time from what every process shares -------------------------------------


def _timestamp(made_at: str) -> float | None:
    try:
        return datetime.fromisoformat(made_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def last_checkpoint_time(path: Path) -> float | None:
    """When the newest checkpoint in the file was made (the chain verified then), or None."""
    from tracker.audit import checkpoints

    newest = None
    for entry in checkpoints.read(path):
        if entry.checkpoint is not None:
            newest = entry.checkpoint  # appended in order: the last one is the newest
    return _timestamp(newest.made_at) if newest is not None else None


def _database_figures() -> dict[str, Any]:
    from tracker.models import AuditEvent, Notification
    from tracker.reminders import ledger

    database = db.database
    with database.connection_context():
        states = dict.fromkeys(ledger.STATES, 0)
        rows = (
            Notification.select(Notification.state, peewee.fn.COUNT(Notification.id))
            .group_by(Notification.state)
            .tuples()
        )
        for state, count in rows:
            states[state] = count
        failures = (
            AuditEvent.select()
            .where(AuditEvent.action == "evidence_file.integrity_failure")
            .count()
        )
    return {"reminders": states, "integrity_failures": failures}


def _redis_figures(settings: config.Settings) -> dict[str, Any]:
    from tracker.reminders import jobs

    connection = health.redis_client(settings)
    try:
        queue = jobs.queue(settings, connection)
        last_sweep = connection.get(jobs.LAST_SWEEP_KEY)
        return {
            "queue": queue.name,
            "depth": len(queue),
            "failed": queue.failed_job_registry.count,
            "last_sweep": float(last_sweep) if last_sweep else None,
        }
    finally:
        connection.close()


class SharedState(Collector):
    """The metrics read at scrape time (module doc), for one scrape of one app."""

    def __init__(self, settings: config.Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        found = health.within(
            {
                "database": _database_figures,
                "redis": lambda: _redis_figures(self.settings),
                "checkpoints": lambda: last_checkpoint_time(self.settings.audit_checkpoint_file),
            },
            health.CHECK_SECONDS,
        )
        up = GaugeMetricFamily(
            "tracker_metrics_source_up",
            "1 when a source of the scrape-time metrics answered this scrape, else 0 (its "
            "metrics are then missing).",
            labels=["source"],
        )
        for source in ("database", "redis"):
            up.add_metric([source], 0 if isinstance(found[source], BaseException) else 1)
        yield up
        yield from self._database(found["database"])
        yield from self._redis(found["redis"])
        checkpoint = found["checkpoints"]
        if checkpoint is not None and not isinstance(checkpoint, BaseException):
            yield GaugeMetricFamily(
                "tracker_last_audit_verification_timestamp_seconds",
                "When the newest signed audit checkpoint was made (Unix time): the daily sweep "
                "makes one only after the whole chain verified.",
                value=checkpoint,
            )

    @staticmethod
    def _database(figures: Any) -> Iterator[Metric]:
        if isinstance(figures, BaseException):
            return
        reminders = GaugeMetricFamily(
            "tracker_reminders",
            "Reminders in the notification ledger by state (pending, sending, sent, failed, "
            "obsolete); rows older than the ledger's retention are pruned.",
            labels=["state"],
        )
        for state, count in figures["reminders"].items():
            reminders.add_metric([state], count)
        yield reminders
        yield CounterMetricFamily(
            "tracker_evidence_integrity_failures",
            "Stored evidence files found missing or not matching their hash when read "
            "(audit events evidence_file.integrity_failure).",
            value=figures["integrity_failures"],
        )

    @staticmethod
    def _redis(figures: Any) -> Iterator[Metric]:
        if isinstance(figures, BaseException):
            return
        depth = GaugeMetricFamily(
            "tracker_queue_jobs", "Jobs waiting in the RQ queue.", labels=["queue"]
        )
        depth.add_metric([figures["queue"]], figures["depth"])
        yield depth
        failed = GaugeMetricFamily(
            "tracker_queue_failed_jobs",
            "Jobs in the RQ queue's failed job registry (out of retries).",
            labels=["queue"],
        )
        failed.add_metric([figures["queue"]], figures["failed"])
        yield failed
        if figures["last_sweep"] is not None:
            yield GaugeMetricFamily(
                "tracker_last_sweep_timestamp_seconds",
                "When the reminder sweep last finished (Unix time).",
                value=figures["last_sweep"],
            )


# --- The endpoint and who may read it --------------------------------------------------------


class _ProcessMetrics(Collector):
    """This process's own counts (in-memory mode)."""

    def collect(self) -> Iterator[Metric]:
        for instrument in vars(instruments()).values():
            yield from instrument.collect()


def exposition(settings: config.Settings, accept: str = "") -> tuple[bytes, str]:
    """Every metric, and its content type: Prometheus's text format, or OpenMetrics when the
    scraper's ``Accept`` asks for it."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROCESS_ENV)
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ProcessMetrics())
    registry.register(SharedState(settings))
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def allowed_networks(
    settings: config.Settings,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """TRACKER_METRICS_NETWORKS as networks; ConfigError for one that is not a CIDR."""
    networks = []
    for item in settings.metrics_networks.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise config.ConfigError(
                    f"TRACKER_METRICS_NETWORKS: {item.strip()!r} is not an address or a "
                    "network such as 10.0.0.0/8"
                ) from None
    return networks


def _client_address() -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((request.remote_addr or "").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal(settings: config.Settings) -> Response | None:
    """None when this request may read the metrics; else the 403 or 401 to answer."""
    address = _client_address()
    networks = allowed_networks(settings)
    if networks:
        inside = address is not None and any(address in network for network in networks)
    else:
        # Without networks, a token alone opens the metrics to any address; with neither,
        # only this machine reads them. A request a proxy forwarded, with no proxy trusted to
        # say whose it is, comes from the proxy's address: loopback for a proxy on this machine,
        # whoever the client is. It is refused.
        forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
        inside = bool(settings.metrics_token) or (
            address is not None
            and address.is_loopback
            and (settings.trusted_proxies > 0 or not forwarded)
        )
    if not inside:
        return Response("forbidden\n", status=403, mimetype="text/plain")
    if settings.metrics_token:
        scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), settings.metrics_token.encode()
        ):
            return Response(
                "a valid bearer token is required\n",
                status=401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    return None


@health.connects_itself
def metrics_view() -> Response:
    """The metrics, for a reader the settings allow."""
    settings = runtime().settings
    refused = refusal(settings)
    if refused is not None:
        return refused
    body, content_type = exposition(settings, request.headers.get("Accept", ""))
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Add ``/metrics`` to ``app`` and count its requests and uploads."""
    allowed_networks(runtime_settings(app))  # a mistyped network stops the app at start
    instruments()
    app.add_url_rule("/metrics", endpoint="operations_metrics", view_func=metrics_view)
    app.after_request(note_request)
    app.wsgi_app = RequestTimer(app.wsgi_app)  # type: ignore[method-assign]
    from tracker.web import limits

    limiter = app.extensions.get(limits.EXTENSION)
    if limiter is not None:
        limiter.exempt(metrics_view)


def runtime_settings(app: Flask) -> config.Settings:
    from tracker.runtime import EXTENSION

    return app.extensions[EXTENSION].settings


# --- tracker serve: several worker processes ---------------------------------------------------


def multiprocess_directory(data_dir: Path, host: str, port: int) -> Path:
    """Count in files under ``data_dir/metrics/`` from now on, in this process and its children.

    One folder per address served (two servers on one machine and one data folder never share
    or empty each other's), emptied here: counts from a previous run would otherwise be added
    to this one's. Call before the app is built.
    """
    name = "".join(c if c.isalnum() else "-" for c in f"{host}-{port}")
    directory = Path(data_dir) / "metrics" / name
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)
    # prometheus_client read the environment when it was imported, which may have been earlier.
    values.ValueClass = values.get_value_class()
    instruments.cache_clear()
    return directory


def worker_exited(pid: int) -> None:
    """Gunicorn's ``child_exit``: a worker's live gauges go with it (its counts stay)."""
    directory = os.environ.get(MULTIPROCESS_ENV)
    if directory:
        multiprocess.mark_process_dead(pid, directory)
