"""Administering users (administrators only): create, change a role, deactivate, unlock, reset a
password, and see, issue and revoke anyone's API tokens.

The rules (who stays an administrator, what a password or a token must be) are the domain's,
in :mod:`tracker.accounts` and :mod:`tracker.sign_in`; this module reads the forms and puts each
refusal beside its field. A token's secret or a generated password appears in the response to
the form that made it and nowhere else: not in a redirect, the session or a log.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from tracker import accounts, sign_in
from tracker.db import utcnow, write_transaction
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.models import ApiToken, User
from tracker.vocabulary import ROLES
from tracker.web.account import issue_token_from, secret_response
from tracker.web.session import requires, user

bp = Blueprint("users", __name__, template_folder="templates")
STATES = ("active", "locked", "inactive")


def roles_with_abilities() -> dict[str, list[str]]:
    return {role: accounts.abilities(role) for role in ROLES}


def state_of(person: User) -> str:
    if not person.is_active:
        return "inactive"
    return "locked" if accounts.is_locked(person) else "active"


@bp.route("/users", methods=["GET", "POST"])
@requires("users:manage")
def index() -> Any:
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {"role": "viewer"}
    status = 200
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            created, password = _create(values)
        except ValidationFailed as failed:
            errors, status = failed.errors, 422
        else:
            if password:  # shown once, in this response only
                return secret_response(
                    _user_page(created, shown={"kind": "password", "value": password}),
                )
            if created.password_hash:
                flash(_("Created %(name)s.", name=created.username))
            else:
                flash(
                    _(
                        "Created %(name)s, without a password: set one below, or issue an API "
                        "token.",
                        name=created.username,
                    )
                )
            return redirect(url_for("users.show", user_id=created.id))
    filters = {
        "q": request.args.get("q", "").strip(),
        "role": request.args.get("role") if request.args.get("role") in ROLES else "",
        "state": request.args.get("state") if request.args.get("state") in STATES else "",
    }
    people = [
        person
        for person in accounts.find_users({"q": filters["q"], "role": filters["role"]})
        if not filters["state"] or state_of(person) == filters["state"]
    ]
    return render_template(
        "users.html",
        people=people,
        filters=filters,
        state_of=state_of,
        last_changed=accounts.last_changed(),
        roles=roles_with_abilities(),
        values=values,
        errors=errors,
    ), status


def _create(values: dict[str, Any]) -> tuple[User, str]:
    """The new user and the password generated for them ("" when typed or none)."""
    generated = accounts.generate_password() if values.get("generate") else ""
    password = generated or values.get("password", "")
    # One transaction: a password the rules refuse leaves no user behind.
    with write_transaction():
        created = accounts.create_user(
            values.get("username", "").strip(),
            values.get("role", ""),
            user().username,
            full_name=values.get("full_name", "").strip(),
            email=values.get("email", "").strip(),
        )
        if password:
            sign_in.set_password(created, password, user().username)
    return created, generated


@bp.route("/users/<int:user_id>")
@requires("users:manage")
def show(user_id: int) -> Any:
    return _user_page(User.find_by_id(user_id))


def _user_page(
    person: User,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    shown: dict[str, str] | None = None,
) -> str:
    return render_template(
        "user.html",
        person=person,
        state=state_of(person),
        tokens=list(accounts.list_tokens(person)),
        roles=roles_with_abilities(),
        errors=errors or {},
        values=values or {},
        shown=shown,
        myself=person.id == user().id,
        now=utcnow(),
    )


def _refused(person: User, failed: ValidationFailed, values: dict[str, Any]) -> tuple[str, int]:
    # The user as stored, not as the refused change left the object in memory.
    return _user_page(User.get_by_id(person.id), failed.errors, values), 422


@bp.route("/users/<int:user_id>/details", methods=["POST"])
@requires("users:manage")
def details(user_id: int) -> Any:
    person = User.find_by_id(user_id)
    values = request.form.to_dict()
    try:
        accounts.update_details(
            person, user().username, values.get("full_name", ""), values.get("email", "")
        )
    except ValidationFailed as failed:
        return _refused(person, failed, values)
    flash(_("Saved the details of %(name)s.", name=person.username))
    return redirect(url_for("users.show", user_id=person.id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires("users:manage")
def role(user_id: int) -> Any:
    person = User.find_by_id(user_id)
    try:
        accounts.change_role(person, request.form.get("role", ""), user().username)
    except ValidationFailed as failed:
        return _refused(person, failed, {})
    flash(
        _(
            "%(name)s is now: %(role)s.",
            name=person.username,
            role=_(ROLES[person.role]),
        )
    )
    if person.id == user().id and not accounts.allowed(person.role, "users:manage"):
        return redirect(url_for("account.page"))  # no longer allowed here
    return redirect(url_for("users.show", user_id=person.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("users:manage")
def active(user_id: int) -> Any:
    person = User.find_by_id(user_id)
    activate = request.form.get("active") == "yes"
    try:
        accounts.set_active(person, activate, user().username, by=user())
    except ValidationFailed as failed:
        return _refused(person, failed, {})
    if activate:
        flash(_("%(name)s can sign in again.", name=person.username))
    else:
        flash(
            _(
                "%(name)s is deactivated: they cannot sign in, and their API tokens stop working.",
                name=person.username,
            )
        )
    return redirect(url_for("users.show", user_id=person.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires("users:manage")
def unlock(user_id: int) -> Any:
    person = User.find_by_id(user_id)
    try:
        accounts.unlock(person, user().username)
    except Conflict as conflict:
        flash(str(conflict), "error")
    else:
        flash(_("%(name)s is unlocked and can sign in.", name=person.username))
    return redirect(url_for("users.show", user_id=person.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("users:manage")
def password(user_id: int) -> Any:
    person = User.find_by_id(user_id)
    generated = accounts.generate_password() if request.form.get("generate") else ""
    try:
        sign_in.set_password(person, generated or request.form.get("password", ""), user().username)
    except ValidationFailed as failed:
        return _refused(person, failed, {})
    if generated:
        return secret_response(
            _user_page(person, shown={"kind": "password", "value": generated}),
        )
    flash(_("New password set for %(name)s; their other sessions ended.", name=person.username))
    if person.id == user().id:
        return redirect(url_for("session.sign_in_page"))
    return redirect(url_for("users.show", user_id=person.id))


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@requires("users:manage")
def issue(user_id: int) -> Any:
    person = User.find_by_id(user_id)
    values = request.form.to_dict()
    try:
        _, secret = issue_token_from(values, person, user().username)
    except ValidationFailed as failed:
        return _refused(person, failed, values)
    return secret_response(_user_page(person, shown={"kind": "token", "value": secret}))


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("users:manage")
def revoke(user_id: int, token_id: int) -> Any:
    person = User.find_by_id(user_id)
    token = ApiToken.find_by_id(token_id)
    if token.user_id != person.id:
        raise NotFound("API token", token_id)
    try:
        accounts.revoke_token(token.id, user().username)
    except Conflict as conflict:
        flash(str(conflict), "error")
    else:
        flash(_("Revoked the API token %(name)s.", name=token.name))
    return redirect(url_for("users.show", user_id=person.id))
