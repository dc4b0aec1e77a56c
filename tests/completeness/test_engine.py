"""The completeness rules on plain facts: statuses, scopes, reuse, waivers, readiness, scores."""

from datetime import date, datetime

import pytest

from tracker.completeness.assess import add_months
from tracker.completeness.engine import Evaluator
from tracker.completeness.facts import (
    EvidenceFact,
    OperatorFact,
    Snapshot,
    SystemFact,
    WaiverFact,
)
from tracker.plugin_host import Catalogue
from tracker.requirements import Citation, Jurisdiction, Requirement, compile_rule

TODAY = date(2026, 11, 26)
CITE = Citation("Test Act", "Art 1", "https://law.example/act", "V")


def requirement(rid="test.dpia", **fields):
    fields.setdefault("evidence_kinds", ("impact_assessment",))
    return Requirement(rid, fields.pop("title", rid), CITE, **fields)


def catalogue_of(*requirements):
    catalogue = Catalogue(
        jurisdictions={r.framework: Jurisdiction(r.framework, r.framework) for r in requirements},
        requirements={r.id: r for r in requirements},
    )
    catalogue.rules = {r.id: compile_rule(r.applies_when) for r in requirements}
    return catalogue


def system(stage="testing", jurisdictions=(), last_changed=None, **profile):
    base = {
        "lifecycle_stage": stage,
        "risk_level": "high",
        "purpose_type": "law_enforcement",
        "processes_personal_data": True,
        "biometric_identification": "none",
        "public_facing": False,
    }
    base.update(profile)
    return SystemFact(1, "System", base, tuple(jurisdictions), last_changed or {})


def evidence(
    eid=1,
    rid="test.dpia",
    kind="impact_assessment",
    review="accepted",
    agency_wide=False,
    valid_until=None,
    issued_on=date(2026, 1, 10),
    person="",
    reviewed_reason="",
):
    fact = EvidenceFact(
        eid,
        eid,
        1,
        kind,
        f"E{eid}",
        (rid,),
        agency_wide,
        issued_on,
        None,
        valid_until,
        person,
        datetime(2026, 1, 10, 9),
    )
    if review:
        fact.decision, fact.decision_reason = review, reviewed_reason
    return fact


def snapshot(*facts, operators=(), waivers=None, as_of=TODAY):
    by_system, agency = {}, {}
    for fact in facts:
        for rid in fact.requirement_ids:
            if fact.agency_wide:
                agency.setdefault(rid, []).append(fact)
            else:  # the helper's evidence covers system 1
                by_system.setdefault(1, {}).setdefault(rid, []).append(fact)
    return Snapshot(as_of, [], by_system, agency, {1: list(operators)}, waivers or {})


def status(req, snap, sys=None, window=30):
    result = Evaluator(catalogue_of(req), window).evaluate(sys or system(), snap)
    return result.items[0]


def test_no_evidence_is_missing():
    assert status(requirement(), snapshot()).status == "missing"


def test_unreviewed_evidence_is_pending_review():
    assert status(requirement(), snapshot(evidence(review=None))).status == "pending_review"


def test_accepted_evidence_in_date_satisfies():
    item = status(requirement(), snapshot(evidence(valid_until=date(2027, 6, 1))))
    assert item.status == "satisfied" and item.valid_until == date(2027, 6, 1)
    assert [e.id for e in item.evidence] == [1]


def test_expiring_within_the_lead_time():
    assert (
        status(requirement(), snapshot(evidence(valid_until=date(2026, 12, 10)))).status
        == "expiring_soon"
    )
    assert (
        status(requirement(), snapshot(evidence(valid_until=date(2026, 12, 10))), window=7).status
        == "satisfied"
    )
    assert (
        status(
            requirement(lead_days=(60, 30)),
            snapshot(evidence(valid_until=date(2027, 1, 10))),
            window=7,
        ).status
        == "expiring_soon"
    )


def test_lapsed_evidence_is_expired():
    assert (
        status(requirement(), snapshot(evidence(valid_until=date(2026, 11, 25)))).status
        == "expired"
    )


def test_validity_period_counts_from_the_issue_date():
    req = requirement(valid_for_months=12)
    assert status(req, snapshot(evidence(issued_on=date(2025, 11, 1)))).status == "expired"
    item = status(req, snapshot(evidence(issued_on=date(2026, 3, 31))))
    assert item.status == "satisfied" and item.valid_until == date(2027, 3, 31)


def test_rejected_evidence_does_not_count_and_the_best_candidate_wins():
    assert (
        status(
            requirement(), snapshot(evidence(review="rejected", reviewed_reason="wrong system"))
        ).status
        == "rejected"
    )
    both = snapshot(evidence(1, review="rejected"), evidence(2, valid_until=date(2027, 6, 1)))
    assert status(requirement(), both).status == "satisfied"
    pending_over_expired = snapshot(
        evidence(1, valid_until=date(2026, 1, 1)), evidence(2, review=None)
    )
    assert status(requirement(), pending_over_expired).status == "pending_review"


def test_a_profile_change_makes_earlier_evidence_stale():
    req = requirement(renew_on_change=("lifecycle_stage",))
    changed = system(last_changed={"lifecycle_stage": datetime(2026, 6, 1)})
    item = status(req, snapshot(evidence(issued_on=date(2026, 1, 10))), changed)
    assert (
        item.status == "expired"
        and "stale: lifecycle_stage changed on 2026-06-01" in item.evidence[0].note
    )
    later = evidence(issued_on=date(2026, 6, 2))
    later.created_at = datetime(2026, 6, 2, 9)  # dated and uploaded after the change
    assert status(req, snapshot(later), changed).status == "satisfied"


def test_not_yet_in_force():
    item = status(requirement(in_force_from=date(2027, 12, 2)), snapshot(evidence()))
    assert item.status == "not_in_force" and item.detail == "in force from 2027-12-02"
    assert (
        status(requirement(in_force_from=date(2026, 1, 1)), snapshot(evidence())).status
        == "satisfied"
    )


def test_waived_is_shown_as_waived_never_as_satisfied():
    waiver = {(1, "test.dpia"): WaiverFact(7, date(2027, 1, 1), "risk accepted by the board")}
    item = status(requirement(), snapshot(waivers=waiver))
    assert item.status == "waived" and item.waiver_id == 7 and not item.blocking
    result = Evaluator(catalogue_of(requirement()), 30).evaluate(system(), snapshot(waivers=waiver))
    assert result.overall.met == 0 and result.overall.percent == 0.0
    assert status(requirement(), snapshot(evidence(), waivers=waiver)).status == "satisfied"


def test_per_operator_requirements_name_who_is_missing():
    req = requirement("test.training", evidence_kinds=("training_certificate",), scope="operator")
    operators = [
        OperatorFact(1, "Ana Duarte", "ana@police.example", ""),
        OperatorFact(2, "Bea Kovacs", "bea@police.example", ""),
    ]
    certificate = evidence(rid="test.training", kind="training_certificate", person="ana duarte")
    item = status(req, snapshot(certificate, operators=operators))
    assert item.status == "missing" and item.operators_missing == ["Bea Kovacs"]
    assert "1 of 2 operators not covered" in item.detail
    by_email = evidence(
        2, rid="test.training", kind="training_certificate", person="BEA@police.example"
    )
    assert status(req, snapshot(certificate, by_email, operators=operators)).status == "satisfied"


@pytest.mark.parametrize("detail", [True, False])
def test_a_per_operator_duty_with_no_operators_recorded_is_missing_not_satisfied(detail):
    training = requirement(
        "test.training",
        evidence_kinds=("training_certificate",),
        scope="operator",
        due_before="deployment",
    )
    evaluator = Evaluator(catalogue_of(training), 30)
    result = evaluator.evaluate(system("testing"), snapshot(operators=[]), detail)
    assert result.overall.counts["missing"] == 1 and result.overall.counts["satisfied"] == 0
    assert result.ready is False
    assert result.reasons == [
        "test.training (test.training) is missing: no operators recorded, due before deployment"
    ]
    if detail:
        item = result.items[0]
        assert (item.status, item.detail, item.blocking) == (
            "missing",
            "no operators recorded",
            True,
        )
    # Before the stage it is due, it is missing but does not block the next step.
    planning = evaluator.evaluate(system("planning"), snapshot(operators=[]), detail)
    assert planning.overall.counts["missing"] == 1 and planning.ready is True
    # A waiver still covers it; a certificate without anyone to hold it never does.
    waived = evaluator.evaluate(
        system("testing"),
        snapshot(
            evidence(rid="test.training", kind="training_certificate", person="Ana"),
            operators=[],
            waivers={(1, "test.training"): WaiverFact(3, date(2027, 1, 1), "no users yet")},
        ),
        detail,
    )
    assert waived.overall.counts["waived"] == 1 and waived.ready is True
    orphan = evaluator.evaluate(
        system("testing"),
        snapshot(
            evidence(rid="test.training", kind="training_certificate", person="Ana"), operators=[]
        ),
        detail,
    )
    assert orphan.overall.counts["missing"] == 1 and orphan.ready is False


def test_evidence_for_one_requirement_serves_another_when_declared():
    led = requirement("led.dpia")
    ai_act = requirement("aia.dpia_info", also_satisfied_by=("led.dpia",))
    result = Evaluator(catalogue_of(led, ai_act), 30).evaluate(
        system(), snapshot(evidence(rid="led.dpia"))
    )
    assert {i.requirement_id: i.status for i in result.items} == {
        "led.dpia": "satisfied",
        "aia.dpia_info": "satisfied",
    }
    wrong_kind = snapshot(evidence(rid="led.dpia", kind="record"))
    assert status(ai_act, wrong_kind).status == "missing"


def test_agency_requirements_take_only_agency_wide_evidence():
    req = requirement("test.strategy", evidence_kinds=("policy",), scope="agency")
    assert status(req, snapshot(evidence(rid="test.strategy", kind="policy"))).status == "missing"
    assert (
        status(req, snapshot(evidence(rid="test.strategy", kind="policy", agency_wide=True))).status
        == "satisfied"
    )
    per_system = requirement("test.policy", evidence_kinds=("policy",))
    assert (
        status(
            per_system, snapshot(evidence(rid="test.policy", kind="policy", agency_wide=True))
        ).status
        == "satisfied"
    )


def test_blocking_items_and_readiness_for_the_next_stage():
    due_now = requirement("test.a", due_before="deployment")
    due_later = requirement("test.b", due_before="monitoring")
    no_stage = requirement("test.c")
    result = Evaluator(catalogue_of(due_now, due_later, no_stage), 30).evaluate(
        system("testing"), snapshot()
    )
    assert [i.requirement_id for i in result.items if i.blocking] == ["test.a"]
    assert result.next_stage == "deployment" and result.ready is False
    assert result.reasons == ["test.a (test.a) is missing, due before deployment"]
    deployed = Evaluator(catalogue_of(due_now, due_later), 30).evaluate(
        system("deployment"), snapshot()
    )
    assert {i.requirement_id for i in deployed.items if i.blocking} == {"test.a", "test.b"}
    ready = Evaluator(catalogue_of(due_now), 30).evaluate(
        system("testing"), snapshot(evidence(rid="test.a"))
    )
    assert ready.ready is True
    ended = Evaluator(catalogue_of(due_now), 30).evaluate(system("decommissioned"), snapshot())
    assert ended.ready is None and ended.next_stage is None


def test_applicability_follows_rules_and_the_systems_jurisdictions():
    led = requirement("led.x", applies_when='purpose_type == "law_enforcement"')
    gdpr = requirement("gdpr.x", applies_when='purpose_type == "administrative"')
    evaluator = Evaluator(catalogue_of(led, gdpr), 30)
    assert [r.id for r in evaluator.applicable(system())] == ["led.x"]
    assert [r.id for r in evaluator.applicable(system(purpose_type="administrative"))] == ["gdpr.x"]
    assert evaluator.applicable(system(jurisdictions=("gdpr",))) == []


@pytest.mark.parametrize("detail", [True, False])
def test_a_system_nothing_applies_to_is_never_ready_nor_complete(detail):
    led = requirement(
        "led.x", applies_when='purpose_type == "law_enforcement"', due_before="deployment"
    )
    evaluator = Evaluator(catalogue_of(led), 30)

    rules_false = evaluator.evaluate(system(purpose_type="administrative"), snapshot(), detail)
    assert rules_false.ready is False and rules_false.overall.percent is None
    assert rules_false.nothing_applies == (
        "none of the 1 requirements of led matches the system's profile "
        "(every applicability rule is false)"
    )
    assert rules_false.reasons == [f"no requirement applies: {rules_false.nothing_applies}"]

    not_enabled = evaluator.evaluate(system(jurisdictions=("ruritania",)), snapshot(), detail)
    assert not_enabled.ready is False and not_enabled.overall.percent is None
    assert not_enabled.nothing_applies == (
        "none of the system's jurisdictions (ruritania) is enabled in this deployment"
    )

    empty = Evaluator(Catalogue(), 30).evaluate(system(), snapshot(), detail)
    assert empty.nothing_applies == "no jurisdiction is enabled in this deployment"
    assert empty.ready is False and empty.overall.percent is None

    applies = evaluator.evaluate(system(), snapshot(), detail)
    assert applies.nothing_applies == "" and applies.overall.percent == 0.0


def test_scores_per_framework_leave_out_rules_not_in_force():
    met = requirement("a.one")
    missing = requirement("a.two")
    later = requirement("b.three", in_force_from=date(2030, 1, 1))
    result = Evaluator(catalogue_of(met, missing, later), 30).evaluate(
        system(), snapshot(evidence(rid="a.one"))
    )
    assert (result.frameworks["a"].percent, result.frameworks["a"].applicable) == (50.0, 2)
    assert result.frameworks["b"].applicable == 0 and result.frameworks["b"].percent is None
    assert result.overall.counts["not_in_force"] == 1 and result.overall.percent == 50.0


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 5, 15), 24, date(2028, 5, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_the_summary_mode_gives_the_same_scores_and_reasons_as_the_detailed_one():
    reqs = [
        requirement("a.one", due_before="deployment"),
        requirement("a.two", due_before="deployment"),
        requirement("b.three", in_force_from=date(2030, 1, 1)),
        requirement(
            "a.four",
            evidence_kinds=("training_certificate",),
            scope="operator",
            due_before="deployment",
        ),
    ]
    snap = snapshot(
        evidence(rid="a.one"),
        operators=[OperatorFact(1, "Ana", "ana@x.example", "")],
        waivers={(1, "a.two"): WaiverFact(3, date(2027, 1, 1), "accepted risk")},
    )
    evaluator = Evaluator(catalogue_of(*reqs), 30)
    full, summary = (
        evaluator.evaluate(system(), snap),
        evaluator.evaluate(system(), snap, detail=False),
    )
    assert summary.items == [] and len(full.items) == 4
    assert (summary.overall.counts, summary.ready, summary.reasons) == (
        full.overall.counts,
        full.ready,
        full.reasons,
    )
    assert summary.reasons == ["a.four (a.four) is missing for Ana, due before deployment"]
    assert {k: v.percent for k, v in summary.frameworks.items()} == {
        k: v.percent for k, v in full.frameworks.items()
    }


def test_an_answer_without_reasons_is_the_same_answer_with_empty_whys():
    catalogue = catalogue_of(requirement("a.one"), requirement("a.two"))
    snap = snapshot(evidence(rid="a.one"))
    explained = Evaluator(catalogue).evaluate(system(), snap)
    bare = Evaluator(catalogue).evaluate(system(), snap, explain=False)
    assert all(item.why for item in explained.items)
    assert [item.why for item in bare.items] == ["", ""]
    for item in explained.items:
        item.why = ""
    assert bare == explained
