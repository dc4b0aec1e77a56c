"""CLI: users and API tokens."""

from __future__ import annotations

from datetime import date, datetime, time

import click

from tracker import accounts, i18n, sign_in
from tracker.cli import Context, cli_actor, pass_context, reports_errors
from tracker.cli.output import echo, printable
from tracker.cli.params import DAY, RecordId, RecordRef
from tracker.models import User
from tracker.vocabulary import ROLES


@click.group("users")
def users_group() -> None:
    """Create, list and administer users."""


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
    """List users, their roles and whether they are deactivated or locked."""
    ctx.connect()
    for user in User.select().order_by(User.username):
        state = ""
        if not user.is_active:
            state = " (inactive)"
        elif accounts.is_locked(user):
            state = f" (locked until {user.locked_until:%Y-%m-%d %H:%M} UTC)"
        echo(f"{printable(user.username):<24} {user.role:<8} {printable(user.full_name)}{state}")


@users_group.command("roles")
def describe_roles() -> None:
    """What each role may do."""
    for role, label in ROLES.items():
        echo(f"{role} ({label}):")
        for ability in accounts.abilities(role):
            echo(f"  - {ability}")


@users_group.command("set-role")
@click.argument("username", type=RecordRef("user"))
@click.argument("role", type=click.Choice(list(ROLES)))
@pass_context
@reports_errors
def set_role(ctx: Context, username: str | int, role: str) -> None:
    """Give a user another role (the last active administrator keeps theirs)."""
    ctx.connect()
    user = accounts.change_role(accounts.get_user(username), role, cli_actor())
    echo(f"{printable(user.username)} is now {user.role}")


@users_group.command("deactivate")
@click.argument("username", type=RecordRef("user"))
@pass_context
@reports_errors
def deactivate(ctx: Context, username: str | int) -> None:
    """Stop a user signing in: their sessions end and their API tokens are revoked."""
    ctx.connect()
    user = accounts.set_active(accounts.get_user(username), False, cli_actor())
    echo(f"deactivated {printable(user.username)}")


@users_group.command("reactivate")
@click.argument("username", type=RecordRef("user"))
@pass_context
@reports_errors
def reactivate(ctx: Context, username: str | int) -> None:
    """Let a deactivated user sign in again (their revoked API tokens stay revoked)."""
    ctx.connect()
    user = accounts.set_active(accounts.get_user(username), True, cli_actor())
    echo(f"reactivated {printable(user.username)}")


@users_group.command("unlock")
@click.argument("username", type=RecordRef("user"))
@pass_context
@reports_errors
def unlock(ctx: Context, username: str | int) -> None:
    """Lift the lock after too many wrong passwords before it ends by itself."""
    ctx.connect()
    user = accounts.unlock(accounts.get_user(username), cli_actor())
    echo(f"unlocked {printable(user.username)}")


@users_group.command("edit")
@click.argument("username", type=RecordRef("user"))
@click.option("--full-name", help="The user's name as people read it.")
@click.option("--email", help="Where reminders reach the user ('' removes it).")
@pass_context
@reports_errors
def edit(ctx: Context, username: str | int, full_name: str | None, email: str | None) -> None:
    """Change a user's full name or e-mail address (options not given stay as they are)."""
    ctx.connect()
    user = accounts.get_user(username)
    user = accounts.update_details(
        user,
        cli_actor(),
        user.full_name if full_name is None else full_name,
        user.email if email is None else email,
    )
    echo(f"{printable(user.username)}: {printable(user.full_name)} <{printable(user.email)}>")


@users_group.command("set-language")
@click.argument("username", type=RecordRef("user"))
@click.argument("language", type=click.Choice(["", *i18n.LANGUAGES]))
@pass_context
@reports_errors
def set_language(ctx: Context, username: str | int, language: str) -> None:
    """The language of a user's pages and e-mails ('' = their browser's)."""
    ctx.connect()
    user = accounts.set_language(accounts.get_user(username), language, cli_actor())
    echo(f"{printable(user.username)} reads {user.language or 'the browser language'}")


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
    """List tokens (all, or one user's): active, expired or revoked."""
    ctx.connect()
    user = accounts.get_user(username) if username else None
    for token in accounts.list_tokens(user):
        state = accounts.token_state(token)
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
