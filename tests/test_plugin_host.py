"""Loading plugins from entry points: the built-ins, a third-party package, and broken ones;
settings that name what no plugin provides stop every entry point."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PLUGIN_PACKAGES
from tests.services import free_port
from tracker.config import ConfigError
from tracker.plugin_host import CatalogueConfigError, load_catalogue
from tracker.reminders import jobs

TRACKER = Path(sys.executable).parent / "tracker"
KNOWN = (
    "the known jurisdictions are: au-malabo, coe-cets225, eu-ai-act, eu-gdpr, eu-led, nis2, toolkit"
)

BUILT_IN = {"toolkit", "eu-gdpr", "eu-led", "eu-ai-act", "nis2", "au-malabo", "coe-cets225"}


def test_built_in_jurisdictions_load_through_entry_points_without_problems():
    catalogue = load_catalogue()
    assert set(catalogue.jurisdictions) == BUILT_IN
    assert catalogue.problems == []
    assert {p.name for p in catalogue.plugins} == BUILT_IN
    assert all(p.distribution == "ai-evidence-tracker" for p in catalogue.plugins)
    assert len(catalogue.requirements) > 80
    assert {q.id for q in catalogue.questions} >= {"nis2_in_scope"}


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
    assert catalogue.configuration == []


def test_an_unknown_jurisdiction_is_a_configuration_error_naming_it_and_the_known_ones():
    with pytest.raises(CatalogueConfigError) as raised:
        load_catalogue(enabled={"toolkit", "atlantis", "eu-gdp"})
    assert isinstance(raised.value, ConfigError)
    assert str(raised.value) == (
        "TRACKER_JURISDICTIONS names 'atlantis', 'eu-gdp' (did you mean 'eu-gdpr'?), "
        f"which no installed plugin provides; {KNOWN}"
    )
    # Without strict, what the settings get wrong is kept for `tracker plugins check` to show.
    lenient = load_catalogue(enabled={"toolkit", "atlantis"}, strict=False)
    assert lenient.configuration[0].startswith("TRACKER_JURISDICTIONS names 'atlantis', which")
    assert lenient.problems == []


def test_in_force_dates_can_be_overridden():
    from datetime import date

    catalogue = load_catalogue(in_force_overrides={"eu-ai-act.fria": date(2026, 8, 2)})
    assert catalogue.requirements["eu-ai-act.fria"].in_force_from == date(2026, 8, 2)
    # A requirement of an installed but disabled jurisdiction is not a mistake.
    assert load_catalogue({"toolkit"}, {"eu-ai-act.fria": date(2026, 8, 2)}).configuration == []
    with pytest.raises(CatalogueConfigError) as raised:
        load_catalogue(in_force_overrides={"eu-ai-act.fri": date(2026, 8, 2)})
    assert str(raised.value) == (
        "TRACKER_IN_FORCE_FROM names 'eu-ai-act.fri' (did you mean 'eu-ai-act.fria'?), "
        "which no installed plugin declares"
    )


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


def test_a_third_party_plugin_cannot_take_over_a_built_in_jurisdiction(install_plugin):
    install_plugin("takeover_plugin")  # entry point "a-led" sorts before "eu-led"
    catalogue = load_catalogue()
    problems = [str(p) for p in catalogue.problems]
    assert problems == [
        "plugin 'toolkit (tracker-takeover-plugin)': refused: its entry point name 'toolkit' is "
        "already used by built-in plugin 'toolkit'",
        "plugin 'a-led': refused: it declares jurisdiction 'eu-led', which built-in plugin "
        "'eu-led' already provides; a plugin cannot replace another plugin's jurisdiction",
    ]
    # The built-ins keep everything; the newcomer is refused as a whole.
    assert catalogue.jurisdictions["eu-led"].title != "Not the Law Enforcement Directive"
    assert sum(r.framework == "eu-led" for r in catalogue.requirements.values()) == 16
    assert catalogue.requirements["eu-led.dpia"].title == "Data protection impact assessment (LED)"
    assert "takeover" not in catalogue.jurisdictions and "impostor" not in catalogue.jurisdictions
    plugins = {p.name: p for p in catalogue.plugins}
    assert plugins["eu-led"].loaded and plugins["eu-led"].requirement_count == 16
    assert plugins["toolkit"].loaded and plugins["toolkit"].built_in
    assert not plugins["a-led"].loaded and not plugins["toolkit (tracker-takeover-plugin)"].loaded


def _line_of(module: str, text: str) -> int:
    source = (PLUGIN_PACKAGES / "broken_plugins" / "tracker_broken" / module).read_text()
    return next(n for n, line in enumerate(source.splitlines(), 1) if text in line)


def test_broken_plugins_are_reported_by_name_and_the_rest_keeps_working(install_plugin):
    install_plugin("broken_plugins")
    catalogue = load_catalogue()
    problems = [str(p) for p in catalogue.problems]

    def reported(plugin: str, text: str) -> bool:
        return any(p.startswith(f"plugin {plugin!r}") and text in p for p in problems)

    assert reported(
        "broken-import", "cannot be imported (tracker_broken.import_error): ModuleNotFoundError"
    )
    assert reported(
        "broken-hook",
        "refused: unknown hook 'tracker_requirments' (did you mean 'tracker_requirements'?)",
    )
    assert reported(
        "broken-crash",
        "tracker_requirements() failed: RuntimeError: the requirements file could not be parsed "
        "(at tracker_broken/crash.py:8)",
    )
    assert reported("broken-definitions", "requirement 'broken.fine': duplicate requirement id")
    assert reported(
        "broken-definitions",
        "requirement 'broken.kind': evidence kinds ['horoscope'] are not known evidence kinds; "
        "known kinds: impact_assessment, training_certificate, public_communication, audit, "
        "policy, record, registration, consultation, authorisation, incident_report, "
        "technical_documentation",
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
    # A module that registers but marks no hook provides nothing, and says so.
    assert reported(
        "broken-empty",
        "provides nothing: no function of tracker_broken.no_hookimpl is marked @hookimpl "
        "(tracker_jurisdictions, tracker_requirements lack it)",
    )
    assert "unmarked" not in catalogue.jurisdictions
    # The sound parts still load: the built-ins and the one good requirement of the broken plugin.
    assert set(catalogue.jurisdictions) >= BUILT_IN
    assert "broken.fine" in catalogue.requirements
    assert catalogue.requirements["eu-led.dpia"].title == "Data protection impact assessment (LED)"
    assert {p.name: p.loaded for p in catalogue.plugins if p.name.startswith("broken")} == {
        "broken-import": False,
        "broken-hook": False,
        "broken-crash": True,
        "broken-definitions": True,
        "broken-constructors": True,
        "broken-empty": False,
    }
    # Every problem once: a problem reported twice would be printed twice.
    assert len(problems) == len(set(problems))


def test_a_definition_built_with_wrong_arguments_costs_only_itself(install_plugin):
    install_plugin("broken_plugins")
    catalogue = load_catalogue()
    mine = [p.problem for p in catalogue.problems if p.plugin == "broken-constructors"]
    keyword = _line_of("constructors.py", "line reported for the misspelt keyword")
    missing = _line_of("constructors.py", '"constructed.missing"')
    citation = _line_of("constructors.py", "line reported for the citation")
    untitled = _line_of("constructors.py", 'Jurisdiction("constructed-2")')
    assert sorted(mine) == sorted(
        [
            f"Jurisdiction(...) at tracker_broken/constructors.py:{untitled} cannot be built: "
            "missing argument 'title'",
            "requirement 'constructed.keyword': Requirement(...) at tracker_broken/constructors.py:"
            f"{keyword} cannot be built: unknown argument 'evidence_kind' "
            "(did you mean 'evidence_kinds'?)",
            "requirement 'constructed.missing': Requirement(...) at tracker_broken/constructors.py:"
            f"{missing} cannot be built: missing argument 'citation'",
            "requirement 'constructed.bad_citation': Citation(...) at "
            f"tracker_broken/constructors.py:{citation} cannot be built: missing argument "
            "'verification'",
            "requirement 'constructed.fact': applicability rule 'risk_levle == \"high\"' is "
            "invalid: unknown fact 'risk_levle'; did you mean 'risk_level'?",
            "requirement 'constructed.kind': evidence kinds ['polcy'] are not known evidence kinds "
            "('polcy': did you mean 'policy'?); known kinds: impact_assessment, "
            "training_certificate, public_communication, audit, policy, record, registration, "
            "consultation, authorisation, incident_report, technical_documentation",
            "requirement 'constructed.types': title must be text, not NoneType",
            "requirement 'constructed.types': evidence_kinds must be a tuple of names such as "
            "('record',), not 'record'",
            "tracker_profile_questions() is not marked @hookimpl, so the tracker never calls it",
        ]
    )
    # The sound requirement beside the broken calls loads, and so does the sound jurisdiction.
    assert [r for r in catalogue.requirements if r.startswith("constructed")] == [
        "constructed.fine"
    ]
    assert "constructed" in catalogue.jurisdictions


@pytest.mark.parametrize("command", [("plugins", "list"), ("plugins", "check")])
def test_cli_reports_broken_plugins_and_keeps_serving(install_plugin, runner, command):
    install_plugin("broken_plugins")
    install_plugin("example_jurisdiction")
    result = runner.tracker(*command)
    assert "broken-import" in result.output
    if command[1] == "check":
        assert result.exit_code == 1
        assert "PROBLEM plugin 'broken-hook': refused" in result.output
        assert "PROBLEM plugin 'broken-empty': provides nothing" in result.output
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
    install_plugin("takeover_plugin")
    client = create_app(settings).test_client()
    assert client.get("/api/systems", headers=auth("viewer")).status_code == 200
    plugins = {
        p["name"]: p for p in client.get("/api/plugins?page_size=50", headers=auth("viewer")).json
    }
    assert plugins["broken-import"]["loaded"] is False
    assert any("cannot be imported" in problem for problem in plugins["broken-import"]["problems"])
    # The built-ins are never blamed for a plugin that tried to take their place.
    assert plugins["eu-led"]["problems"] == [] and plugins["eu-led"]["requirement_count"] == 16
    assert plugins["toolkit"]["problems"] == [] and plugins["toolkit"]["loaded"] is True
    assert plugins["a-led"]["loaded"] is False
    assert "declares jurisdiction 'eu-led'" in plugins["a-led"]["problems"][0]


def _tracker(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed ``tracker`` command in a process of its own, as a user runs it."""
    process = subprocess.Popen(
        [str(TRACKER), *args],
        env={**os.environ, "TRACKER_ENV": "testing", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that a server that did start is stopped with its workers
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_each_plugin_problem_is_printed_once(plugin_packages, install_plugin, tmp_path):
    install_plugin("broken_plugins")
    expected = [str(p) for p in load_catalogue(strict=False).problems]
    assert len(expected) > 15
    env = {"PYTHONPATH": str(plugin_packages["broken_plugins"]), "TRACKER_DATA_DIR": str(tmp_path)}
    listed = _tracker("requirements", "list", env=env)
    checked = _tracker("plugins", "check", env={**env, "TRACKER_JURISDICTIONS": "toolkit,eu-gdp"})
    assert listed.returncode == 0 and checked.returncode == 1
    # Once each, whatever the channel (the log, a warning, the check's own list).
    for output, prefix in ((listed, "warning: "), (checked, "PROBLEM ")):
        lines = (output.stdout + output.stderr).splitlines()
        for problem in expected:
            assert [line for line in lines if problem in line] == [prefix + problem]
    setting = [line for line in checked.stdout.splitlines() if "eu-gdp" in line]
    assert setting == [
        "PROBLEM configuration: TRACKER_JURISDICTIONS names 'eu-gdp' (did you mean 'eu-gdpr'?), "
        "which no installed plugin provides; the known jurisdictions are: au-malabo, broken, "
        "coe-cets225, constructed, eu-ai-act, eu-gdpr, eu-led, nis2, toolkit "
        "(plugins not loaded: broken-empty, broken-hook, broken-import; see `tracker plugins check`)"
    ]


@pytest.mark.parametrize(
    "command",
    [
        ("completeness",),
        ("requirements", "list"),
        ("reminders", "preview"),
        ("scheduler",),
        ("worker", "--burst"),
    ],
)
def test_cli_commands_refuse_unknown_jurisdictions_with_one_line(runner, monkeypatch, command):
    monkeypatch.setenv("TRACKER_JURISDICTIONS", "toolkit,eu-gdp")
    # Unreachable: a worker or scheduler must refuse before it even tries Redis.
    monkeypatch.setenv("TRACKER_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(jobs, "_context", None)
    result = runner.tracker(*command)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: TRACKER_JURISDICTIONS names 'eu-gdp' (did you mean 'eu-gdpr'?), which no "
        f"installed plugin provides; {KNOWN}"
    ]


def test_an_unknown_in_force_requirement_stops_the_cli_too(runner, monkeypatch):
    monkeypatch.setenv("TRACKER_IN_FORCE_FROM", "eu-ai-act.fri=2026-08-02")
    result = runner.tracker("completeness")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: TRACKER_IN_FORCE_FROM names 'eu-ai-act.fri' (did you mean 'eu-ai-act.fria'?), "
        "which no installed plugin declares"
    ]


def test_plugins_list_and_check_still_show_the_plugins_and_report_the_setting(runner, monkeypatch):
    monkeypatch.setenv("TRACKER_JURISDICTIONS", "atlantis")
    listed = runner.tracker("plugins", "list")
    assert listed.exit_code == 1 and "eu-led (disabled): 0 requirements" in listed.output
    assert listed.output.count("TRACKER_JURISDICTIONS names 'atlantis'") == 1
    checked = runner.tracker("plugins", "check")
    assert checked.exit_code == 1
    assert "PROBLEM configuration: TRACKER_JURISDICTIONS names 'atlantis'" in checked.output
    assert "7 of 7 plugins loaded, 0 requirements enabled, 1 problems" in checked.output


def test_the_app_refuses_to_start_with_an_unknown_jurisdiction(settings, migrated):
    from tracker.app import create_app

    with pytest.raises(
        ConfigError, match=f"names 'atlantis', which no installed plugin provides; {KNOWN}"
    ):
        create_app(settings.with_overrides(jurisdictions=("toolkit", "atlantis")))


def test_serve_refuses_to_start_with_an_unknown_jurisdiction(settings, migrated):
    env = {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_JURISDICTIONS": "atlantis",
    }
    # Before the fix the server started (and this timed out): every system looked compliant.
    result = _tracker("serve", "--port", str(free_port()), env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: TRACKER_JURISDICTIONS names 'atlantis', which no installed plugin provides; {KNOWN}"
    ]


def test_the_worker_job_context_refuses_an_unknown_jurisdiction(monkeypatch, settings):
    monkeypatch.setattr(jobs, "_context", None)
    monkeypatch.setenv("TRACKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRACKER_JURISDICTIONS", "atlantis")
    with pytest.raises(ConfigError, match="'atlantis'"):
        jobs.context()
    assert jobs._context is None


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_systems_own_jurisdictions_are_checked_on_write(client, auth, method):
    from tests.factories import profile

    created = client.post("/api/systems", json=profile(), headers=auth("legal"))
    body = {"jurisdictions": ["toolkit", "atlantis"]}
    if method == "post":
        response = client.post("/api/systems", json=profile(**body), headers=auth("legal"))
    else:
        response = client.patch(
            f"/api/systems/{created.json['id']}", json=body, headers=auth("legal")
        )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    [error] = response.json["errors"]
    assert error["field"] == "jurisdictions"
    assert "atlantis" in error["detail"]
    assert "au-malabo, coe-cets225, eu-ai-act, eu-gdpr, eu-led, nis2, toolkit" in error["detail"]
