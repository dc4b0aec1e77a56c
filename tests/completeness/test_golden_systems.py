"""Golden answers: what the law requires of eight systems agencies really run, with citations.

Each system is judged with the built-in catalogue before and after 2 December 2027 (when the AI
Act's Annex III high-risk duties apply, as amended by Regulation 2026/1744). The lists name
what must apply, what must not, and the article a DPO would cite for it.
"""

from __future__ import annotations

from datetime import date

import pytest

from tracker.completeness.engine import Evaluator
from tracker.completeness.facts import Snapshot, SystemFact
from tracker.plugin_host import load_catalogue
from tracker.profile import SystemProfileSchema
from tracker.requirements import hashable
from tracker.territory import Deployment

BEFORE, AFTER = date(2027, 6, 1), date(2028, 1, 1)
BELGIUM = Deployment(("BE",))
KENYA = Deployment(("KE",))

BASE = {
    "purpose": "p",
    "development_approach": "off_the_shelf",
    "lifecycle_stage": "testing",
    "risk_level": "high",
    "processes_personal_data": True,
    "purpose_type": "law_enforcement",
    "biometric_identification": "none",
    "ai_act_roles": ["deployer"],
}
SYSTEMS = {
    "live face recognition": dict(
        biometric_identification="real_time",
        annex_iii_areas=["biometrics"],
        people_affected=["public", "suspects"],
    ),
    "post-event face search": dict(
        biometric_identification="post_event",
        annex_iii_areas=["biometrics"],
        people_affected=["suspects"],
    ),
    "hotspot forecasting": dict(
        development_approach="internal",
        ai_act_roles=["provider", "deployer"],
        risk_level="medium",
        processes_personal_data=False,
    ),
    "in-house risk score": dict(
        development_approach="internal",
        ai_act_roles=["provider", "deployer"],
        annex_iii_areas=["law_enforcement"],
        profiling=True,
        people_affected=["suspects", "convicted"],
    ),
    "crime-report chatbot": dict(
        public_facing=True, risk_level="medium", people_affected=["public", "victims"]
    ),
    "interview transcription": dict(
        risk_level="medium", people_affected=["suspects", "victims", "witnesses"]
    ),
    "HR screening tool": dict(
        purpose_type="administrative",
        annex_iii_areas=["employment"],
        people_affected=["staff", "applicants"],
    ),
    "biometric system outside the EU": dict(
        biometric_identification="post_event",
        annex_iii_areas=["biometrics"],
        people_affected=["suspects"],
    ),
}


def answer(name: str, day: date, deployment: Deployment = BELGIUM) -> dict[str, tuple[str, str]]:
    """Requirement id -> (status, citation) for the named system on the day."""
    catalogue = load_catalogue(deployment=deployment)
    loaded = SystemProfileSchema().load({"name": name, **BASE, **SYSTEMS[name]})
    profile = {key: hashable(value) for key, value in loaded.items()}
    profile.update(catalogue.question_defaults())
    fact = SystemFact(1, name, profile, (), {})
    result = Evaluator(catalogue, 30).evaluate(fact, Snapshot(day, [fact], {}, {}, {}, {}))
    return {i.requirement_id: (i.status, i.citation) for i in result.items}


def in_force(found: dict, *ids: str) -> None:
    for rid in ids:
        assert rid in found and found[rid][0] != "not_in_force", rid


def pending(found: dict, *ids: str) -> None:
    for rid in ids:
        assert found.get(rid, ("absent",))[0] == "not_in_force", rid


def absent(found: dict, *ids: str) -> None:
    for rid in ids:
        assert rid not in found, rid


def test_live_face_recognition():
    before, after = answer("live face recognition", BEFORE), answer("live face recognition", AFTER)
    # Art 5: real-time RBI duties have applied since 2 Feb 2025.
    in_force(before, "eu-ai-act.rt_rbi_national_law", "eu-ai-act.rt_rbi_authorisation")
    assert before["eu-ai-act.rt_rbi_authorisation"][1].endswith("Art 5(3)")
    pending(before, "eu-ai-act.fria", "eu-ai-act.deployer_registration")
    in_force(after, "eu-ai-act.fria", "eu-ai-act.deployer_registration", "eu-ai-act.deployer_logs")
    assert after["eu-ai-act.fria"][1].endswith("Art 27(1)-(2),(4)-(5)")
    in_force(after, "eu-led.dpia", "eu-led.special_categories")
    assert (
        after["eu-led.dpia"][1]
        == "Directive (EU) 2016/680 (Law Enforcement Directive), Art 27(1)-(2)"
    )
    in_force(after, "eu-led.breach_notification")  # Art 30, counted from each breach
    absent(after, "eu-gdpr.dpia", "eu-gdpr.dpo_designation", "eu-ai-act.registration_provider")
    absent(after, "eu-led.adm")  # no profiling (LED Art 11)
    absent(after, "au-malabo.declaration")  # a Belgian agency: the Malabo Convention is not law


def test_post_event_face_search():
    before, after = (
        answer("post-event face search", BEFORE),
        answer("post-event face search", AFTER),
    )
    pending(before, "eu-ai-act.post_rbi_authorisation", "eu-ai-act.post_rbi_police_file")
    in_force(after, "eu-ai-act.post_rbi_authorisation", "eu-ai-act.post_rbi_police_file")
    assert after["eu-ai-act.post_rbi_authorisation"][1].endswith("Art 26(10) para 1-3")
    absent(after, "eu-ai-act.rt_rbi_authorisation")


def test_hotspot_forecasting_assesses_no_natural_person():
    after = answer("hotspot forecasting", AFTER)
    # Not in an Annex III area (a forecast of places): no high-risk duties, but a provider still
    # documents its classification (Art 6(2)-(4)).
    in_force(after, "eu-ai-act.classification", "eu-ai-act.prohibited_practices_screen")
    absent(after, "eu-ai-act.risk_management", "eu-ai-act.fria", "eu-ai-act.deployer_registration")
    absent(after, "eu-led.dpia")  # no personal data


def test_in_house_risk_score_is_provider_and_deployer():
    before, after = answer("in-house risk score", BEFORE), answer("in-house risk score", AFTER)
    pending(before, "eu-ai-act.registration_provider", "eu-ai-act.deployer_registration")
    in_force(
        after,
        "eu-ai-act.registration_provider",
        "eu-ai-act.deployer_registration",  # both roles: schema 5 could not say so
        "eu-ai-act.risk_management",
        "eu-ai-act.conformity_assessment",
        "eu-ai-act.ce_marking",
        "eu-ai-act.fria",
    )
    # Point 6: internal control (Annex VI), no notified body; the date is an interpretation (R5).
    conformity = load_catalogue().requirements["eu-ai-act.conformity_assessment"].citation
    assert "Annex VI" in conformity.note and conformity.verification == "interpretation"
    in_force(after, "eu-led.adm")  # profiling: LED Art 11
    assert after["eu-led.adm"][1].endswith("Art 11(1)-(3)")
    # Incidents: counted from each recorded serious incident (Art 73: 15 / 10 / 2 days).
    in_force(after, "eu-ai-act.serious_incident_report", "eu-ai-act.serious_incident_report_death")


def test_crime_report_chatbot():
    before, after = answer("crime-report chatbot", BEFORE), answer("crime-report chatbot", AFTER)
    # Art 50(1): the law-enforcement exemption does not reach a system the public reports to.
    in_force(before, "eu-ai-act.transparency_art50")
    in_force(after, "eu-led.information")
    absent(after, "eu-ai-act.fria", "eu-ai-act.inform_affected_persons", "eu-ai-act.deployer_logs")


def test_interview_transcription():
    after = answer("interview transcription", AFTER)
    in_force(after, "eu-led.records", "eu-led.logging", "eu-ai-act.ai_literacy")
    absent(after, "eu-ai-act.fria", "eu-ai-act.transparency_art50", "eu-led.adm")


def test_hr_screening_tool_falls_under_the_gdpr_and_annex_iii_point_4():
    before, after = answer("HR screening tool", BEFORE), answer("HR screening tool", AFTER)
    in_force(before, "eu-gdpr.dpia", "eu-gdpr.dpo_designation", "eu-gdpr.breach_notification")
    assert before["eu-gdpr.dpo_designation"][1].endswith("Art 37(1)(a),(5),(7)")
    pending(before, "eu-ai-act.workers_information")
    in_force(after, "eu-ai-act.workers_information", "eu-ai-act.inform_affected_persons")
    assert after["eu-ai-act.workers_information"][1].endswith("Art 26(7)")
    in_force(after, "eu-ai-act.fria")  # point 4 is not point 2: a public body's FRIA
    absent(after, "eu-led.dpia", "eu-led.breach_notification")  # not law-enforcement processing


def test_an_agency_outside_the_eu_gets_no_eu_law_and_malabo_only_once_answered():
    kenyan = answer("biometric system outside the EU", AFTER, KENYA)
    assert {rid.split(".")[0] for rid in kenyan} == {"toolkit"}
    bound = answer(
        "biometric system outside the EU",
        AFTER,
        Deployment(("KE",), {"au-malabo": date(2023, 6, 8)}),
    )
    in_force(bound, "au-malabo.authorisation")
    assert bound["au-malabo.authorisation"][1].endswith("Art 10 (para. ~4)")
    absent(bound, "eu-led.dpia", "eu-ai-act.post_rbi_authorisation")


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_every_legal_answer_cites_an_article_with_its_verification(name):
    catalogue = load_catalogue()
    for rid, (_, citation) in answer(name, AFTER).items():
        requirement = catalogue.requirements[rid]
        assert citation == str(requirement.citation)
        if requirement.framework != "toolkit":  # the toolkit cites its own chapters (guidance)
            assert ", Art " in citation or ", Arts " in citation, citation
        assert requirement.citation.verification in (
            "V",
            "V2",
            "P",
            "U",
            "interpretation",
            "guidance",
        )
