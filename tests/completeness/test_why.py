"""Why a requirement applies: the reasons are the rule's own, true as written, and cost nothing
on the summary path."""

import random

import pytest

from tests.completeness.test_engine import TODAY, catalogue_of, requirement, snapshot, system
from tracker import vocabulary as vocab
from tracker.completeness.engine import Evaluator
from tracker.completeness.why import Explainer
from tracker.plugin_host import load_catalogue
from tracker.profile import SET_FACTS, ProfileQuestion
from tracker.requirements import compile_rule
from tracker.territory import Deployment

QUESTIONS = (
    ProfileQuestion(
        "aia_annex_iii_6", "Point 6?", "choice", ("none", "d_offending_risk"), default="none"
    ),
    ProfileQuestion("nis2_in_scope", "NIS2?", "boolean", default=False),
)
PROFILE = {
    "processes_personal_data": True,
    "purpose_type": "law_enforcement",
    "risk_level": "high",
    "biometric_identification": "none",
    "public_facing": False,
    "development_approach": "internal",
    "ai_act_roles": ("provider", "deployer"),
    "annex_iii_areas": (),
    "aia_annex_iii_6": "none",
    "nis2_in_scope": False,
}


def why(text, **changes):
    rule = compile_rule(text, QUESTIONS)
    return Explainer(q.id for q in QUESTIONS).explain(rule, {**PROFILE, **changes})


def test_and_lists_each_true_part():
    reason = why('processes_personal_data and purpose_type == "law_enforcement"')
    assert reason.holds
    assert reason.parts == ("processes_personal_data is true", "purpose_type is law_enforcement")
    assert str(reason) == "processes_personal_data is true; purpose_type is law_enforcement"


def test_or_lists_only_the_parts_that_were_true():
    text = 'risk_level == "high" or public_facing'
    assert why(text).parts == ("risk_level is high",)
    assert why(text, risk_level="low", public_facing=True).parts == ("public_facing is true",)
    assert why(text, public_facing=True).parts == ("risk_level is high", "public_facing is true")


def test_a_false_rule_names_each_failing_conjunct_with_its_actual_value():
    text = 'processes_personal_data and purpose_type == "law_enforcement"'
    reason = why(text, purpose_type="administrative")
    assert not reason.holds
    assert reason.parts == ("purpose_type is administrative (not law_enforcement)",)
    both = why(text, purpose_type="administrative", processes_personal_data=False)
    assert both.parts == (
        "processes_personal_data is false",
        "purpose_type is administrative (not law_enforcement)",
    )


def test_a_failing_alternative_inside_and_lists_every_alternative():
    text = (
        'processes_personal_data and (risk_level == "high" or biometric_identification != "none")'
    )
    assert why(text).parts == ("processes_personal_data is true", "risk_level is high")
    assert why(text, risk_level="medium").parts == (
        "risk_level is medium (not high)",
        "biometric_identification is none",
    )
    assert why(text, biometric_identification="real_time").parts == (
        "processes_personal_data is true",
        "risk_level is high",
        "biometric_identification is real_time (not none)",
    )


def test_list_facts_read_with_in():
    assert why('"provider" in ai_act_roles').parts == ("ai_act_roles includes provider",)
    deployer_only = why('"provider" in ai_act_roles', ai_act_roles=("deployer",))
    assert not deployer_only.holds
    assert deployer_only.parts == ("ai_act_roles does not include provider (it lists deployer)",)
    assert why('"biometrics" in annex_iii_areas').parts == (
        "annex_iii_areas does not include biometrics (it is empty)",
    )
    assert why('"provider" in ai_act_roles and "deployer" in ai_act_roles').parts == (
        "ai_act_roles includes provider",
        "ai_act_roles includes deployer",
    )


def test_a_fact_among_literal_choices():
    text = 'development_approach in ["external", "joint", "off_the_shelf"]'
    assert why(text, development_approach="joint").parts == ("development_approach is joint",)
    assert why(text).parts == (
        "development_approach is internal (not external, joint or off_the_shelf)",
    )


def test_plugin_answers_are_named_as_answers():
    text = 'aia_annex_iii_6 != "none" or nis2_in_scope'
    assert why(text, aia_annex_iii_6="d_offending_risk").parts == (
        "answer aia_annex_iii_6 is d_offending_risk (not none)",
    )
    assert why(text).parts == ("answer aia_annex_iii_6 is none", "answer nis2_in_scope is false")


def test_not_states_the_facts_as_they_are():
    assert why("not public_facing").parts == ("public_facing is false",)
    assert why('not (risk_level == "high")', risk_level="low").parts == (
        "risk_level is low (not high)",
    )
    assert why('not ("provider" in ai_act_roles)', ai_act_roles=("deployer",)).parts == (
        "ai_act_roles does not include provider (it lists deployer)",
    )


def test_a_constant_rule_and_another_shape():
    assert why("true").parts == ("its rule applies to every system",)
    shaped = why('purpose_type =~ "law.*"')
    assert shaped.holds and shaped.parts == (
        'purpose_type =~ "law.*" is true (purpose_type is law_enforcement)',
    )


def test_explanations_are_memoised_per_rule_and_values():
    rule = compile_rule('risk_level == "high"')
    explainer = Explainer()
    first = explainer.explain(rule, {**PROFILE, "vendor": "A"})
    assert explainer.explain(rule, {**PROFILE, "vendor": "B"}) is first  # vendor is not read
    assert explainer.explain(rule, {**PROFILE, "risk_level": "low"}) is not first


def _profiles(count: int, countries: tuple[str, ...] = ()):
    """Random profiles of every fact, with a catalogue for an agency in ``countries``."""
    rng = random.Random(7)
    catalogue = load_catalogue(deployment=Deployment(countries))
    closed = {
        "risk_level": list(vocab.RISK_LEVELS),
        "purpose_type": list(vocab.PURPOSE_TYPES),
        "biometric_identification": list(vocab.BIOMETRIC_IDENTIFICATION),
        "development_approach": list(vocab.DEVELOPMENT_APPROACHES),
        "lifecycle_stage": list(vocab.LIFECYCLE_STAGES),
    }
    for _ in range(count):
        profile = {name: rng.choice(values) for name, values in closed.items()}
        for name in ("processes_personal_data", "public_facing", "profiling", "public_authority"):
            profile[name] = rng.random() < 0.5
        for name, choices in SET_FACTS.items():
            profile[name] = tuple(c for c in choices if rng.random() < 0.4)
        profile["countries"] = rng.choice(((), ("KE",), ("FR", "KE")))
        for question in catalogue.questions:
            profile[question.id] = (
                rng.random() < 0.5 if question.type == "boolean" else rng.choice(question.choices)
            )
        yield catalogue, profile


def test_every_built_in_rule_is_explained_as_it_decides():
    """The verdict is the rule's own, and every reason names a fact the rule reads."""
    explainer = None
    for catalogue, profile in _profiles(300):
        explainer = explainer or Explainer(q.id for q in catalogue.questions)
        for rule in catalogue.rules.values():
            reason = explainer.explain(rule, profile)
            assert reason.holds == rule.applies(profile), rule.text
            assert reason.parts and all(reason.parts)
            if rule.symbols:
                for part in reason.parts:
                    assert any(name in part for name in rule.symbols), (rule.text, part)


def test_detailed_items_carry_the_jurisdiction_and_the_rule():
    req = requirement(applies_when='purpose_type == "law_enforcement" and risk_level == "high"')
    evaluator = Evaluator(catalogue_of(req))
    item = evaluator.evaluate(system(), snapshot()).items[0]
    assert item.why == (
        "test: applies wherever the deployment enables it (no territory); "
        "purpose_type is law_enforcement; risk_level is high"
    )
    listed = evaluator.evaluate(system(jurisdictions=("test",)), snapshot()).items[0]
    assert listed.why.startswith(
        "test: listed in the system's jurisdictions (override: test); purpose_type is"
    )


def test_the_summary_path_does_no_explanation_work():
    evaluator = Evaluator(catalogue_of(requirement(applies_when='risk_level == "high"')))
    summary = evaluator.evaluate(system(), snapshot(), detail=False)
    assert summary.items == [] and not {"_explainer", "_why_memo"} & set(vars(evaluator))
    evaluator.evaluate(system(), snapshot())
    assert {"_explainer", "_why_memo"} <= set(vars(evaluator))


@pytest.mark.parametrize("agency", [(), ("BE",), ("KE",)])
@pytest.mark.parametrize("jurisdictions", [(), ("eu-led", "toolkit"), ("nis2",)])
def test_the_verdict_agrees_with_the_applicable_set(jurisdictions, agency):
    """Whatever decides where a law applies, `requirements why` says what the engine does."""
    evaluator = None
    for catalogue, profile in _profiles(40, agency):
        evaluator = evaluator or Evaluator(catalogue)
        fact = system(jurisdictions=jurisdictions, **profile)
        applicable = {r.id for r in evaluator.applicable(fact, TODAY)}
        for requirement_ in catalogue.requirements.values():
            verdict = evaluator.verdict(fact, requirement_, TODAY)
            assert verdict.applies == (requirement_.id in applicable), requirement_.id
            assert verdict.reasons
            if not verdict.applies:  # only what failed
                assert all(
                    not verdict.jurisdiction_applies or part in verdict.rule.parts
                    for part in verdict.reasons
                )


def test_a_requirement_outside_the_system_jurisdictions_says_so():
    evaluator = Evaluator(catalogue_of(requirement()))
    verdict = evaluator.verdict(system(jurisdictions=("other",)), requirement(), TODAY)
    assert not verdict.applies
    assert verdict.reasons == ["test: not in the system's jurisdictions (override: other)"]
