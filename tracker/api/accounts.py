"""API: who am I, and (for administrators) users, their deactivation and their API tokens."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from tracker import accounts
from tracker.api.auth import Forbidden, actor, current_user, require
from tracker.api.blueprint import Blueprint
from tracker.api.pagination import QueryPage
from tracker.api.schemas import (
    IssuedTokenOut,
    TokenFilters,
    TokenIn,
    TokenOut,
    UserFilters,
    UserIn,
    UserOut,
)
from tracker.models import ApiToken


class TokenState(fields.String):
    """A token's state, worked out as the API authenticates (an expired token is not active)."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return accounts.token_state(obj)


class TokenListedOut(TokenOut):
    state = TokenState(
        metadata={
            "enum": list(accounts.TOKEN_STATES),
            "description": "active, expired (its expires_at has passed) or revoked",
        }
    )


blp = Blueprint("accounts", __name__, url_prefix="/api", description="Users, roles and API tokens.")


@blp.route("/me")
class Me(MethodView):
    @require("systems:read")
    @blp.response(200, UserOut)
    def get(self):
        """The user the presented token belongs to."""
        return current_user()


@blp.route("/users")
class Users(MethodView):
    @require("users:manage")
    @blp.arguments(UserFilters, location="query")
    @blp.response(200, UserOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters):
        """Users, with filters."""
        return accounts.find_users(filters)

    @require("users:manage")
    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, data):
        """Create a user with a role."""
        return accounts.create_user(
            data["username"],
            data["role"],
            actor(),
            full_name=data["full_name"],
            email=data["email"],
        )


@blp.route("/users/<username>/tokens")
class UserTokens(MethodView):
    @require("users:manage")
    @blp.arguments(TokenFilters, location="query")
    @blp.response(200, TokenListedOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters, username):
        """A user's API tokens (secrets are never shown again); revoked ones only when asked."""
        return accounts.list_tokens(accounts.get_user(username), filters["include_revoked"])

    @require("users:manage")
    @blp.arguments(TokenIn)
    @blp.response(201, IssuedTokenOut)
    def post(self, data, username):
        """Issue a token for a user; the secret is in this response only."""
        expires = data["expires_at"]
        if expires is not None and expires.tzinfo is not None:
            expires = expires.astimezone(tz=None).replace(tzinfo=None)
        token, secret = accounts.issue_token(
            accounts.get_user(username), data["name"], actor(), expires
        )
        token.secret = secret
        return token


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @require("systems:read")
    @blp.response(200, TokenOut)
    def delete(self, token_id):
        """Revoke a token: administrators any token, everyone else their own."""
        user = current_user()
        owner = ApiToken.select(ApiToken.user).where(ApiToken.id == token_id).scalar()
        if (
            owner is not None
            and owner != user.id
            and not accounts.allowed(user.role, "users:manage")
        ):
            raise Forbidden(user.role, "revoking another user's token")
        return accounts.revoke_token(token_id, actor())


@blp.route("/users/<username>/deactivate")
class Deactivate(MethodView):
    @require("users:manage")
    @blp.response(200, UserOut)
    def post(self, username):
        """Deactivate a user: their web sessions end and every API token they hold is revoked.

        Nobody deactivates their own account, and the last active administrator stays active.
        """
        return accounts.set_active(accounts.get_user(username), False, actor(), by=current_user())


@blp.route("/users/<username>/reactivate")
class Reactivate(MethodView):
    @require("users:manage")
    @blp.response(200, UserOut)
    def post(self, username):
        """Let a deactivated user sign in again (their revoked tokens stay revoked)."""
        return accounts.set_active(accounts.get_user(username), True, actor(), by=current_user())
