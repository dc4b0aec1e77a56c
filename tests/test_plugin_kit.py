"""The kit for plugin authors: the declared plugin API range, the skeleton (`tracker plugins
new`), the test helper (tracker.testing), `tracker plugins affected`, and `tracker plugins
accept` / `diff` between the catalogue in use and what is installed now."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import marshmallow
import pytest
from click.testing import CliRunner

from evidence import ContentStore
from tests import sample_files
from tests.conftest import install_package
from tests.factories import profile
from tracker import (
    accounts,
    audit,
    catalogue_record,
    evidence_items,
    plugin_api,
    register,
    testing,
)
from tracker.cli import main as tracker_cli
from tracker.errors import TrackerError, ValidationFailed
from tracker.models import AuditEvent, Evidence
from tracker.plugin_api import Citation, ProfileQuestion, Requirement
from tracker.plugin_host import load_catalogue
from tracker.profile import SystemProfileSchema


def _problems(catalogue, plugin: str) -> list[str]:
    return [p.problem for p in catalogue.problems if p.plugin == plugin]


# 3. The plugin API range


def test_the_host_declares_its_plugin_api_version():
    assert plugin_api.API_VERSION == "1.2"
    assert plugin_api.ASSUMED_RANGE == ">=1,<2"


def test_a_plugin_whose_range_excludes_the_host_is_refused_naming_both_versions(install_plugin):
    install_plugin("api_range_plugins")
    catalogue = load_catalogue()
    plugins = {p.name: p for p in catalogue.plugins}
    assert _problems(catalogue, "range-future") == [
        "refused: it is written for plugin API >=2,<3 (TRACKER_PLUGIN_API), and this tracker "
        "provides plugin API 1.2"
    ]
    assert not plugins["range-future"].loaded
    assert "range-future" not in catalogue.jurisdictions
    assert "range-future.register_entry" not in catalogue.requirements
    assert _problems(catalogue, "range-malformed") == [
        "refused: TRACKER_PLUGIN_API '1.0 or later' is not a version range (a PEP 440 specifier "
        "such as '>=1,<2')"
    ]
    assert not plugins["range-malformed"].loaded
    # A range that includes the host loads; so does a plugin that declares none (noted).
    assert plugins["range-fits"].loaded and plugins["range-fits"].api_range == ">=1,<2"
    assert "range-fits.register_entry" in catalogue.requirements
    assert _problems(catalogue, "range-fits") == []
    assert plugins["range-undeclared"].loaded and plugins["range-undeclared"].api_range == ""
    assert _problems(catalogue, "range-undeclared") == []


def test_under_a_new_major_api_version_undeclared_and_old_plugins_are_refused(
    install_plugin, monkeypatch
):
    install_plugin("api_range_plugins")
    monkeypatch.setattr(plugin_api, "API_VERSION", "2.1")
    catalogue = load_catalogue()
    loaded = {p.name for p in catalogue.plugins if p.loaded}
    assert "range-future" in loaded and "range-future.register_entry" in catalogue.requirements
    assert _problems(catalogue, "range-fits") == [
        "refused: it is written for plugin API >=1,<2 (TRACKER_PLUGIN_API), and this tracker "
        "provides plugin API 2.1"
    ]
    assert _problems(catalogue, "range-undeclared") == [
        "refused: it declares no TRACKER_PLUGIN_API, so it is taken to be written for plugin "
        "API >=1,<2, and this tracker provides plugin API 2.1"
    ]
    # The built-ins ship with the host: never checked, never refused.
    assert {"toolkit", "eu-led", "eu-ai-act"} <= loaded


def test_plugins_list_and_check_show_the_declared_ranges(install_plugin, runner):
    install_plugin("api_range_plugins")
    listed = runner.tracker("plugins", "list")
    lines = {line.split()[0]: line for line in listed.output.splitlines()}
    assert lines["range-fits"].endswith("(plugin API >=1,<2)")
    assert lines["range-undeclared"].endswith("(plugin API undeclared, taken as >=1,<2)")
    assert "NOT LOADED" in lines["range-future"] and "plugin API" not in lines["range-future"]
    assert "plugin API" not in lines["eu-led"]
    checked = runner.tracker("plugins", "check")
    assert checked.exit_code == 1
    assert (
        "PROBLEM plugin 'range-future': refused: it is written for plugin API >=2,<3"
        in checked.output
    )
    notes = [line for line in checked.output.splitlines() if line.startswith("NOTE")]
    assert notes == [
        "NOTE plugin 'range-undeclared' declares no TRACKER_PLUGIN_API; taken to be written for "
        "plugin API >=1,<2 (this tracker: 1.2)"
    ]


# 2. The test helper (tracker.testing) and `tracker plugins affected`


@pytest.fixture
def ruritania(install_plugin):
    install_plugin("example_jurisdiction")
    return importlib.import_module("tracker_example_jurisdiction")


def test_evaluate_judges_each_rule_on_a_partial_profile(ruritania):
    assert testing.evaluate(
        ruritania, {"purpose_type": "law_enforcement", "risk_level": "low"}
    ) == {
        "ruritania.register_entry": True,
        "ruritania.ethics_review": False,
    }
    # The question's default (False) holds until it is answered: at the top level, as rules
    # name it, or under "answers", as the API stores it.
    for answered in (
        {"ruritania_national_database": True},
        {"answers": {"ruritania_national_database": True}},
    ):
        profile = {"purpose_type": "administrative", "risk_level": "low", **answered}
        assert testing.evaluate(ruritania, profile) == {
            "ruritania.register_entry": False,
            "ruritania.ethics_review": True,
        }
    # The installed entry point's name, or the module's, finds the same plugin.
    high = {"purpose_type": "administrative", "risk_level": "high"}
    assert testing.evaluate("ruritania", high) == testing.evaluate(
        "tracker_example_jurisdiction", high
    )
    assert testing.evaluate("ruritania", high)["ruritania.ethics_review"] is True


def test_a_fact_a_rule_needs_without_a_default_is_named_not_guessed(ruritania):
    with pytest.raises(ValidationFailed) as raised:
        testing.evaluate(ruritania, {"purpose_type": "law_enforcement"})
    assert raised.value.errors == {
        "risk_level": [
            "The rule of 'ruritania.ethics_review' reads it and it has no default: give one of "
            "low, medium, high."
        ]
    }


def test_bad_profile_values_are_refused_by_the_profile_rules(ruritania):
    with pytest.raises(ValidationFailed) as raised:
        testing.evaluate(ruritania, {"purpose_type": "policing", "risk_levle": "high"})
    assert raised.value.errors == {
        "risk_levle": ["Not a profile fact or plugin question; did you mean 'risk_level'?"]
    }
    with pytest.raises(ValidationFailed) as raised:
        testing.evaluate(
            ruritania,
            {"purpose_type": "policing", "risk_level": "high", "ruritania_national_database": "y"},
        )
    assert raised.value.errors == {
        "purpose_type": ["Must be one of: law_enforcement, administrative."],
        "answers": {"ruritania_national_database": ["Must be true or false."]},
    }


def test_rule_profile_fills_the_schemas_defaults_and_the_question_defaults():
    question = ProfileQuestion("kit_flag", "A flag?", "boolean", default=False)
    completed = testing.rule_profile({"risk_level": "high"}, [question])
    schema = SystemProfileSchema()
    for name, field in schema.fields.items():
        if field.load_default is not marshmallow.missing:
            assert name in completed, name
    assert completed["risk_level"] == "high" and completed["kit_flag"] is False
    assert completed["public_facing"] is False and completed["units_with_access"] == []
    # A required fact without a default is left out, never invented.
    assert "purpose_type" not in completed


def test_a_broken_plugin_is_reported_exactly_as_the_host_reports_it(install_plugin):
    install_plugin("broken_plugins")
    host = [p.problem for p in load_catalogue().problems if p.plugin == "broken-definitions"]
    assert len(host) >= 5
    assert testing.problems("broken-definitions") == host
    with pytest.raises(testing.PluginDefinitionError) as raised:
        testing.evaluate("broken-definitions", {"risk_level": "high"})
    assert raised.value.problems == host
    assert str(raised.value).startswith(f"plugin 'broken-definitions' has {len(host)} problem(s): ")
    # A jurisdiction another plugin owns is found too: the built-ins are loaded beside it.
    install_plugin("takeover_plugin")
    assert testing.problems("a-led") == [
        "refused: it declares jurisdiction 'eu-led', which built-in plugin 'eu-led' already "
        "provides; a plugin cannot replace another plugin's jurisdiction"
    ]


def test_an_unknown_plugin_is_named_with_the_closest_installed_one(install_plugin):
    install_plugin("example_jurisdiction")
    with pytest.raises(
        TrackerError,
        match="no installed plugin or importable module is named "
        "'ruritanai' \\(did you mean 'ruritania'\\?\\)",
    ):
        testing.problems("ruritanai")


def test_evaluate_takes_a_plain_list_of_requirements():
    citation = Citation("Test Act", "s. 2", "https://laws.example/test", "U")
    sound = Requirement(
        id="kit.sound",
        title="Sound",
        citation=citation,
        evidence_kinds=("record",),
        applies_when='risk_level == "high" and kit_flag',
    )
    question = ProfileQuestion("kit_flag", "A flag?", "boolean", default=True)
    assert testing.evaluate([sound], {"risk_level": "high"}, questions=[question]) == {
        "kit.sound": True
    }
    broken = Requirement(
        id="kit.broken",
        title="Broken",
        citation=citation,
        evidence_kinds=("record",),
        applies_when='risk_levle == "high"',
    )
    with pytest.raises(testing.PluginDefinitionError) as raised:
        testing.evaluate([sound, broken, sound], {"risk_level": "high"}, questions=[question])
    assert raised.value.problems == [
        "requirement 'kit.broken': applicability rule 'risk_levle == \"high\"' is invalid: "
        "unknown fact 'risk_levle'; did you mean 'risk_level'?",
        "requirement 'kit.sound': duplicate requirement id",
    ]


@pytest.fixture
def registered(migrated):
    """Systems registered before the Ruritanian plugin is installed: {name: id}."""
    catalogue = load_catalogue()
    administrative = {
        "purpose_type": "administrative",
        "biometric_identification": "none",
        "annex_iii_areas": [],
    }
    bodies = {
        "Hotspot forecasting": profile(name="Hotspot forecasting"),
        "Interview transcription": profile(
            name="Interview transcription", risk_level="low", **administrative
        ),
        "HR screening": profile(name="HR screening", risk_level="high", **administrative),
        "Toolkit only": profile(name="Toolkit only", jurisdictions=["toolkit"]),
        "Retired search": profile(name="Retired search"),
    }
    ids = {
        name: register.create_system(body, "test", catalogue).id for name, body in bodies.items()
    }
    register.retire_system(register.get_system(ids["Retired search"]), "replaced", "test")
    return ids


def test_affected_systems_lists_whom_each_requirement_would_reach_before_enabling(
    install_plugin, registered, settings
):
    install_plugin("example_jurisdiction")
    hotspot, hr = registered["Hotspot forecasting"], registered["HR screening"]
    expected = {
        # Law enforcement only; the system with its own jurisdictions list and the retired one
        # are not reached.
        "ruritania.register_entry": [testing.AffectedSystem(hotspot, "Hotspot forecasting")],
        "ruritania.ethics_review": [
            testing.AffectedSystem(hotspot, "Hotspot forecasting"),
            testing.AffectedSystem(hr, "HR screening"),
        ],
    }
    assert testing.affected_systems("ruritania", settings) == expected
    assert testing.affected_systems("ruritania", settings.database_url) == expected
    # A deployment that enables other jurisdictions only still sees what enabling it would do.
    narrow = settings.with_overrides(jurisdictions=("toolkit", "eu-led"))
    assert testing.affected_systems("tracker_example_jurisdiction", narrow) == expected


def test_plugins_affected_on_the_command_line(install_plugin, registered, runner):
    install_plugin("example_jurisdiction")
    hotspot, hr = registered["Hotspot forecasting"], registered["HR screening"]
    result = runner.tracker("plugins", "affected", "ruritania")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "plugin 'ruritania' (tracker-example-jurisdiction 1.0.0): ruritania; the registered "
        f"systems its requirements would apply to on {date.today().isoformat()}:",
        "ruritania.register_entry: 1 system",
        f"  #{hotspot} Hotspot forecasting",
        "ruritania.ethics_review: 2 systems",
        f"  #{hotspot} Hotspot forecasting",
        f"  #{hr} HR screening",
    ]
    unknown = runner.tracker("plugins", "affected", "ruritanai")
    assert unknown.exit_code == 1
    assert unknown.output.splitlines() == [
        "Error: no installed plugin or importable module is named 'ruritanai' (did you mean "
        "'ruritania'?); give an entry point name from `tracker plugins list` or a module name"
    ]


def test_plugins_affected_lists_a_broken_plugins_problems_and_exits_1(
    install_plugin, registered, runner
):
    install_plugin("broken_plugins")
    result = runner.tracker("plugins", "affected", "broken-definitions")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    # Its sound requirement (which always applies) still counts, as the host would load it.
    assert lines[1:5] == [
        "broken.fine: 3 systems",
        f"  #{registered['Hotspot forecasting']} Hotspot forecasting",
        f"  #{registered['Interview transcription']} Interview transcription",
        f"  #{registered['HR screening']} HR screening",
    ]
    problems = [line for line in lines if line.startswith("PROBLEM ")]
    assert problems and "PROBLEM requirement 'broken.kind': evidence kinds ['horoscope']" in (
        "\n".join(problems)
    )


# 1. The skeleton: `tracker plugins new NAME`


def _tracker_here(*args: str, data_dir: Path):
    """`tracker ...` in-process, for commands that need no database."""
    env = {"TRACKER_ENV": "testing", "TRACKER_DATA_DIR": str(data_dir)}
    return CliRunner().invoke(tracker_cli, list(args), env=env, catch_exceptions=False)


def _pip_install(package: Path, target: Path) -> None:
    """As the plugin_packages fixture installs the test plugins: offline, into a folder."""
    install_package(package, target)


def test_a_new_plugin_installs_loads_and_passes_its_own_test(tmp_path, monkeypatch):
    package = tmp_path / "tracker-kit-example"
    made = _tracker_here("plugins", "new", "kit-example", "--dir", str(package), data_dir=tmp_path)
    assert made.exit_code == 0, made.output
    written = {
        "pyproject.toml",
        "README.md",
        "tracker_kit_example/__init__.py",
        "tests/test_tracker_kit_example.py",
    }
    assert {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()} == written
    assert made.output.splitlines()[0] == f"wrote plugin 'kit-example' in {package}:"
    readme = (package / "README.md").read_text()
    for command in ("pip install -e .", "tracker plugins check", "pytest"):
        assert command in readme

    site = tmp_path / "site"
    _pip_install(package, site)
    monkeypatch.syspath_prepend(str(site))
    catalogue = load_catalogue()
    assert catalogue.problems == []
    assert "kit-example" in catalogue.jurisdictions
    requirement = catalogue.requirements["kit-example.register_entry"]
    assert requirement.citation.verification == "U" and requirement.citation.url.startswith("https")
    question = next(q for q in catalogue.questions if q.id == "kit_example_national_database")
    assert question.help and question.default is False
    plugin = next(p for p in catalogue.plugins if p.name == "kit-example")
    assert (plugin.distribution, plugin.version, plugin.api_range) == (
        "tracker-kit-example",
        "0.1.0",
        ">=1,<2",
    )

    # Its own test, run as its author runs it: pytest in the package, the plugin installed.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Ruritania",
        "ruri_tania",
        "-ruritania",
        "ruritania-",
        "ruri--tania",
        "1ruritania",
        "ruri tania",
        "ruri/../tania",
        "r" * 41,
        "ruri\x1b[2Jtania",
    ],
)
def test_a_bad_name_is_refused_with_one_line_and_nothing_is_written(name, tmp_path):
    # After "--", so that click reads "-ruritania" as the name, not as an option.
    result = _tracker_here(
        "plugins", "new", "--dir", str(tmp_path / "out"), "--", name, data_dir=tmp_path
    )
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith("Error: name: ")
    assert "cannot name a plugin: use lower-case letters and digits" in result.output
    assert "\x1b" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["eu-led", "toolkit"])
def test_the_name_of_an_installed_plugin_or_jurisdiction_is_refused(name, tmp_path):
    result = _tracker_here(
        "plugins", "new", name, "--dir", str(tmp_path / "out"), data_dir=tmp_path
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: name: '{name}' is already the name of an installed plugin or jurisdiction; "
        "a jurisdiction belongs to one plugin, so choose another name\n"
    )
    assert not (tmp_path / "out").exists()


def test_existing_files_are_never_overwritten(tmp_path):
    package = tmp_path / "mine"
    package.mkdir()
    (package / "README.md").write_text("my own notes\n")
    refused = _tracker_here(
        "plugins", "new", "kit-example", "--dir", str(package), data_dir=tmp_path
    )
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: not writing the plugin skeleton: {package / 'README.md'} already exists; "
        "choose another --dir, or move them away\n"
    )
    # Nothing else was written either.
    assert [p.name for p in package.iterdir()] == ["README.md"]
    assert (package / "README.md").read_text() == "my own notes\n"
    # Into a folder of other files, it writes its own beside them; a second time, never.
    (package / "README.md").unlink()
    (package / "notes.txt").write_text("keep\n")
    assert (
        _tracker_here(
            "plugins", "new", "kit-example", "--dir", str(package), data_dir=tmp_path
        ).exit_code
        == 0
    )
    before = {p: p.read_bytes() for p in package.rglob("*") if p.is_file()}
    again = _tracker_here("plugins", "new", "kit-example", "--dir", str(package), data_dir=tmp_path)
    assert again.exit_code == 1 and "already exist;" in again.output
    assert {p: p.read_bytes() for p in package.rglob("*") if p.is_file()} == before


# 4. `tracker plugins accept` and `tracker plugins diff`


def test_diff_says_when_nothing_was_accepted_yet(runner):
    result = runner.tracker("plugins", "diff")
    assert result.exit_code == 2
    assert result.output == (
        "Error: no catalogue has been accepted yet, so there is nothing to compare with: "
        "`tracker plugins accept --as USER` records the one installed now as the one in use\n"
    )


def test_accept_records_the_full_catalogue_as_an_audit_event(runner, tokens):
    refused = runner.tracker("plugins", "accept", "--as", "viewer-user")
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: accepted_by: Only an active administrator, legal or data protection user "
        "accepts the catalogue; viewer-user is viewer.\n"
    )
    accepted = runner.tracker("plugins", "accept", "--as", "legal-user")
    assert accepted.exit_code == 0, accepted.output
    catalogue = load_catalogue()
    event = AuditEvent.get(AuditEvent.action == "catalogue.accepted")
    assert accepted.output == (
        f"accepted the catalogue in use: {len(catalogue.requirements)} requirements of "
        f"{len(catalogue.jurisdictions)} jurisdictions from {len(catalogue.plugins)} plugins "
        f"(audit event {event.id}, digest {event.entity_id[:12]})\n"
    )
    assert (event.entity_type, event.actor.split(" ")[0]) == ("catalogue", "legal-user")
    after = event.after
    assert after == catalogue_record.serialise(catalogue)
    assert event.entity_id == after["digest"] == catalogue_record.digest(after)
    dpia = after["requirements"]["eu-led.dpia"]
    assert dpia["title"] == catalogue.requirements["eu-led.dpia"].title
    assert (
        dpia["citation"]["verification"]
        == catalogue.requirements["eu-led.dpia"].citation.verification
    )
    assert {p["name"]: p["distribution"] for p in after["plugins"]}[
        "eu-led"
    ] == "ai-evidence-tracker"
    assert after["event_kinds"]["personal_data_breach"]["id"] == "personal_data_breach"
    assert audit.verify().ok
    # The same catalogue again: nothing new to record.
    again = runner.tracker("plugins", "accept", "--as", "dpo-user")
    assert again.exit_code == 0
    assert again.output.endswith(f"(audit event {event.id}); nothing recorded\n")
    assert AuditEvent.select().where(AuditEvent.action == "catalogue.accepted").count() == 1
    assert runner.tracker("plugins", "diff").output.splitlines()[-1] == "no differences"
    assert runner.tracker("plugins", "diff").exit_code == 0


def test_diff_shows_an_installed_plugin_as_added(runner, tokens, install_plugin):
    assert runner.tracker("plugins", "accept", "--as", "legal-user").exit_code == 0
    install_plugin("example_jurisdiction")
    result = runner.tracker("plugins", "diff")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("the installed catalogue against the one accepted on ")
    assert lines[1:] == [
        "plugin ruritania: (absent) -> 1.0.0",
        "jurisdictions added (1):",
        "  + ruritania",
        "questions added (1):",
        "  + ruritania_national_database",
        "requirements added (2):",
        "  + ruritania.register_entry: Entry in the national algorithm register",
        "  + ruritania.ethics_review: Annual review by the Algorithms Ethics Board",
        "4 differences (4 added, 0 removed, 0 changed); `tracker plugins accept --as USER` "
        "makes the installed one the catalogue in use",
    ]


def test_diff_shows_changes_field_by_field_and_the_evidence_a_removal_orphans(
    runner, tokens, install_plugin, plugin_packages, monkeypatch, settings, tmp_path
):
    install_plugin("example_jurisdiction")
    catalogue = load_catalogue()
    system = register.create_system(
        profile(answers={"ruritania_national_database": True}), "test", catalogue
    ).id
    document = tmp_path / "review.pdf"
    document.write_bytes(sample_files.pdf("Ethics review"))

    def add(title: str, *requirements: str) -> int:
        args = ["--requirement=" + r for r in requirements]
        added = runner.tracker(
            "evidence", "add", str(document), "--kind", "audit", "--title", title,
            "--system", str(system), *args, "--as", "legal-user",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        return int(added.output.split()[2])

    review = add("Ethics board review 2026", "ruritania.ethics_review")
    shared = add("Register entry and review", "ruritania.register_entry", "ruritania.ethics_review")
    add("Register entry", "ruritania.register_entry")
    # Only the newest version of an item counts: the first one's second version stands for it.
    newer = evidence_items.add_evidence(
        ContentStore(settings.evidence_dir),
        {"title": "Ethics board review 2026 (signed)"},
        [],
        accounts.get_user("legal-user"),
        "test",
        previous=Evidence.get_by_id(review),
        known_requirements=catalogue.requirements,
    ).id
    assert runner.tracker("plugins", "accept", "--as", "dpo-user").exit_code == 0

    # Version 2 of the plugin replaces version 1.
    gone = str(plugin_packages["example_jurisdiction"])
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != gone])
    install_plugin("example_jurisdiction_v2")
    result = runner.tracker("plugins", "diff")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "plugin ruritania: 1.0.0 -> 2.0.0",
        "requirements added (1):",
        "  + ruritania.bias_audit: Bias audit before deployment",
        "requirements removed (1):",
        "  - ruritania.ethics_review: Annual review by the Algorithms Ethics Board",
        "      evidence that would be orphaned (2):",
        f"      #{shared} Register entry and review (still serves ruritania.register_entry)",
        f"      #{newer} Ethics board review 2026 (signed) (serves nothing else)",
        "requirements changed (1):",
        "  ~ ruritania.register_entry: Entry in the national algorithm register",
        "      citation.article: 's. 4(1)' -> 's. 4(1)-(2)'",
        "      due_before: 'deployment' -> 'testing'",
        "3 differences (1 added, 1 removed, 1 changed); `tracker plugins accept --as USER` "
        "makes the installed one the catalogue in use",
    ]
    # Accepting version 2 makes it the catalogue in use.
    assert runner.tracker("plugins", "accept", "--as", "dpo-user").exit_code == 0
    assert runner.tracker("plugins", "diff").exit_code == 0


def test_compare_reports_nested_fields_and_every_kind_of_definition():
    old = {
        "requirements": {
            "x.a": {
                "title": "A",
                "citation": {"verification": "V", "article": "1"},
                "lead_days": [30],
            },
            "x.b": {"title": "B"},
        },
        "questions": {"q": {"id": "q", "default": False}},
        "plugins": [{"name": "x", "version": "1"}],
    }
    new = {
        "requirements": {
            "x.a": {
                "title": "A",
                "citation": {"verification": "P", "article": "1"},
                "lead_days": [30, 7],
            },
            "x.c": {"title": "C"},
        },
        "questions": {"q": {"id": "q", "default": True}},
        "plugins": [{"name": "x", "version": "2"}],
    }
    found = catalogue_record.compare(old, new)
    assert found.requirements.added == ["x.c"] and found.requirements.removed == ["x.b"]
    assert found.requirements.changed == {
        "x.a": [
            catalogue_record.FieldChange("citation.verification", "V", "P"),
            catalogue_record.FieldChange("lead_days", [30], [30, 7]),
        ]
    }
    assert found.sections["questions"].changed == {
        "q": [catalogue_record.FieldChange("default", False, True)]
    }
    assert found.plugin_versions == {"x": ("1", "2")}
    assert not catalogue_record.compare(new, new)


def test_a_module_that_is_not_installed_can_be_tried_as_it_is(tmp_path, monkeypatch):
    (tmp_path / "kit_loose_plugin.py").write_text(
        "from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl\n"
        "TRACKER_PLUGIN_API = '>=1,<2'\n"
        "@hookimpl\n"
        "def tracker_jurisdictions():\n"
        "    return [Jurisdiction('kit-loose', 'Loose Act', '', 'https://laws.example/loose')]\n"
        "@hookimpl\n"
        "def tracker_requirements():\n"
        "    return [Requirement('kit-loose.record', 'A record',\n"
        "        Citation('Loose Act', 's. 1', 'https://laws.example/loose', 'U'), ('record',),\n"
        "        applies_when='public_facing')]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert testing.problems("kit_loose_plugin") == []
    assert testing.evaluate("kit_loose_plugin", {"public_facing": True}) == {
        "kit-loose.record": True
    }
    assert testing.evaluate("kit_loose_plugin", {}) == {"kit-loose.record": False}
    # Not installed, so the tracker itself does not see it.
    assert "kit-loose" not in load_catalogue().jurisdictions
    # A module that is there but cannot be imported is the host's to report, as at start-up.
    (tmp_path / "kit_broken_syntax.py").write_text("def tracker_requirements(:\n")
    [problem] = testing.problems("kit_broken_syntax")
    assert problem.startswith("cannot be imported (kit_broken_syntax): SyntaxError")
    with pytest.raises(TrackerError, match="give the plugin's entry point name or module name"):
        testing.problems(" ")
