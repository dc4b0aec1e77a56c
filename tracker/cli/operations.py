"""CLI: run the server and manage the database schema."""

from __future__ import annotations

import click

from tracker import schema
from tracker.cli import Context, pass_context
from tracker.cli.output import echo
from tracker.cli.params import PORT, Number
from tracker.config import ConfigError
from tracker.i18n import gettext as _


@click.group("db")
def db_group() -> None:
    """Database schema version and upgrades."""


@db_group.command("status")
@pass_context
def db_status(ctx: Context) -> None:
    """Show the schema version and any pending upgrades (a missing database is not created)."""
    state = schema.status(ctx.connect(current_schema=False))
    echo(_("schema version %(current)s of %(latest)s", current=state.current, latest=state.latest))
    for name in state.pending:
        echo(_("pending: %(name)s", name=name))


@db_group.command("upgrade")
@click.option("--to", "target", type=int, help="Stop at this schema version.")
@pass_context
def db_upgrade(ctx: Context, target: int | None) -> None:
    """Create or upgrade the database schema (safe to run repeatedly)."""
    try:
        applied = schema.upgrade(ctx.connect(create=True, current_schema=False), target)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    for name in applied:
        echo(_("applied %(name)s", name=name))
    echo(_("schema version %(version)s", version=schema.status(ctx.connect()).current))


def _check_address(host: str, port: int) -> None:
    """Stop with one line when the server could not listen on ``host:port``.

    Gunicorn would otherwise log the failure five times over five seconds and exit.
    """
    import socket

    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
            probe.bind(address)
    except OSError as error:
        raise click.ClickException(
            _(
                "cannot listen on %(address)s: %(reason)s",
                address=":".join((host, str(port))),
                reason=error.strerror or error,
            )
        ) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=PORT)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=Number(1, 64),
    help="Gunicorn worker processes.",
)
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Serve the web app and API with gunicorn (uploads stream straight to the store).

    Request heads are gathered without a thread, so slow clients cannot stop the server
    (tracker.serving.server); threads and timeouts come from the TRACKER_SERVER_* settings.
    """
    from tracker.app import SchemaOutOfDate, create_app
    from tracker.operations import metrics
    from tracker.serving import server

    settings = ctx.settings
    ctx.connect()  # a missing or out-of-date database stops here, before anything is created
    _check_address(host, port)
    # Before the app is built: every worker process counts its requests in files there.
    metrics.multiprocess_directory(settings.data_dir, host, port)
    try:
        app = create_app(settings)  # logs each plugin problem once
    except (SchemaOutOfDate, ConfigError) as error:
        raise click.ClickException(str(error)) from None
    ctx.close()

    url = f"http://{host}:{port}/"
    echo(_("AI Evidence Tracker on %(url)s (API docs: /api/docs)", url=url))
    server.serve(
        app,
        bind=f"{host}:{port}",
        workers=workers,
        threads=settings.server_threads,
        running=settings.server_running,
        connections=settings.server_connections,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        worker_exited=metrics.worker_exited,
    )


COMMANDS = [db_group, serve]
