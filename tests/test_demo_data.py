"""The demo agency a newcomer sees first (scripts/demo_data.py)."""

from evidence import ContentStore
from evidence.check import check_store
from tracker import accounts, audit, evidence_items
from tracker.models import AISystem, Evidence, Operator


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
    assert (live.biometric_identification, live.purpose_type, live.ai_act_role) == (
        "real_time",
        "law_enforcement",
        "deployer",
    )
    risk_score = AISystem.get(AISystem.name == "Re-offending risk score")
    assert (risk_score.development_approach, risk_score.ai_act_role) == ("internal", "provider")
    assert AISystem.get(AISystem.name == "Crime report chatbot").public_facing is True
    assert Operator.select().count() >= 10
    assert Evidence.select().where(Evidence.agency_wide == True).count() == 2
    assert Evidence.select().count() >= 8

    assert check_store(ContentStore(settings.evidence_dir), evidence_items.stored_sizes()).ok
    assert audit.verify().ok
    assert demo.seed(settings) is False  # a second run keeps what is there
    assert AISystem.select().count() == len(names)


def test_demo_tokens_are_fresh_each_run(demo, settings, migrated):
    demo.seed(settings)
    first = dict((user, secret) for user, _, secret in demo.issue_demo_tokens())
    second = dict((user, secret) for user, _, secret in demo.issue_demo_tokens())
    assert accounts.authenticate(first["d.okafor"]) is None
    assert accounts.authenticate(second["d.okafor"]).role == "dpo"
    assert {user for user in second} == {"admin", "l.martin", "d.okafor", "a.berg", "v.rossi"}
