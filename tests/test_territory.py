"""Where a law applies: dated membership, the deployment's countries and answers, overrides."""

from __future__ import annotations

from datetime import date

import pytest

from tests.completeness.test_engine import CITE, system
from tracker.completeness.engine import Evaluator
from tracker.completeness.facts import Snapshot
from tracker.config import ConfigError, from_environ
from tracker.plugin_host import Catalogue, CatalogueConfigError, load_catalogue
from tracker.requirements import Jurisdiction, Requirement, compile_rule
from tracker.territory import (
    EU_MEMBER_STATES,
    Deployment,
    Membership,
    Territory,
    parse_binding,
    reach,
    uncertain,
)

TODAY = date(2026, 11, 26)
UK = Territory(
    "the United Kingdom", (Membership("GB", date(2024, 1, 1)),), "https://uk.example", "V"
)
PACT = uncertain("parties to the Pact", "https://pact.example", "ratifications not verified")


def catalogue_with(deployment: Deployment) -> Catalogue:
    jurisdictions = {
        "eu": Jurisdiction("eu", "EU law", territory=EU_MEMBER_STATES),
        "uk": Jurisdiction("uk", "UK law", territory=UK),
        "pact": Jurisdiction("pact", "A convention", territory=PACT),
        "guide": Jurisdiction("guide", "Guidance everywhere"),
    }
    requirements = {
        f"{j}.duty": Requirement(f"{j}.duty", f"{j} duty", CITE, ("record",)) for j in jurisdictions
    }
    catalogue = Catalogue(jurisdictions, requirements, deployment=deployment)
    catalogue.rules = {r.id: compile_rule(r.applies_when) for r in requirements.values()}
    return catalogue


def applicable(deployment: Deployment, day: date = TODAY, **profile) -> set[str]:
    evaluator = Evaluator(catalogue_with(deployment), 30)
    fact = system(**profile)
    result = evaluator.evaluate(fact, Snapshot(day, [fact], {}, {}, {}, {}))
    return {item.framework for item in result.items}


def test_a_law_reaches_the_agency_by_its_countrys_dated_membership():
    belgium = Deployment(("BE",))
    assert applicable(belgium) == {"eu", "guide"}
    croatia = Deployment(("HR",))
    assert applicable(croatia, date(2013, 6, 30)) == {"guide"}  # joined on 1 July 2013
    assert applicable(croatia, date(2013, 7, 1)) == {"eu", "guide"}
    britain = Deployment(("GB",))
    assert applicable(britain, date(2020, 6, 1)) == {"eu", "guide"}
    assert applicable(britain, date(2021, 1, 1)) == {"guide"}  # EU law ended with 2020
    assert applicable(britain, date(2024, 1, 1)) == {"uk", "guide"}


def test_no_country_declared_means_only_laws_without_a_territory_and_it_says_so():
    evaluator = Evaluator(catalogue_with(Deployment()), 30)
    reaching = evaluator.reaches(system(), TODAY)
    assert reaching["eu"].applies is False
    assert reaching["eu"].reason == "no country declared: not among EU member states on 2026-11-26"
    assert reaching["guide"].applies is True


def test_a_newly_installed_national_law_does_not_land_on_other_countries_systems():
    assert "uk" not in applicable(Deployment(("BE",)))


def test_cross_border_use_adds_the_systems_countries():
    kenya = Deployment(("KE",))
    assert applicable(kenya) == {"guide"}
    assert applicable(kenya, countries=("NL",)) == {"eu", "guide"}
    reason = Evaluator(catalogue_with(kenya), 30).reaches(system(countries=("NL",)), TODAY)["eu"]
    assert reason.reason.startswith("a country the system is used in, NL, is among EU member")


def test_uncertain_membership_is_never_guessed_the_deployment_answers_it():
    unanswered = Evaluator(catalogue_with(Deployment(("KE",))), 30).reaches(system(), TODAY)
    assert unanswered["pact"].applies is False
    assert "TRACKER_BINDING" in unanswered["pact"].reason
    bound = Deployment(("KE",), {"pact": date(2023, 6, 8)})
    assert applicable(bound) == {"pact", "guide"}
    assert applicable(bound, date(2023, 6, 7)) == {"guide"}  # replay: before it bound them
    refused = Deployment(("KE",), {"pact": None})
    assert applicable(refused) == {"guide"}
    reason = reach("pact", PACT, bound, (), TODAY)
    assert reason == reason.__class__(True, "binds the agency since 2023-06-08 (TRACKER_BINDING)")


def test_the_systems_own_list_overrides_territory_and_is_shown_as_an_override():
    evaluator = Evaluator(catalogue_with(Deployment(("BE",))), 30)
    fact = system(jurisdictions=("uk",))
    assert applicable(Deployment(("BE",)), jurisdictions=("uk",)) == {"uk"}
    assert evaluator.reaches(fact, TODAY)["uk"].reason == (
        "listed in the system's jurisdictions (override: uk)"
    )


def test_nothing_reaching_a_system_is_explained():
    evaluator = Evaluator(catalogue_with(Deployment()), 30)
    catalogue = evaluator.catalogue
    del catalogue.jurisdictions["guide"]
    evaluator = Evaluator(catalogue, 30)
    fact = system()
    result = evaluator.evaluate(fact, Snapshot(TODAY, [fact], {}, {}, {}, {}))
    assert result.ready is False
    assert result.nothing_applies.startswith("no law reaches it: eu: no country declared")


def test_the_built_in_frameworks_declare_where_they_apply():
    catalogue = load_catalogue()
    territories = {j: x.territory for j, x in catalogue.jurisdictions.items()}
    assert territories["toolkit"] is None  # guidance, wherever enabled
    for eu in ("eu-gdpr", "eu-led", "eu-ai-act", "nis2"):
        assert territories[eu] == EU_MEMBER_STATES and territories[eu].verification == "P"
    assert territories["au-malabo"].uncertain and territories["coe-cets225"].uncertain
    # An EU agency gets no Malabo Convention items unless the deployment says it is bound.
    evaluator = Evaluator(load_catalogue(deployment=Deployment(("BE",))), 30)
    assert not evaluator.reaches(system(), TODAY)["au-malabo"].applies


def test_settings_declare_countries_and_answers_and_refuse_what_is_not_one():
    settings = from_environ(
        {
            "TRACKER_AGENCY_COUNTRIES": "be, nl",
            "TRACKER_BINDING": "au-malabo=2023-06-08,coe-cets225=no",
        }
    )
    assert settings.agency_countries == ("BE", "NL")
    assert settings.binding == {"au-malabo": date(2023, 6, 8), "coe-cets225": None}
    with pytest.raises(ConfigError, match=r"TRACKER_AGENCY_COUNTRIES .* not XX"):
        from_environ({"TRACKER_AGENCY_COUNTRIES": "BE,XX"})
    with pytest.raises(ConfigError, match="TRACKER_BINDING"):
        from_environ({"TRACKER_BINDING": "au-malabo=soon"})
    with pytest.raises(CatalogueConfigError, match="TRACKER_BINDING names 'atlantis'"):
        load_catalogue(deployment=Deployment(("BE",), {"atlantis": None}))
    assert parse_binding("") == {}
