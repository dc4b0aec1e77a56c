"""Administering users in plain Python: roles, deactivation, unlocking, details, language, passwords.

The rules that keep an installation manageable are here, so the pages, the API and the CLI share
them: someone stays an active administrator, nobody deactivates their own account.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tracker import accounts, sign_in
from tracker.db import utcnow
from tracker.errors import Conflict, ValidationFailed
from tracker.models import AuditEvent, User

PASSWORD = "correct horse battery staple"


def _user(username: str, role: str) -> User:
    user = accounts.create_user(username, role, "test-setup", email=f"{username}@police.example")
    sign_in.set_password(user, PASSWORD, "test-setup")
    return user


def _actions(entity_id: int) -> list[str]:
    return [
        e.action
        for e in AuditEvent.select()
        .where((AuditEvent.entity_type == "user") & (AuditEvent.entity_id == str(entity_id)))
        .order_by(AuditEvent.id)
    ]


def test_a_role_change_is_stored_and_audited(migrated):
    legal = _user("l.one", "legal")
    accounts.change_role(legal, "dpo", "boss")
    assert User.get_by_id(legal.id).role == "dpo"
    event = AuditEvent.select().where(AuditEvent.action == "user.role_changed").get()
    assert (event.actor, event.before, event.after["role"]) == ("boss", {"role": "legal"}, "dpo")
    accounts.change_role(User.get_by_id(legal.id), "dpo", "boss")  # no change, no event
    assert _actions(legal.id).count("user.role_changed") == 1


def test_an_unknown_role_is_refused_naming_the_field(migrated):
    legal = _user("l.one", "legal")
    with pytest.raises(ValidationFailed) as failed:
        accounts.change_role(legal, "chief", "boss")
    assert list(failed.value.errors) == ["role"]
    assert User.get_by_id(legal.id).role == "legal"


def test_the_last_active_administrator_can_be_neither_demoted_nor_deactivated(migrated):
    admin = _user("a.one", "admin")
    with pytest.raises(ValidationFailed) as failed:
        accounts.change_role(admin, "viewer", "someone")
    assert "last active administrator" in failed.value.errors["role"][0]
    with pytest.raises(ValidationFailed) as failed:
        accounts.set_active(admin, False, "someone")
    assert "last active administrator" in failed.value.errors["is_active"][0]
    stored = User.get_by_id(admin.id)
    assert (stored.role, stored.is_active) == ("admin", True)
    assert "user.role_changed" not in _actions(admin.id)

    # An inactive administrator does not count: it cannot sign in to fix anything.
    other = _user("a.two", "admin")
    accounts.set_active(other, False, "someone")
    with pytest.raises(ValidationFailed):
        accounts.change_role(User.get_by_id(admin.id), "legal", "someone")

    # With a second active administrator, either may step down.
    accounts.set_active(User.get_by_id(other.id), True, "someone")
    accounts.change_role(User.get_by_id(admin.id), "legal", "someone")
    assert User.get_by_id(admin.id).role == "legal"


def test_nobody_deactivates_their_own_account(migrated):
    first, second = _user("a.one", "admin"), _user("a.two", "admin")
    with pytest.raises(ValidationFailed) as failed:
        accounts.set_active(first, False, "a.one", by=first)
    assert "your own account" in failed.value.errors["is_active"][0]
    accounts.set_active(first, False, "a.two", by=second)
    assert not User.get_by_id(first.id).is_active
    assert _actions(first.id)[-1] == "user.deactivated"


def test_a_deactivated_user_cannot_sign_in_until_reactivated_and_loses_their_tokens(migrated):
    legal = _user("l.one", "legal")
    _, secret = accounts.issue_token(legal, "sync", "test-setup")
    accounts.set_active(legal, False, "boss")
    assert accounts.authenticate(secret) is None
    with pytest.raises(sign_in.SignInRefused, match="deactivated"):
        sign_in.check_credentials("l.one", PASSWORD)
    accounts.set_active(User.get_by_id(legal.id), True, "boss")
    assert accounts.authenticate(secret) is None  # revoked for good: new tokens are issued
    assert sign_in.check_credentials("l.one", PASSWORD).id == legal.id
    assert _actions(legal.id)[-2:] == ["user.deactivated", "user.reactivated"]


def test_unlocking_lifts_the_lock_after_wrong_passwords(migrated):
    legal = _user("l.one", "legal")
    for _ in range(sign_in.MAX_FAILURES):
        with pytest.raises(sign_in.SignInRefused):
            sign_in.check_credentials("l.one", "wrong wrong wrong")
    locked = User.get_by_id(legal.id)
    assert accounts.is_locked(locked)
    accounts.unlock(locked, "boss")
    assert not accounts.is_locked(User.get_by_id(legal.id))
    assert sign_in.check_credentials("l.one", PASSWORD).id == legal.id
    assert _actions(legal.id)[-1] == "user.unlocked"
    with pytest.raises(Conflict, match="not locked"):
        accounts.unlock(User.get_by_id(legal.id), "boss")


def test_a_lock_that_has_ended_is_not_a_lock(migrated):
    legal = _user("l.one", "legal")
    legal.locked_until = utcnow() - timedelta(minutes=1)
    assert not accounts.is_locked(legal)
    legal.locked_until = utcnow() + timedelta(minutes=1)
    assert accounts.is_locked(legal)


def test_details_are_validated_like_a_new_user_and_audited(migrated):
    legal = _user("l.one", "legal")
    with pytest.raises(ValidationFailed) as failed:
        accounts.update_details(legal, "boss", "x" * 201, "not-an-address")
    assert set(failed.value.errors) == {"full_name", "email"}
    assert User.get_by_id(legal.id).email == "l.one@police.example"
    accounts.update_details(legal, "boss", " Lee One ", "lee@police.example")
    stored = User.get_by_id(legal.id)
    assert (stored.full_name, stored.email) == ("Lee One", "lee@police.example")
    event = AuditEvent.select().where(AuditEvent.action == "user.updated").get()
    assert event.before == {"full_name": "", "email": "l.one@police.example"}


def test_a_language_must_be_one_the_tracker_speaks(migrated):
    legal = _user("l.one", "legal")
    accounts.set_language(legal, "fr", "l.one")
    assert User.get_by_id(legal.id).language == "fr"
    with pytest.raises(ValidationFailed) as failed:
        accounts.set_language(legal, "de", "l.one")
    assert list(failed.value.errors) == ["language"]
    accounts.set_language(User.get_by_id(legal.id), "", "l.one")  # back to the browser's
    assert User.get_by_id(legal.id).language == ""
    assert _actions(legal.id).count("user.language_set") == 2


def test_changing_ones_own_password_needs_the_current_one(migrated):
    legal = _user("l.one", "legal")
    with pytest.raises(ValidationFailed) as failed:
        accounts.change_own_password(legal, "not my password", "a brand new passphrase")
    assert list(failed.value.errors) == ["current_password"]
    with pytest.raises(ValidationFailed) as failed:
        accounts.change_own_password(User.get_by_id(legal.id), PASSWORD, "short")
    assert list(failed.value.errors) == ["password"]
    changed = accounts.change_own_password(
        User.get_by_id(legal.id), PASSWORD, "a brand new passphrase"
    )
    assert changed.password_hash != legal.password_hash
    assert sign_in.check_credentials("l.one", "a brand new passphrase").id == legal.id


def test_guessing_the_current_password_counts_towards_the_lock(migrated):
    legal = _user("l.one", "legal")
    for _ in range(sign_in.MAX_FAILURES):
        with pytest.raises(ValidationFailed):
            accounts.change_own_password(User.get_by_id(legal.id), "guess guess", "whatever long")
    with pytest.raises(ValidationFailed) as failed:
        accounts.change_own_password(User.get_by_id(legal.id), PASSWORD, "a brand new one!")
    assert "try again later" in failed.value.errors["current_password"][0]


def test_every_role_is_described_by_what_its_permissions_allow(migrated):
    assert accounts.abilities("admin")[-2:] == [
        "Manage users, roles and API tokens",
        "Set the agency's name, logo and contacts",
    ]
    viewer = accounts.abilities("viewer")
    assert viewer == ["See AI systems, evidence details, requirements and completeness"]
    assert "Accept or reject evidence" in accounts.abilities("dpo")
    assert "Download evidence files" in accounts.abilities("auditor")
    assert "Upload evidence" not in accounts.abilities("auditor")
    # The read permissions every role holds are said once, by systems:read.
    unnamed = set(accounts.PERMISSIONS) - set(accounts.ABILITIES)
    assert all(accounts.PERMISSIONS[p] == accounts.READ_ROLES for p in unnamed)


def test_last_changed_reads_the_trail(migrated):
    legal = _user("l.one", "legal")
    before = accounts.last_changed()[legal.id]
    accounts.change_role(legal, "dpo", "boss")
    assert accounts.last_changed()[legal.id] > before


def test_a_generated_password_is_long_enough_to_set(migrated):
    first, second = accounts.generate_password(), accounts.generate_password()
    assert first != second and len(first) >= sign_in.MIN_LENGTH
    sign_in.set_password(_user("l.one", "legal"), first, "boss")
