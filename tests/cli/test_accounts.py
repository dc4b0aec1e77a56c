"""``tracker users`` and ``tracker tokens``."""

from datetime import timedelta

from tracker import accounts
from tracker.db import utcnow
from tracker.models import AuditEvent


def test_create_user_issue_list_and_revoke_a_token(runner):
    result = runner.tracker("users", "create", "k.ng", "--role", "auditor", "--full-name", "K. Ng")
    assert result.exit_code == 0 and "created user k.ng (auditor)" in result.output
    result = runner.tracker("tokens", "create", "k.ng", "--name", "audit 2026")
    assert result.exit_code == 0
    secret = result.output.strip().splitlines()[-1]
    assert accounts.authenticate(secret).username == "k.ng"

    listed = runner.tracker("tokens", "list", "k.ng").output
    assert "audit 2026" in listed and "active" in listed and secret not in listed
    token_id = listed.split()[0]
    assert runner.tracker("tokens", "revoke", token_id).exit_code == 0
    assert accounts.authenticate(secret) is None
    again = runner.tracker("tokens", "revoke", token_id)
    assert again.exit_code == 1 and "already revoked" in again.output
    assert "k.ng" in runner.tracker("users", "list").output


def test_tokens_list_says_expired_and_deactivation_revokes(runner):
    from datetime import timedelta

    from tracker.db import utcnow
    from tracker.models import ApiToken

    runner.tracker("users", "create", "k.ng", "--role", "auditor")
    assert runner.tracker("tokens", "create", "k.ng", "--name", "old sync").exit_code == 0
    assert runner.tracker("tokens", "create", "k.ng", "--name", "new sync").exit_code == 0
    ApiToken.update(expires_at=utcnow() - timedelta(days=1)).where(
        ApiToken.name == "old sync"
    ).execute()
    lines = runner.tracker("tokens", "list").output.splitlines()
    assert {line.split()[-2]: line.split()[3] for line in lines} == {
        "old": "expired",
        "new": "active",
    }

    assert runner.tracker("users", "deactivate", "k.ng").exit_code == 0
    lines = runner.tracker("tokens", "list", "k.ng").output.splitlines()
    assert [line.split()[3] for line in lines] == ["revoked", "revoked"]


def test_bad_input_is_a_plain_message_naming_the_field(runner):
    result = runner.tracker("users", "create", "Not Valid", "--role", "legal")
    assert result.exit_code == 1
    assert result.output.startswith("Error: username: Must be")
    result = runner.tracker("tokens", "create", "ghost", "--name", "x")
    assert result.exit_code == 1 and "user ghost does not exist" in result.output
    result = runner.tracker("tokens", "create", "ghost", "--name", "x", "--expires", "soon")
    assert result.exit_code == 2 and "--expires" in result.output


def test_administering_a_user_from_the_shell(runner):
    assert runner.tracker("users", "create", "a.min", "--role", "admin").exit_code == 0
    assert runner.tracker("users", "create", "k.ng", "--role", "legal").exit_code == 0

    result = runner.tracker("users", "set-role", "k.ng", "dpo")
    assert result.exit_code == 0 and "k.ng is now dpo" in result.output
    result = runner.tracker("users", "edit", "k.ng", "--email", "k.ng@police.example")
    assert result.exit_code == 0 and "<k.ng@police.example>" in result.output
    assert accounts.get_user("k.ng").full_name == ""  # an option not given stays as it was
    assert runner.tracker("users", "set-language", "k.ng", "fr").exit_code == 0
    assert accounts.get_user("k.ng").language == "fr"

    assert runner.tracker("users", "deactivate", "k.ng").exit_code == 0
    assert "k.ng" in runner.tracker("users", "list").output
    assert "(inactive)" in runner.tracker("users", "list").output
    assert runner.tracker("users", "reactivate", "k.ng").exit_code == 0
    assert "(inactive)" not in runner.tracker("users", "list").output

    user = accounts.get_user("k.ng")
    user.failed_sign_ins, user.locked_until = 0, utcnow() + timedelta(minutes=5)
    user.save()
    assert "(locked until" in runner.tracker("users", "list").output
    assert runner.tracker("users", "unlock", "k.ng").output == "unlocked k.ng\n"
    again = runner.tracker("users", "unlock", "k.ng")
    assert again.exit_code == 1 and "k.ng is not locked" in again.output

    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)][-6:]
    assert actions == [
        "user.role_changed",
        "user.updated",
        "user.language_set",
        "user.deactivated",
        "user.reactivated",
        "user.unlocked",
    ]
    assert AuditEvent.select().order_by(AuditEvent.id.desc()).first().actor.startswith("cli:")


def test_the_shell_keeps_an_active_administrator_too(runner):
    assert runner.tracker("users", "create", "a.min", "--role", "admin").exit_code == 0
    for command in (["set-role", "a.min", "viewer"], ["deactivate", "a.min"]):
        result = runner.tracker("users", *command)
        assert result.exit_code == 1
        assert "a.min is the last active administrator" in result.output
    assert runner.tracker("users", "set-role", "a.min", "chief").exit_code == 2


def test_roles_are_described_by_what_they_allow(runner):
    output = runner.tracker("users", "roles").output
    assert "viewer (Viewer (read-only metadata)):" in output
    assert "  - Accept or reject evidence" in output.split("\nauditor (")[0]  # under dpo
    assert "Manage users, roles and API tokens" in output.split("\nlegal (")[0]  # under admin
