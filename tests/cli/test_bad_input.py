"""Bad input to any ``tracker`` command ends in one plain line and a non-zero exit.

Never a traceback: ids, dates, limits and ports are checked as arguments; an
unusable database (empty, corrupt, a folder, missing, a server that does not
answer) is named in one line without its password; a command that only reads
creates nothing; names holding control characters are printed with visible
escapes. Each case here printed a traceback, created a file, printed raw escape
codes or accepted the input before these checks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.services import free_port
from tracker import accounts, schema
from tracker.cli import main as tracker_cli
from tracker.models import AISystem, Operator

HUGE = "99999999999999999999999"  # past SQLite's 64-bit integers
PAST_INT64 = str(2**63)
PAST_INT32 = str(2**31)  # past PostgreSQL's serial ids
ESCAPES = "evil\x1b[2J\x07name"
SHOWN = "evil\\x1b[2J\\x07name"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # anything but a line break
ID_RULE = "ids are a whole number from 1 to 2147483647"
TRACKER = str(Path(sys.executable).with_name("tracker"))


def assert_plain_error(result, status: int, fragment: str) -> None:
    """Exit ``status``; the last line is "Error: ..." holding ``fragment``; no raw controls."""
    output = result.output if hasattr(result, "output") else result.stdout + result.stderr
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == status, output
    assert "Traceback" not in output
    assert not CONTROL.search(output), output
    lines = output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and fragment in lines[-1], output
    if status == 1:  # a runtime error is that one line and nothing else
        assert len(lines) == 1, output


# --- arguments: ids, dates, limits -------------------------------------------------------

WAIVER = ["--justification", "x" * 30, "--expires", "2030-01-01", "--as", "legal-user"]
ADD = ["evidence", "add", __file__, "--kind", "policy", "--title", "t"]

ARGUMENT_CASES = {
    "completeness huge system id": (["completeness", HUGE], 2, ID_RULE),
    "completeness id past int64": (["completeness", PAST_INT64], 2, ID_RULE),
    "completeness id past int32": (["completeness", PAST_INT32], 2, ID_RULE),
    "completeness system 0": (["completeness", "0"], 2, ID_RULE),
    "completeness empty system": (["completeness", ""], 2, "not an empty string"),
    "tokens revoke huge id": (["tokens", "revoke", HUGE], 2, ID_RULE),
    "evidence review huge id": (
        ["evidence", "review", HUGE, "--accept", "--as", "dpo-user"],
        2,
        ID_RULE,
    ),
    "waivers request huge system": (
        ["waivers", "request", HUGE, "eu-led.dpia", *WAIVER],
        2,
        ID_RULE,
    ),
    "waivers approve huge id": (["waivers", "approve", HUGE, "--as", "dpo-user"], 2, ID_RULE),
    "waivers reject huge id": (["waivers", "reject", PAST_INT64, "--as", "dpo-user"], 2, ID_RULE),
    "waivers revoke huge id": (["waivers", "revoke", HUGE, "--as", "dpo-user"], 2, ID_RULE),
    "waivers list huge system": (["waivers", "list", "--system", HUGE], 2, ID_RULE),
    "evidence add huge system": ([*ADD, "--as", "legal-user", "--system", HUGE], 2, ID_RULE),
    "tokens create huge user id": (["tokens", "create", HUGE, "--name", "x"], 2, ID_RULE),
    "tokens list huge user id": (["tokens", "list", HUGE], 2, ID_RULE),
    "set-password huge user id": (
        ["users", "set-password", HUGE, "--password", "long enough password"],
        2,
        ID_RULE,
    ),
    "evidence add --as huge": ([*ADD, "--agency-wide", "--as", HUGE], 2, ID_RULE),
    "evidence review --as huge": (
        ["evidence", "review", "1", "--accept", "--as", HUGE],
        2,
        ID_RULE,
    ),
    "waivers request --as huge": (
        ["waivers", "request", "1", "eu-led.dpia", *WAIVER[:-1], HUGE],
        2,
        ID_RULE,
    ),
    "waivers approve --as huge": (["waivers", "approve", "1", "--as", HUGE], 2, ID_RULE),
    "history negative limit": (["reminders", "history", "--limit", "-1"], 2, "--limit"),
    "history huge limit": (["reminders", "history", "--limit", HUGE], 2, "--limit"),
    "completeness month 13": (
        ["completeness", "--as-of", "2026-13-40"],
        2,
        "'2026-13-40' is not a date: month must be in 1..12",
    ),
    "completeness year 0": (
        ["completeness", "--as-of", "0000-01-01"],
        2,
        "is not a date: year 0 is out of range",
    ),
    "completeness 30 February": (
        ["completeness", "1", "--as-of", "2026-02-30"],
        2,
        "day is out of range for month",
    ),
    "preview year 1": (
        ["reminders", "preview", "--as-of", "0001-01-01"],
        2,
        "0001-01-01 is outside 1900-01-01 to 9000-12-31",
    ),
    "run year 1": (["reminders", "run", "--as-of", "0001-01-01"], 2, "outside 1900-01-01"),
    "run year 9999": (["reminders", "run", "--as-of", "9999-12-31"], 2, "outside 1900-01-01"),
    "token expiry 31 April": (
        ["tokens", "create", "admin-user", "--name", "x", "--expires", "2027-04-31"],
        2,
        "day is out of range for month",
    ),
    "waiver expiry year 0": (
        [
            "waivers",
            "request",
            "1",
            "eu-led.dpia",
            *WAIVER[:2],
            "--expires",
            "0000-01-01",
            "--as",
            "legal-user",
        ],
        2,
        "year 0 is out of range",
    ),
    "evidence valid-until year 1": (
        [*ADD, "--agency-wide", "--as", "legal-user", "--valid-until", "0001-01-01"],
        2,
        "outside 1900-01-01",
    ),
    "full name too long": (
        ["users", "create", "x.y", "--role", "legal", "--full-name", "a" * 201],
        1,
        "full_name: Must be at most 200 characters.",
    ),
    "email not an address": (
        ["users", "create", "x.y", "--role", "legal", "--email", "not-an-email"],
        1,
        "email: Not a valid email address.",
    ),
    "email too long": (
        ["users", "create", "x.y", "--role", "legal", "--email", "a" * 250 + "@x.example"],
        1,
        "email:",
    ),
    "token name too long": (
        ["tokens", "create", "admin-user", "--name", "n" * 121],
        1,
        "name: Must be at most 120 characters.",
    ),
    "unknown user with escapes": (
        ["users", "set-password", ESCAPES, "--password", "long enough password"],
        1,
        f"user {SHOWN} does not exist",
    ),
    "unknown requirement with escapes": (
        ["requirements", "show", ESCAPES],
        1,
        f"requirement {SHOWN} does not exist",
    ),
}


@pytest.mark.parametrize("case", ARGUMENT_CASES)
def test_bad_argument_is_one_plain_line(runner, tokens, case):
    args, status, fragment = ARGUMENT_CASES[case]
    assert_plain_error(runner.tracker(*args), status, fragment)


def test_out_of_range_ids_reach_no_table(runner, tokens, migrated):
    """Checked as arguments: the out-of-range id is refused before anything is read or written."""
    before = accounts.list_tokens(None).count()
    assert_plain_error(runner.tracker("tokens", "create", PAST_INT32, "--name", "x"), 2, ID_RULE)
    assert accounts.list_tokens(None).count() == before


def test_never_expires_stays_possible(runner, tokens):
    """9999-12-31, the usual "never expires", is a stored date like any other."""
    result = runner.tracker(
        "tokens", "create", "admin-user", "--name", "forever", "--expires", "9999-12-31"
    )
    assert result.exit_code == 0, result.output


# --- settings -----------------------------------------------------------------------------

SETTING_CASES = {
    "lead days": ("TRACKER_LEAD_DAYS", HUGE, ["reminders", "preview"], "at most 3650 days"),
    "review overdue days": (
        "TRACKER_REVIEW_OVERDUE_DAYS",
        HUGE,
        ["reminders", "preview"],
        "at most 3650 days",
    ),
    "expiring soon days": (
        "TRACKER_EXPIRING_SOON_DAYS",
        "100000",
        ["completeness"],
        "at most 3650 days",
    ),
    "smtp port": ("TRACKER_SMTP_PORT", "70000", ["reminders", "run"], "from 1 to 65535"),
    "retry intervals": (
        "TRACKER_RETRY_INTERVALS",
        HUGE,
        ["reminders", "history"],
        "at most 604800 seconds",
    ),
}


@pytest.mark.parametrize("case", SETTING_CASES)
def test_bad_setting_is_one_plain_line(runner, monkeypatch, case):
    variable, value, args, fragment = SETTING_CASES[case]
    monkeypatch.setenv(variable, value)
    assert_plain_error(runner.tracker(*args), 1, f"{variable} must be {fragment}")


# --- the database -------------------------------------------------------------------------

READING_COMMANDS = [
    ["db", "status"],
    ["users", "list"],
    ["tokens", "list"],
    ["completeness"],
    ["audit", "verify"],
    ["evidence", "check"],
    ["waivers", "list"],
    ["reminders", "history"],
    ["reminders", "preview"],
]
IDS = [" ".join(c) for c in READING_COMMANDS]


@pytest.fixture
def shell(tmp_path):
    """Runs ``tracker`` in-process with TRACKER_DATABASE_URL (and more) set by the test."""

    def run(*args: str, **env: str):
        base = {
            "TRACKER_ENV": "testing",
            "TRACKER_DATA_DIR": str(tmp_path / "data"),
            "TRACKER_EVIDENCE_DIR": str(tmp_path / "store"),
        }
        return CliRunner().invoke(
            tracker_cli, list(args), env={**base, **env}, catch_exceptions=False
        )

    return run


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.mark.parametrize("command", READING_COMMANDS[1:], ids=IDS[1:])
def test_empty_database_file_asks_for_an_upgrade(shell, tmp_path, command):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    latest = max(int(path.name[:4]) for path in schema.MIGRATIONS_DIR.glob("[0-9]*.py"))
    result = shell(*command, TRACKER_DATABASE_URL=_sqlite(empty))
    assert_plain_error(
        result,
        1,
        f"the SQLite database {empty} is at schema version 0, this code needs version "
        f"{latest}: run `tracker db upgrade`",
    )


@pytest.mark.parametrize(
    "command", [*READING_COMMANDS, ["db", "upgrade"]], ids=[*IDS, "db upgrade"]
)
def test_corrupt_database_file_is_named(shell, tmp_path, command):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database\n" * 100)
    result = shell(*command, TRACKER_DATABASE_URL=_sqlite(corrupt))
    assert_plain_error(
        result, 1, f"cannot open the SQLite database {corrupt}: file is not a database"
    )


@pytest.mark.parametrize(
    "command", [*READING_COMMANDS, ["db", "upgrade"]], ids=[*IDS, "db upgrade"]
)
def test_folder_instead_of_database_file(shell, tmp_path, command):
    folder = tmp_path / "tracker.db"
    folder.mkdir()
    result = shell(*command, TRACKER_DATABASE_URL=_sqlite(folder))
    assert_plain_error(result, 1, f"the SQLite database {folder} is a folder, not a database file")


@pytest.mark.parametrize("command", READING_COMMANDS, ids=IDS)
def test_missing_database_is_not_created_by_a_reading_command(shell, tmp_path, command):
    missing = tmp_path / "nowhere" / "tracker.db"
    result = shell(*command, TRACKER_DATABASE_URL=_sqlite(missing))
    assert_plain_error(
        result,
        1,
        f"the SQLite database {missing} does not exist yet: `tracker db upgrade` creates it",
    )
    assert not missing.parent.exists()


def test_db_upgrade_still_creates_the_database(shell, tmp_path):
    database = tmp_path / "new" / "tracker.db"
    result = shell("db", "upgrade", TRACKER_DATABASE_URL=_sqlite(database))
    assert result.exit_code == 0 and database.is_file()
    assert shell("db", "status", TRACKER_DATABASE_URL=_sqlite(database)).exit_code == 0


@pytest.mark.parametrize("command", [["db", "status"], ["db", "upgrade"]], ids=str)
def test_database_folder_that_is_a_file(shell, tmp_path, command):
    (tmp_path / "data").write_text("a file where the data folder should be")
    result = shell(*command, TRACKER_DATABASE_URL="")
    assert_plain_error(result, 1, f"cannot be made: {tmp_path / 'data'} is a file")


@pytest.mark.parametrize("command", READING_COMMANDS, ids=IDS)
def test_unreachable_postgresql_is_named_without_its_password(shell, command):
    port = free_port()  # nothing listens there
    url = f"postgresql://tracker:s3cret-pw@127.0.0.1:{port}/tracker"
    result = shell(*command, TRACKER_DATABASE_URL=url)
    assert_plain_error(
        result, 1, f"cannot open the database postgresql://tracker@127.0.0.1:{port}/tracker:"
    )
    assert "s3cret-pw" not in result.output


@pytest.mark.parametrize(
    "url", ["mongodb://db.example/tracker", "not a url", "sqlite://relative.db"], ids=str
)
def test_database_url_the_tracker_cannot_read(shell, url):
    assert_plain_error(shell("users", "list", TRACKER_DATABASE_URL=url), 1, "TRACKER_DATABASE_URL")


# --- files and the evidence store ---------------------------------------------------------


def test_evidence_check_creates_no_store(runner, settings):
    assert not settings.evidence_dir.exists()
    result = runner.tracker("evidence", "check")
    assert result.exit_code == 0
    assert f"no evidence store at {settings.evidence_dir} yet" in result.output
    assert not settings.evidence_dir.exists()


def test_evidence_store_that_is_a_file(runner, tokens, settings):
    blocker = settings.evidence_dir
    blocker.write_text("a file where the evidence store should be")
    result = runner.tracker(*ADD, "--agency-wide", "--as", "legal-user")
    assert_plain_error(result, 1, f"cannot use the evidence store {blocker}")
    assert_plain_error(runner.tracker("evidence", "check"), 1, "Not a directory")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_evidence_file_that_cannot_be_read(runner, tokens, settings):
    # /proc/self/mem exists and may be opened, but reading it from offset 0 fails (EIO).
    result = runner.tracker(
        "evidence",
        "add",
        "/proc/self/mem",
        "--kind",
        "policy",
        "--title",
        "t",
        "--agency-wide",
        "--as",
        "legal-user",
    )
    assert_plain_error(result, 1, "cannot add /proc/self/mem: Input/output error")
    assert list((settings.evidence_dir / "tmp").iterdir()) == []  # no unfinished upload left


# --- control characters -------------------------------------------------------------------


def test_names_with_control_characters_are_printed_escaped(runner, settings, migrated, demo_agency):
    accounts.create_user("esc.user", "viewer", "test", full_name=ESCAPES)
    user = accounts.get_user("esc.user")
    accounts.issue_token(user, ESCAPES, "test")
    AISystem.update(name=ESCAPES).where(AISystem.id == 1).execute()
    Operator.update(name=ESCAPES).execute()
    outputs = {
        "users list": runner.tracker("users", "list"),
        "tokens list": runner.tracker("tokens", "list", "esc.user"),
        "portfolio": runner.tracker("completeness"),
        "portfolio csv": runner.tracker("completeness", "--format", "csv"),
        "system": runner.tracker("completeness", "1"),
        "preview": runner.tracker("reminders", "preview"),
    }
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        assert SHOWN in result.output, name
        assert not CONTROL.search(result.output.replace("\r\n", "\n")), name


def test_a_name_cannot_forge_a_line(runner, migrated):
    accounts.create_user("forger", "viewer", "test", full_name="x\nadmin    admin   Root")
    listed = runner.tracker("users", "list").output
    assert "x\\x0aadmin    admin   Root" in listed
    assert len(listed.strip().splitlines()) == accounts.User.select().count()


# --- the last line of defence -------------------------------------------------------------


def test_an_unexpected_error_is_one_line_unless_debugging(runner, monkeypatch):
    def broken():
        raise RuntimeError("no one expected this\nnot even here")

    monkeypatch.setattr("tracker.audit.verify", broken)
    assert_plain_error(
        runner.tracker("audit", "verify"),
        1,
        "unexpected RuntimeError: no one expected this not even here "
        "(a bug; run with TRACKER_DEBUG=1 to see the traceback)",
    )
    monkeypatch.setenv("TRACKER_DEBUG", "1")
    with pytest.raises(RuntimeError, match="no one expected this"):
        runner.tracker("audit", "verify")


# --- processes: server, worker, scheduler -------------------------------------------------


def _tracker(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(settings.data_dir),
        "TRACKER_ENV": "testing",
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        **env,
    }
    return subprocess.run(
        [TRACKER, *args], env=environment, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["serve", "--port", "70000"], "70000 is not in the range 1<=x<=65535"),
        (["serve", "--port", HUGE], "is not in the range 1<=x<=65535"),
        (["serve", "--workers", "0"], "0 is not in the range 1<=x<=64"),
    ],
    ids=["port 70000", "huge port", "no workers"],
)
def test_serve_refuses_bad_options(settings, migrated, args, fragment):
    result = _tracker(settings, *args, "--host", "127.0.0.1")
    assert_plain_error(result, 2, fragment)


def test_serve_on_an_address_it_cannot_use(settings, migrated):
    result = _tracker(settings, "serve", "--host", "no-such-host.invalid", "--port", "5999")
    assert_plain_error(result, 1, "cannot listen on no-such-host.invalid:5999")


def test_serve_on_a_corrupt_database(settings, tmp_path):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"garbage" * 1000)
    result = _tracker(
        settings, "serve", "--port", str(free_port()), TRACKER_DATABASE_URL=_sqlite(corrupt)
    )
    assert_plain_error(result, 1, "file is not a database")


@pytest.mark.parametrize("command", [["worker", "--burst"], ["scheduler"]], ids=str)
def test_worker_and_scheduler_with_a_bad_redis_url(settings, migrated, command):
    result = _tracker(settings, *command, TRACKER_REDIS_URL="not-a-url")
    assert_plain_error(result, 1, "TRACKER_REDIS_URL 'not-a-url': Redis URL must specify")


def test_redis_password_is_not_printed(settings, migrated):
    url = f"redis://:hunter2-pw@127.0.0.1:{free_port()}/0"
    result = _tracker(settings, "worker", "--burst", TRACKER_REDIS_URL=url)
    assert_plain_error(result, 1, "cannot reach Redis at redis://127.0.0.1:")
    assert "hunter2-pw" not in result.stdout + result.stderr
