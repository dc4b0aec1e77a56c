"""CLI: users and API tokens."""

from __future__ import annotations

from datetime import date, datetime, time

import click

from tracker import accounts, sign_in
from tracker.cli import Context, cli_actor, pass_context, reports_errors
from tracker.cli.output import echo, printable
from tracker.cli.params import DAY, RecordId, RecordRef
from tracker.models import User
from tracker.vocabulary import ROLES


@click.group("users")
def users_group() -> None:
    """Create and list users."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="What the user may do.")
@click.option("--full-name", default="")
@click.option("--email", default="")
@pass_context
@reports_errors
def create_user(ctx: Context, username: str, role: str, full_name: str, email: str) -> None:
    """Create a user with a role."""
    ctx.connect()
    user = accounts.create_user(username, role, cli_actor(), full_name=full_name, email=email)
    echo(f"created user {printable(user.username)} ({user.role})")


@users_group.command("set-password")
@click.argument("username", type=RecordRef("user"))
@click.password_option(help="At least 12 characters (asked for twice when not given).")
@pass_context
@reports_errors
def set_password(ctx: Context, username: str | int, password: str) -> None:
    """Set a user's web sign-in password (argon2id); their other sessions end."""
    ctx.connect()
    user = accounts.get_user(username)
    sign_in.set_password(user, password, cli_actor())
    echo(f"password set for {printable(user.username)}")


@users_group.command("list")
@pass_context
def list_users(ctx: Context) -> None:
    """List users and their roles."""
    ctx.connect()
    for user in User.select().order_by(User.username):
        state = "" if user.is_active else " (inactive)"
        echo(f"{printable(user.username):<24} {user.role:<8} {printable(user.full_name)}{state}")


@click.group("tokens")
def tokens_group() -> None:
    """Issue, list and revoke API tokens."""


@tokens_group.command("create")
@click.argument("username", type=RecordRef("user"))
@click.option("--name", required=True, help="What the token is for, e.g. 'records system sync'.")
@click.option("--expires", type=DAY, help="Expiry date (UTC), YYYY-MM-DD.")
@pass_context
@reports_errors
def create_token(ctx: Context, username: str | int, name: str, expires: date | None) -> None:
    """Issue an API token; its secret is printed once and never stored."""
    ctx.connect()
    user = accounts.get_user(username)
    expires_at = datetime.combine(expires, time()) if expires else None
    token, secret = accounts.issue_token(user, name, cli_actor(), expires_at)
    echo(
        f"token {token.id} for {printable(user.username)} ({printable(token.name)}); "
        "keep this secret, it is shown once:"
    )
    echo(secret)


@tokens_group.command("list")
@click.argument("username", required=False, type=RecordRef("user"))
@pass_context
@reports_errors
def list_tokens(ctx: Context, username: str | int | None) -> None:
    """List tokens (all, or one user's)."""
    ctx.connect()
    user = accounts.get_user(username) if username else None
    for token in accounts.list_tokens(user):
        state = "revoked" if token.revoked_at else "active"
        echo(
            f"{token.id:>5} {printable(token.user.username):<20} {token.prefix}…  {state:<8} "
            f"{printable(token.name)}"
        )


@tokens_group.command("revoke")
@click.argument("token_id", type=RecordId("API token"))
@pass_context
@reports_errors
def revoke_token(ctx: Context, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    ctx.connect()
    accounts.revoke_token(token_id, cli_actor())
    echo(f"revoked token {token_id}")


COMMANDS = [users_group, tokens_group]
