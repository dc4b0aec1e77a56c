"""CLI: run the server and manage the database schema."""

from __future__ import annotations

import click

from tracker import schema
from tracker.cli import Context, pass_context
from tracker.config import ConfigError


@click.group("db")
def db_group() -> None:
    """Database schema version and upgrades."""


@db_group.command("status")
@pass_context
def db_status(ctx: Context) -> None:
    """Show the schema version and any pending upgrades."""
    state = schema.status(ctx.connect())
    click.echo(f"schema version {state.current} of {state.latest}")
    for name in state.pending:
        click.echo(f"pending: {name}")


@db_group.command("upgrade")
@click.option("--to", "target", type=int, help="Stop at this schema version.")
@pass_context
def db_upgrade(ctx: Context, target: int | None) -> None:
    """Create or upgrade the database schema (safe to run repeatedly)."""
    try:
        applied = schema.upgrade(ctx.connect(), target)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"schema version {schema.status(ctx.connect()).current}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers", default=2, show_default=True, type=int, help="Gunicorn worker processes."
)
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Serve the web app and API with gunicorn (uploads stream straight to the store)."""
    from gunicorn.app.base import BaseApplication

    from tracker.app import SchemaOutOfDate, create_app

    settings = ctx.settings
    try:
        app = create_app(settings)  # logs each plugin problem once
    except (SchemaOutOfDate, ConfigError) as error:
        raise click.ClickException(str(error)) from None
    ctx.close()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", 600)
            self.cfg.set("accesslog", "-")

        def load(self):
            return app

    click.echo(f"AI Evidence Tracker on http://{host}:{port}/ (API docs: /api/docs)")
    Server().run()


COMMANDS = [db_group, serve]
