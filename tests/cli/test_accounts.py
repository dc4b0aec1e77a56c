"""``tracker users`` and ``tracker tokens``."""

from tracker import accounts


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


def test_bad_input_is_a_plain_message_naming_the_field(runner):
    result = runner.tracker("users", "create", "Not Valid", "--role", "legal")
    assert result.exit_code == 1
    assert result.output.startswith("Error: username: Must be")
    result = runner.tracker("tokens", "create", "ghost", "--name", "x")
    assert result.exit_code == 1 and "user ghost does not exist" in result.output
    result = runner.tracker("tokens", "create", "ghost", "--name", "x", "--expires", "soon")
    assert result.exit_code == 2 and "--expires" in result.output
