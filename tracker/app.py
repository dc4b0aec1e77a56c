"""The Flask application factory.

The app is a thin shell: it binds the database, opens the evidence store,
streams uploads straight into that store, and mounts the API. Everything it
serves is computed by the plain-Python modules beside it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, request
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.routing import IntegerConverter

from evidence import PendingFile, open_store
from tracker import config, db, evidence_items, schema
from tracker.api.json_text import OrjsonProvider
from tracker.operations import logs, proxy
from tracker.plugin_host import load_catalogue_for
from tracker.runtime import EXTENSION, Runtime, runtime

# Bytes of a multipart body parsed at a time (werkzeug's own is 64 KiB). The server hands the
# body over up to 1 MiB at a time and copies what a read leaves over for the next one: reading
# it 64 KiB at a time cost a quarter of an upload's CPU (bench_upload: 1.39 s of server CPU for
# 512 MiB, 1.03 s with this). Kept under half the form-memory limit, which the parser applies
# to each read.
UPLOAD_READ_BYTES = 256 * 1024


class UploadFormParser(FormDataParser):
    """Werkzeug's form parser, reading multipart bodies :data:`UPLOAD_READ_BYTES` at a time.

    Werkzeug (3.1) offers no setting for it: this is its ``_parse_multipart`` with the buffer
    size added (tests/api/test_upload_reads.py would see a change of that private method)."""

    def _parse_multipart(
        self, stream: Any, mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> Any:
        limit = self.max_form_memory_size
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=limit,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=UPLOAD_READ_BYTES
            if limit is None
            else max(1024, min(UPLOAD_READ_BYTES, limit // 2)),
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class StreamingUploadRequest(Request):
    """Streams every uploaded file part into the evidence store's temporary area.

    Werkzeug calls ``_get_file_stream`` once per file part; handing it a
    :class:`PendingFile` hashes the bytes as they arrive, so a file is written
    once and never held in memory. Whatever the request does not commit is
    discarded when it ends.
    """

    form_data_parser_class = UploadFormParser

    def _get_file_stream(self, *args: Any, **kwargs: Any) -> PendingFile:
        pending = runtime().store.begin()
        self.pending_uploads.append(pending)
        return pending

    @property
    def pending_uploads(self) -> list[PendingFile]:
        return self.environ.setdefault("tracker.pending_uploads", [])


class DatabaseId(IntegerConverter):
    """``<int:...>`` in routes: a positive id within the database's integer range."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", db.MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class SchemaOutOfDate(RuntimeError):
    pass


def create_app(settings: config.Settings | None = None, **overrides: Any) -> Flask:
    """Build the tracker app from ``settings`` (default: the environment)."""
    settings = settings or config.from_environ()
    if overrides:
        settings = settings.with_overrides(**overrides)
    # PostgreSQL through a pool: each request takes a connection and gives it back at its end.
    database = db.bind(settings.database_url, pool=settings.database_pool)
    with database.connection_context():
        state = schema.status(database)
    # `tracker serve` forks its workers from this process: none may inherit this connection.
    db.release_idle(database)
    if not state.up_to_date:
        raise SchemaOutOfDate(
            f"the database schema is at version {state.current}, this code needs version "
            f"{state.latest}: run `tracker db upgrade`"
        )

    app = Flask(__name__)
    app.request_class = StreamingUploadRequest
    app.json = OrjsonProvider(app)
    # Before any route is added: an id no row can have is "not found", never a database error.
    app.url_map.converters["int"] = DatabaseId
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        TESTING=settings.env == "testing",
    )
    # Raises CatalogueConfigError (a ConfigError) when the settings name an unknown
    # jurisdiction or requirement: better no server than one that calls everything compliant.
    catalogue = load_catalogue_for(settings)
    for problem in catalogue.problems:  # reported here, once, whatever server runs the app
        logging.getLogger(__name__).warning("%s (the rest keeps working)", problem)
    store = open_store(settings)
    # Cheap (one directory or bucket listing): uploads a killed server left half-written are
    # freed here. An object store that cannot be reached does not stop the server starting:
    # its requests fail (and /readyz says so) until it is back.
    try:
        evidence_items.remove_interrupted_uploads(store, settings.upload_temp_max_age_hours)
    except OSError as error:
        logging.getLogger(__name__).error("could not remove interrupted uploads: %s", error)
    app.extensions[EXTENSION] = Runtime(settings=settings, store=store, catalogue=catalogue)
    # First of the request hooks: the request id is there for everything after it, and the
    # request's log line (written last) sees the status actually sent.
    logs.init_app(app, settings)
    proxy.init_app(app, settings)  # X-Forwarded-* trusted only from TRACKER_TRUSTED_PROXIES

    @app.before_request
    def open_connection() -> None:
        # The probes and /metrics (tracker.operations) connect themselves, within a time limit.
        if getattr(app.view_functions.get(request.endpoint or ""), "connects_itself", False):
            return
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def close_connection(exc: BaseException | None) -> None:
        # Pooled (PostgreSQL), close() gives the connection back, rolled back if a failed
        # request left a transaction open; SQLite's is closed.
        for pending in request.environ.get("tracker.pending_uploads", []):
            pending.discard()
        if not database.is_closed():
            database.close()

    from tracker.api import init_api
    from tracker.operations import health, metrics
    from tracker.web import init_web

    init_api(app)
    with app.app_context():
        init_web(app)
    # After the pages: their rate limiter exists, and these routes are taken out of it.
    health.init_app(app)
    metrics.init_app(app)
    return app
