"""The demo agency a newcomer sees first (scripts/demo_data.py): a year of believable history."""

import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from evidence import ContentStore
from evidence.check import check_store
from tracker import accounts, agency, audit, completeness, evidence_items, sign_in
from tracker.completeness.assess import add_months
from tracker.models import (
    AISystem,
    ApiToken,
    AuditEvent,
    Evidence,
    EvidenceReview,
    Notification,
    Operator,
    SystemEvent,
    User,
    Waiver,
)
from tracker.plugin_host import load_catalogue_for

DEMO_LOGINS = {
    ("admin", "admin"),
    ("l.martin", "legal"),
    ("d.okafor", "dpo"),
    ("a.berg", "auditor"),
    ("n.lambert", "viewer"),
}


@pytest.fixture
def year(demo, settings, migrated):
    """What `make run` seeds into an empty database, and the logins it prints."""
    return demo.seed_empty_database(settings)


def months_back(today: date, count: int = 12) -> list[str]:
    """The current month and the ``count - 1`` before it, as YYYY-MM."""
    return [f"{add_months(today.replace(day=1), -n):%Y-%m}" for n in range(count)]


def months_of(moments: Iterable[datetime | None]) -> set[str]:
    return {f"{m:%Y-%m}" for m in moments if m is not None}


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
        "Staff rostering assistant",
    } == names
    live = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    assert (live.biometric_identification, live.purpose_type, live.ai_act_roles) == (
        "real_time",
        "law_enforcement",
        ["deployer"],
    )
    assert (live.lifecycle_stage, live.version) == ("testing", "2.1")  # after two stage changes
    risk_score = AISystem.get(AISystem.name == "Re-offending risk score")
    assert (risk_score.development_approach, risk_score.ai_act_roles) == (
        "internal",
        ["provider", "deployer"],
    )
    assert (risk_score.profiling, risk_score.annex_iii_areas) == (True, ["law_enforcement"])
    assert AISystem.get(AISystem.name == "Crime report chatbot").public_facing is True
    assert Operator.select().where(Operator.removed_at.is_null()).count() >= 10
    assert Operator.select().where(Operator.removed_at.is_null(False)).count() == 1  # one left
    assert Evidence.select().where(Evidence.agency_wide == True).count() >= 10
    assert Evidence.select().count() >= 60

    assert check_store(ContentStore(settings.evidence_dir), evidence_items.stored_sizes()).ok
    assert audit.verify().ok
    # The tests' building block leaves the agency's name and the mail ledger alone.
    assert agency.current().name == "" and Notification.select().count() == 0
    assert demo.seed(settings) is False  # a second run keeps what is there
    assert AISystem.select().count() == len(names)


def test_the_year_is_told_in_time_order_with_a_valid_audit_chain(year, settings):
    assert audit.verify().ok
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    moments = [datetime.fromisoformat(e.occurred_at) for e in events]
    assert moments == sorted(moments)  # ids follow times: the chain was appended as it happened
    today = date.today()
    assert moments[0].date() <= today - timedelta(days=360)
    assert {e.actor for e in events} >= {"l.martin", "d.okafor", "admin"}
    # Something happened in (nearly) every month of the past twelve, of every kind.
    recent = set(months_back(today))
    history = {
        "uploads": months_of(e.created_at for e in Evidence.select()),
        "reviews": months_of(r.decided_at for r in EvidenceReview.select()),
        "events": months_of(e.recorded_at for e in SystemEvent.select()),
        "reminders sent": months_of(n.sent_at for n in Notification.select()),
    }
    for kind, months in history.items():
        assert len(months & recent) >= 10, (kind, sorted(months))
    waiver_months = months_of(
        moment for w in Waiver.select() for moment in (w.requested_at, w.decided_at, w.revoked_at)
    )
    assert len(waiver_months & recent) >= 3
    every_kind = set.union(*history.values(), waiver_months)
    assert len(every_kind & recent) == 12
    # Reminders were delivered by past sweeps (marked sent; no mail left the machine).
    assert Notification.select().count() > 100
    assert {n.state for n in Notification.select()} == {"sent"}
    assert all(n.message_id.startswith("<reminder.") for n in Notification.select())
    assert max(n.sweep_date for n in Notification.select()) < today


def test_completeness_rises_over_the_year_with_items_expiring_and_expired(year, settings):
    catalogue, today = load_catalogue_for(settings), date.today()
    days = settings.expiring_soon_days
    face = AISystem.get(AISystem.name == "Post-event face search")
    eleven_months_ago = add_months(today.replace(day=1), -10)
    then = completeness.for_system(face.id, eleven_months_ago, catalogue, days).overall.percent
    now = completeness.for_system(face.id, today, catalogue, days).overall.percent
    assert then + 25 < now
    for system in AISystem.select():  # no system ends the year worse than it started it
        first = max(system.created_at.date() + timedelta(days=1), eleven_months_ago)
        before = completeness.for_system(system.id, first, catalogue, days).overall.percent
        assert before < completeness.for_system(system.id, today, catalogue, days).overall.percent

    results = completeness.for_portfolio(today, catalogue, days, detail=True)
    statuses = {item.status for r in results for item in r.items}
    operator_statuses = {o.status for r in results for i in r.items for o in i.operators}
    assert {"expiring_soon", "expired"} <= statuses | operator_statuses
    assert (
        Evidence.select()
        .where(Evidence.valid_until.between(today, today + timedelta(days=30)))
        .exists()
    )
    assert Evidence.select().where(Evidence.valid_until < today).exists()
    # Event duties: one met late, one still open; a stage passed while not ready (overdue).
    duties = [d for r in results for d in r.events]
    assert any(d.late for d in duties) and any(d.status == "open" for d in duties)
    assert any(r.ready is False for r in results)


def test_the_story_has_its_turns(year):
    # A DPIA rejected, then accepted in its second version.
    dpia = list(
        Evidence.select()
        .where(Evidence.title == "DPIA - crime report chatbot")
        .order_by(Evidence.version)
    )
    assert [v.version for v in dpia] == [1, 2] and dpia[0].superseded_at is not None
    assert [r.decision for v in dpia for r in v.reviews] == ["rejected", "accepted"]
    # Waivers: one in force, one refused, one revoked.
    assert sorted(w.state for w in Waiver.select()) == ["approved", "rejected", "revoked"]
    # Three recent uploads wait for the DPO; every other one was decided.
    waiting = [e.title for e in Evidence.select() if not e.reviews and e.superseded_at is None]
    assert len(waiting) == 3
    # Systems changed stage during the year: the audit trail shows when.
    changes = AuditEvent.select().where(AuditEvent.action == "system.updated")
    assert sum(1 for e in changes if "lifecycle_stage" in (e.after or {})) >= 4


def test_the_agency_profile_and_a_french_speaking_user(year):
    profile = agency.current()
    assert "Nordville" in profile.name and profile.dpo_contact == "dpo@police.example"
    assert profile.complaints and profile.contact
    assert User.get(User.username == "n.lambert").language == "fr"
    assert {u.language for u in User.select() if u.username != "n.lambert"} == {""}


def test_an_empty_database_is_seeded_with_working_logins(year, demo, settings):
    logins = year
    assert {(login.username, login.role) for login in logins} == DEMO_LOGINS
    for login in logins:
        assert accounts.authenticate(login.token).username == login.username
        assert sign_in.check_credentials(login.username, login.password).role == login.role
    text = demo.report(settings, logins)
    assert f"Sign in at {settings.base_url}/sign-in" in text
    assert all(login.password in text and login.token in text for login in logins)


def test_a_second_run_changes_nothing_and_says_so(year, demo, settings):
    first = {login.username: login for login in year}
    hashes = {u.username: u.password_hash for u in User.select()}
    tokens = [(t.id, t.token_hash, t.revoked_at) for t in ApiToken.select().order_by(ApiToken.id)]
    counts = [m.select().count() for m in (AuditEvent, Evidence, Notification, SystemEvent)]

    assert demo.seed_empty_database(settings) is None
    assert {u.username: u.password_hash for u in User.select()} == hashes
    assert [
        (t.id, t.token_hash, t.revoked_at) for t in ApiToken.select().order_by(ApiToken.id)
    ] == tokens
    assert [m.select().count() for m in (AuditEvent, Evidence, Notification, SystemEvent)] == (
        counts
    )
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
        "TRACKER_AGENCY_COUNTRIES": "BE",
    }
    result = subprocess.run(
        [sys.executable, demo.__file__], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Sign in at http://127.0.0.1:5061/sign-in" in result.stdout
    assert ":5000" not in result.stdout
    migrated.connect(reuse_if_open=True)
    assert audit.verify().ok  # the story ran under the script's own clock, in its own process
