"""The kit for plugin authors: the declared plugin API range, the skeleton (`tracker plugins
new`), the test helper (tracker.testing), `tracker plugins affected`, and `tracker plugins
accept` / `diff` between the catalogue in use and what is installed now."""

from __future__ import annotations

from tracker import plugin_api
from tracker.plugin_host import load_catalogue


def _problems(catalogue, plugin: str) -> list[str]:
    return [p.problem for p in catalogue.problems if p.plugin == plugin]


# 3. The plugin API range


def test_the_host_declares_its_plugin_api_version():
    assert plugin_api.API_VERSION == "1.0"
    assert plugin_api.ASSUMED_RANGE == ">=1,<2"


def test_a_plugin_whose_range_excludes_the_host_is_refused_naming_both_versions(install_plugin):
    install_plugin("api_range_plugins")
    catalogue = load_catalogue()
    plugins = {p.name: p for p in catalogue.plugins}
    assert _problems(catalogue, "range-future") == [
        "refused: it is written for plugin API >=2,<3 (TRACKER_PLUGIN_API), and this tracker "
        "provides plugin API 1.0"
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
        "plugin API >=1,<2 (this tracker: 1.0)"
    ]
