"""The built-in catalogue applied to the demo agency gives the answers the law gives."""

from datetime import date

import pytest

from tests.conftest import DEPLOYMENT
from tracker import completeness
from tracker.plugin_host import load_catalogue


@pytest.fixture
def answers(settings, migrated, demo_agency):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    results = completeness.for_portfolio(date.today(), catalogue, detail=True)
    return {r.name: {item.requirement_id: item for item in r.items} for r in results}


def test_live_face_recognition_gets_led_and_ai_act_biometric_duties_and_no_gdpr_dpia(answers):
    live = answers["Live facial recognition on body-worn cameras"]
    assert {"eu-led.dpia", "eu-led.special_categories", "eu-led.prior_consultation"} <= set(live)
    assert {
        "eu-ai-act.rt_rbi_authorisation",
        "eu-ai-act.rt_rbi_fria_and_registration",
        "eu-ai-act.rt_rbi_national_law",
        "eu-ai-act.fria",
    } <= set(live)
    assert not any(
        rid.startswith("eu-gdpr.") and rid != "eu-gdpr.scope_classification" for rid in live
    )
    assert "eu-gdpr.dpia" not in live
    assert "toolkit.facial_examiner_certification" in live
    assert "au-malabo.declaration" not in live  # the demo agency is European


def test_the_chatbot_gets_the_transparency_duties(answers):
    chatbot = answers["Crime report chatbot"]
    assert chatbot["eu-ai-act.transparency_art50"].status == "satisfied"
    assert (
        chatbot["coe-cets225.interaction_notice"].status == "satisfied"
    )  # the same statement, reused
    assert "eu-ai-act.fria" not in chatbot


def test_the_in_house_risk_score_gets_provider_duties_and_the_hotspot_forecast_does_not(answers):
    risk_score = answers["Re-offending risk score"]
    provider_duties = {
        "eu-ai-act.risk_management",
        "eu-ai-act.technical_documentation",
        "eu-ai-act.conformity_assessment",
        "eu-ai-act.registration_provider",
        "eu-ai-act.data_governance",
        "eu-ai-act.quality_management",
    }
    assert provider_duties <= set(risk_score)
    assert (
        risk_score["eu-ai-act.conformity_assessment"].status == "not_in_force"
    )  # Annex III: 2 Dec 2027
    hotspot = answers["Crime hotspot forecasting"]
    assert not provider_duties & set(hotspot)
    assert (
        "eu-ai-act.classification" in hotspot
    )  # a provider still documents why it is not high-risk
    assert "eu-ai-act.prohibited_practices_screen" in hotspot


def test_the_administrative_system_falls_under_the_gdpr_not_the_led(answers):
    rostering = answers["Staff rostering assistant"]
    assert "eu-gdpr.ropa" in rostering and "eu-gdpr.processor_contract" in rostering
    assert not any(rid.startswith("eu-led.") for rid in rostering)


def test_nis2_applies_only_when_a_system_is_in_scope(answers, migrated):
    for name, items in answers.items():
        assert "nis2.scope" in items, name
        assert "nis2.risk_measures" not in items, name


def test_demo_reviews_and_waivers_show(answers):
    face = answers["Post-event face search"]
    assert face["eu-led.dpia"].status in ("satisfied", "expiring_soon")
    assert face["eu-ai-act.dpia_using_provider_info"].evidence[0].title.startswith("DPIA")  # reused
    assert (
        face["toolkit.facial_examiner_certification"].status == "expiring_soon"
    )  # one certificate runs out
    hotspot = answers["Crime hotspot forecasting"]
    assert hotspot["toolkit.decommissioning_procedure"].status == "waived"
    transcription = answers["Interview transcription"]
    assert transcription["toolkit.monitoring_plan"].status == "rejected"
    assert (
        transcription["toolkit.monitoring_plan"].evidence[0].note
        == "Describes version 5.1; the deployed version is 5.2."
    )


@pytest.mark.parametrize("offset", [0, -30, 200, 800])
def test_portfolio_summaries_equal_the_detailed_answers(settings, migrated, offset, demo_agency):
    from datetime import timedelta

    catalogue, day = load_catalogue(deployment=DEPLOYMENT), date.today() + timedelta(days=offset)
    detailed = completeness.for_portfolio(day, catalogue, detail=True)
    summaries = completeness.for_portfolio(day, catalogue, detail=False)
    for full, summary in zip(detailed, summaries, strict=True):
        assert summary.overall.counts == full.overall.counts
        assert {k: v.counts for k, v in summary.frameworks.items()} == {
            k: v.counts for k, v in full.frameworks.items()
        }
        assert (summary.ready, summary.reasons) == (full.ready, full.reasons)
        assert summary.blocking_statuses == full.blocking_statuses
        assert list(full.blocking_statuses) == [i.requirement_id for i in full.items if i.blocking]


def test_a_kept_evaluator_answers_like_a_fresh_one_across_many_dates(
    settings, migrated, demo_agency
):
    from datetime import timedelta

    from tracker.completeness.engine import DATES_KEPT

    kept = load_catalogue(deployment=DEPLOYMENT)
    days = [date.today() + timedelta(days=d) for d in (0, -40, 90, 400, 800, 1200, 0)]
    assert len(set(days)) > DATES_KEPT  # the first date's reach is dropped, then rebuilt
    for day in days:
        reused = completeness.for_portfolio(day, kept)
        fresh = completeness.for_portfolio(day, load_catalogue(deployment=DEPLOYMENT))
        assert [(r.overall, r.frameworks, r.ready, r.reasons) for r in reused] == [
            (r.overall, r.frameworks, r.ready, r.reasons) for r in fresh
        ]
    evaluator = completeness.evaluator_for(kept, 30)
    assert evaluator is completeness.evaluator_for(kept, 30)
    assert evaluator is not completeness.evaluator_for(kept, 14)
    assert len(evaluator._reaches) == DATES_KEPT


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_paused_only_while_a_portfolio_is_built(enabled):
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with completeness.cycle_collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), completeness.cycle_collector_paused():
            raise RuntimeError("a failing portfolio")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
