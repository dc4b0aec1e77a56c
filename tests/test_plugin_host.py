"""Loading plugins from entry points: the built-ins, a third-party package, and broken ones."""

import pytest

from tracker.plugin_host import load_catalogue

BUILT_IN = {"toolkit", "eu-gdpr", "eu-led", "eu-ai-act", "nis2", "au-malabo", "coe-cets225"}


def test_built_in_jurisdictions_load_through_entry_points_without_problems():
    catalogue = load_catalogue()
    assert set(catalogue.jurisdictions) == BUILT_IN
    assert catalogue.problems == []
    assert {p.name for p in catalogue.plugins} == BUILT_IN
    assert all(p.distribution == "ai-evidence-tracker" for p in catalogue.plugins)
    assert len(catalogue.requirements) > 80
    assert {q.id for q in catalogue.questions} >= {"aia_annex_iii_6", "nis2_in_scope"}


def test_every_requirement_cites_an_article_with_a_verification_status():
    for requirement in load_catalogue().requirements.values():
        assert requirement.citation.article and requirement.citation.url.startswith("https://")
        assert requirement.citation.verification in {
            "V",
            "V2",
            "P",
            "U",
            "interpretation",
            "guidance",
        }


def test_unverified_catalogue_entries_stay_marked():
    requirements = load_catalogue().requirements
    assert requirements["au-malabo.authorisation"].citation.verification == "U"
    assert requirements["eu-led.prior_consultation"].citation.verification == "P"
    assert requirements["eu-ai-act.registration_provider"].citation.verification == "interpretation"
    assert requirements["toolkit.responsible_ai_strategy"].citation.verification == "guidance"


def test_a_deployment_chooses_its_jurisdictions():
    catalogue = load_catalogue(enabled={"toolkit", "eu-led"})
    assert set(catalogue.jurisdictions) == {"toolkit", "eu-led"}
    assert {r.framework for r in catalogue.requirements.values()} == {"toolkit", "eu-led"}
    assert "eu-ai-act" in catalogue.disabled
    unknown = load_catalogue(enabled={"toolkit", "atlantis"})
    assert [str(p) for p in unknown.problems] == [
        "plugin 'configuration': TRACKER_JURISDICTIONS names 'atlantis', which no installed plugin provides"
    ]


def test_in_force_dates_can_be_overridden():
    from datetime import date

    catalogue = load_catalogue(
        in_force_overrides={"eu-ai-act.fria": date(2026, 8, 2), "nope.x": date(2030, 1, 1)}
    )
    assert catalogue.requirements["eu-ai-act.fria"].in_force_from == date(2026, 8, 2)
    assert "unknown requirement 'nope.x'" in str(catalogue.problems[0])


def test_a_third_party_plugin_needs_no_change_to_the_core(install_plugin):
    install_plugin("example_jurisdiction")
    catalogue = load_catalogue()
    assert "ruritania" in catalogue.jurisdictions
    assert catalogue.requirements["ruritania.ethics_review"].valid_for_months == 12
    plugin = next(p for p in catalogue.plugins if p.name == "ruritania")
    assert (plugin.distribution, plugin.version, plugin.requirement_count) == (
        "tracker-example-jurisdiction",
        "1.0.0",
        2,
    )
    assert catalogue.problems == []


def test_broken_plugins_are_reported_by_name_and_the_rest_keeps_working(install_plugin):
    install_plugin("broken_plugins")
    catalogue = load_catalogue()
    problems = [str(p) for p in catalogue.problems]

    def reported(plugin: str, text: str) -> bool:
        return any(p.startswith(f"plugin {plugin!r}") and text in p for p in problems)

    assert reported(
        "broken-import", "cannot be imported (tracker_broken.import_error): ModuleNotFoundError"
    )
    assert reported("broken-hook", "refused: unknown hook 'tracker_requirments'")
    assert reported(
        "broken-crash",
        "tracker_requirements() failed: RuntimeError: the requirements file could not be parsed",
    )
    assert reported("broken-definitions", "requirement 'broken.fine': duplicate requirement id")
    assert reported(
        "broken-definitions",
        "requirement 'broken.kind': evidence kinds ['horoscope'] are not known",
    )
    assert reported("broken-definitions", "requirement 'broken.no_citation': has no citation")
    assert reported("broken-definitions", "requirement 'broken.bad_rule': applicability rule")
    assert reported(
        "broken-definitions",
        "requirement 'broken.never': applicability rule 'risk_level == \"severe\"' can never apply",
    )
    assert reported("broken-definitions", "requirement 'Broken Id': id 'Broken Id' must look like")
    assert reported(
        "broken-definitions",
        "requirement 'eu-led.dpia': belongs to jurisdiction 'eu-led', which this plugin does not declare",
    )
    # The sound parts still load: the built-ins and the one good requirement of the broken plugin.
    assert set(catalogue.jurisdictions) >= BUILT_IN
    assert "broken.fine" in catalogue.requirements
    assert catalogue.requirements["eu-led.dpia"].title == "Data protection impact assessment (LED)"
    assert {p.name: p.loaded for p in catalogue.plugins if p.name.startswith("broken")} == {
        "broken-import": False,
        "broken-hook": False,
        "broken-crash": True,
        "broken-definitions": True,
    }


@pytest.mark.parametrize("command", [("plugins", "list"), ("plugins", "check")])
def test_cli_reports_broken_plugins_and_keeps_serving(install_plugin, runner, command):
    install_plugin("broken_plugins")
    install_plugin("example_jurisdiction")
    result = runner.tracker(*command)
    assert "broken-import" in result.output
    if command[1] == "check":
        assert result.exit_code == 1
        assert "PROBLEM plugin 'broken-hook': refused" in result.output
    else:
        assert result.exit_code == 0
        assert "ruritania" in result.output and "NOT LOADED" in result.output


def test_the_third_party_jurisdiction_appears_in_completeness_through_the_api(
    install_plugin, settings, migrated, auth
):
    from tests.factories import profile
    from tracker.app import create_app

    install_plugin("example_jurisdiction")
    client = create_app(settings).test_client()
    body = profile(
        jurisdictions=["toolkit", "ruritania"], answers={"ruritania_national_database": True}
    )
    system = client.post("/api/systems", json=body, headers=auth("legal")).json
    result = client.get(f"/api/systems/{system['id']}/completeness", headers=auth("dpo")).json
    ruritanian = {
        i["requirement_id"]: i for i in result["requirements"] if i["framework"] == "ruritania"
    }
    assert set(ruritanian) == {"ruritania.register_entry", "ruritania.ethics_review"}
    assert ruritanian["ruritania.ethics_review"]["verification"] == "P"
    assert "ruritania" in result["frameworks"]


def test_a_broken_plugin_does_not_take_the_service_down(install_plugin, settings, migrated, auth):
    from tracker.app import create_app

    install_plugin("broken_plugins")
    client = create_app(settings).test_client()
    assert client.get("/api/systems", headers=auth("viewer")).status_code == 200
    plugins = {p["name"]: p for p in client.get("/api/plugins", headers=auth("viewer")).json}
    assert plugins["broken-import"]["loaded"] is False
    assert any("cannot be imported" in problem for problem in plugins["broken-import"]["problems"])
    assert plugins["eu-led"]["problems"] == [] and plugins["eu-led"]["requirement_count"] == 14
