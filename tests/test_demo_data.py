"""The demo agency a newcomer sees first (scripts/demo_data.py)."""

import os
import subprocess
import sys
from pathlib import Path

from evidence import ContentStore
from evidence.check import check_store
from tracker import accounts, audit, evidence_items, sign_in
from tracker.models import AISystem, ApiToken, AuditEvent, Evidence, Operator, User


def test_seeds_a_believable_agency_once(demo, settings, migrated):
    assert demo.seed(settings) is True
    names = {s.name for s in AISystem.select()}
    assert {
        "Live facial recognition on body-worn cameras",
        "Post-event face search",
        "Crime hotspot forecasting",
        "Re-offending risk score",
        "Crime report chatbot",
        "Interview transcription",
    } <= names
    live = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    assert (live.biometric_identification, live.purpose_type, live.ai_act_roles) == (
        "real_time",
        "law_enforcement",
        ["deployer"],
    )
    risk_score = AISystem.get(AISystem.name == "Re-offending risk score")
    assert (risk_score.development_approach, risk_score.ai_act_roles) == (
        "internal",
        ["provider", "deployer"],
    )
    assert (risk_score.profiling, risk_score.annex_iii_areas) == (True, ["law_enforcement"])
    assert AISystem.get(AISystem.name == "Crime report chatbot").public_facing is True
    assert Operator.select().count() >= 10
    assert Evidence.select().where(Evidence.agency_wide == True).count() == 2
    assert Evidence.select().count() >= 8

    assert check_store(ContentStore(settings.evidence_dir), evidence_items.stored_sizes()).ok
    assert audit.verify().ok
    assert demo.seed(settings) is False  # a second run keeps what is there
    assert AISystem.select().count() == len(names)


def test_an_empty_database_is_seeded_with_working_logins(demo, settings, migrated):
    logins = demo.seed_empty_database(settings)
    assert {(login.username, login.role) for login in logins} == {
        ("admin", "admin"),
        ("l.martin", "legal"),
        ("d.okafor", "dpo"),
        ("a.berg", "auditor"),
        ("v.rossi", "viewer"),
    }
    for login in logins:
        assert accounts.authenticate(login.token).username == login.username
        assert sign_in.check_credentials(login.username, login.password).role == login.role
    text = demo.report(settings, logins)
    assert f"Sign in at {settings.base_url}/sign-in" in text
    assert all(login.password in text and login.token in text for login in logins)


def test_a_second_run_changes_nothing_and_says_so(demo, settings, migrated):
    first = {login.username: login for login in demo.seed_empty_database(settings)}
    hashes = {u.username: u.password_hash for u in User.select()}
    tokens = [(t.id, t.token_hash, t.revoked_at) for t in ApiToken.select().order_by(ApiToken.id)]
    events = AuditEvent.select().count()

    assert demo.seed_empty_database(settings) is None
    assert {u.username: u.password_hash for u in User.select()} == hashes
    assert [
        (t.id, t.token_hash, t.revoked_at) for t in ApiToken.select().order_by(ApiToken.id)
    ] == tokens
    assert AuditEvent.select().count() == events
    for login in first.values():
        assert accounts.authenticate(login.token).username == login.username
    line = demo.report(settings, None)
    assert "\n" not in line
    assert "already has data (7 AI systems, 5 users)" in line and "not seeded" in line


def test_a_database_with_only_users_is_left_alone(demo, settings, migrated):
    # A real install whose admin is called "admin": the old script crashed here with a traceback
    # (and reset the password of any other user with a demo name).
    admin = accounts.create_user("admin", "admin", "installer", full_name="Real Admin")
    sign_in.set_password(admin, "the real admin password", "installer")
    secret = accounts.issue_token(admin, "ops", "installer")[1]
    before = User.get(User.username == "admin").password_hash

    assert demo.seed_empty_database(settings) is None
    assert AISystem.select().count() == 0
    assert User.get(User.username == "admin").password_hash == before
    assert accounts.authenticate(secret).username == "admin"
    assert demo.report(settings, None).startswith(
        "The database already has data (0 AI systems, 1 users)"
    )


def test_the_script_prints_one_line_and_exits_0_on_a_database_with_data(
    demo, settings, migrated, tmp_path
):
    admin = accounts.create_user("admin", "admin", "installer", full_name="Real Admin")
    secret = accounts.issue_token(admin, "ops", "installer")[1]
    migrated.close()
    script = Path(demo.__file__)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
    }
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "The database already has data (0 AI systems, 1 users): "
        "the demo was not seeded and nothing was changed."
    ]
    migrated.connect(reuse_if_open=True)
    assert accounts.authenticate(secret).username == "admin"
    assert AISystem.select().count() == 0


def test_the_script_prints_links_for_the_configured_base_url(demo, settings, migrated, tmp_path):
    migrated.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_BASE_URL": "http://127.0.0.1:5061",
    }
    result = subprocess.run(
        [sys.executable, demo.__file__], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Sign in at http://127.0.0.1:5061/sign-in" in result.stdout
    assert ":5000" not in result.stdout
