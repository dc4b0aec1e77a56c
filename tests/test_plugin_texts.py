"""Plugins in the reader's language: each built-in plugin's catalogue complete, a third-party
plugin's catalogue used, and the engine's sentences in the language of whoever reads them, from
results cached once for every reader.

When ``test_every_text_of_each_built_in_plugin_is_translated`` fails, run ``make translations``
and translate what it lists in plugins/translations/<language>/LC_MESSAGES/<plugin>.po.
"""

from __future__ import annotations

import json
import pickle
import sys
import textwrap
from datetime import date
from importlib.metadata import EntryPoint

import pytest
from babel.messages import mofile
from babel.messages.catalog import Catalog

from tests.factories import profile
from tracker import completeness, i18n, register
from tracker.i18n import catalogues
from tracker.i18n.text import Phrase, joined, listing
from tracker.plugin_host import ENTRY_POINT_GROUP, deployment_of, load_catalogue

# --- Phrase -------------------------------------------------------------------------------------


def test_a_phrase_is_english_as_data_and_the_readers_language_when_shown():
    phrase = Phrase(
        "%(jurisdiction)s: %(reason)s",
        jurisdiction="eu-led",
        reason=Phrase(
            "binds the agency since %(day)s (%(setting)s)", day=date(2026, 5, 15), setting="X"
        ),
    )
    english = "eu-led: binds the agency since 2026-05-15 (X)"
    assert phrase == english and json.dumps(phrase) == json.dumps(english)
    assert str(phrase) == english and f"{phrase}" == english
    with i18n.using("fr"):
        assert str(phrase) == "eu-led : lie l'organisme depuis le 15 mai 2026 (X)"
        assert f"{phrase}" == str(phrase) == " ".join([str(phrase)])
        assert json.dumps(phrase) == json.dumps(english)  # data stays English
        assert phrase == english
        copy = pickle.loads(pickle.dumps(phrase))
        assert isinstance(copy, Phrase) and str(copy) == str(phrase)


def test_lists_and_joined_parts_follow_the_language():
    items = listing(["provider", "deployer", "importer"])
    alternatives = listing(["low", "high"], "or")
    parts = joined([Phrase("true"), Phrase("false")])
    assert (items, alternatives, parts) == (
        "provider, deployer and importer",
        "low or high",
        "true; false",
    )
    with i18n.using("fr"):
        assert str(items) == "provider, deployer et importer"
        assert str(alternatives) == "low ou high"
        assert str(parts) == "vrai ; faux"
    assert listing([]) == "" and listing(["one"]) == "one"


# --- the built-in plugins' catalogues -----------------------------------------------------------


@pytest.fixture(scope="module")
def built_in() -> dict:
    found = catalogues.built_in_plugins()
    assert len(found) == 7  # every built-in plugin ships a catalogue
    return found


def test_every_text_of_each_built_in_plugin_is_translated(built_in):
    left = {}
    for where, module in built_in.items():
        template = catalogues.plugin_template(module, where.domain)
        assert len(template) > 5, where.domain  # the texts were found
        for language in catalogues.translated_languages():
            found = catalogues.problems(language, template, where)
            if any(found.values()):
                left[f"{language} {where.domain}"] = catalogues.report(found)
    assert not left, "run `make translations`, then translate:\n" + "\n".join(
        f"{name}:\n{report}" for name, report in left.items()
    )


def test_the_loaded_catalogue_reads_in_french_and_stays_english_as_data():
    catalogue = load_catalogue()
    dpia = catalogue.requirements["eu-led.dpia"]
    english = dpia.title
    with i18n.using("fr"):
        shown = str(dpia.title)
        instrument = str(dpia.citation.instrument)
        jurisdiction = str(catalogue.jurisdictions["nis2"].title)
        question = next(q for q in catalogue.questions if q.id == "nis2_in_scope")
        label = str(question.label)
    assert shown != english and "analyse d'impact" in shown.lower()
    assert "2016/680" in instrument and instrument != dpia.citation.instrument
    assert jurisdiction != catalogue.jurisdictions["nis2"].title
    assert label.startswith("Ce système") or label != question.label
    assert json.loads(json.dumps({"title": dpia.title}))["title"] == english


# --- a third-party plugin's catalogue -----------------------------------------------------------

PLUGIN = """
from pathlib import Path

from tracker.plugin_api import Citation, Jurisdiction, MessageCatalogue, Requirement, hookimpl


@hookimpl
def tracker_jurisdictions():
    return [Jurisdiction("ruritania", "Ruritanian Police Act", "Police data in Ruritania.")]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            "ruritania.log",
            "Each query entered in the national query log",
            Citation("Police Act 2025", "s. 12", "https://example.org/act", "P"),
            ("record",),
        )
    ]


@hookimpl
def tracker_translations():
    return [MessageCatalogue(Path(__file__).parent / "translations", "ruritania")]
"""


def _plugin(tmp_path, monkeypatch, name: str, translated: dict[str, str]) -> EntryPoint:
    package = tmp_path / name
    (package / "translations" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    catalogue = Catalog(locale="fr", domain="ruritania")
    for english, french in translated.items():
        catalogue.add(english, french)
    with open(package / "translations" / "fr" / "LC_MESSAGES" / "ruritania.mo", "wb") as handle:
        mofile.write_mo(handle, catalogue)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return EntryPoint("ruritania", name, ENTRY_POINT_GROUP)


def test_a_third_party_plugin_ships_its_own_catalogue(tmp_path, monkeypatch):
    point = _plugin(
        tmp_path,
        monkeypatch,
        "ruritania_plugin",
        {
            "Ruritanian Police Act": "Loi ruritanienne sur la police",
            "Each query entered in the national query log": "Chaque requête inscrite au journal national",
        },
    )
    catalogue = load_catalogue(points=[point])
    assert not catalogue.problems
    requirement = catalogue.requirements["ruritania.log"]
    with i18n.using("fr"):
        assert str(requirement.title) == "Chaque requête inscrite au journal national"
        assert str(catalogue.jurisdictions["ruritania"].title) == "Loi ruritanienne sur la police"
        # not translated by the plugin: English, never an error
        assert str(requirement.citation.instrument) == "Police Act 2025"
        # the tracker's own words still come from the tracker's catalogue
        assert i18n.gettext("missing") == "manquante"
    assert requirement.title == "Each query entered in the national query log"


def test_texts_writes_a_plugins_translation_template(runner):
    result = runner.tracker("plugins", "texts", "nis2")
    assert result.exit_code == 0, result.output
    assert 'msgid "EU NIS2 Directive 2022/2555"' in result.output
    assert "#. Requirement nis2.governance_approval" in result.output
    unknown = runner.tracker("plugins", "texts", "nis3")
    assert unknown.exit_code != 0 and "no installed plugin or importable module" in unknown.output


# --- the engine's sentences ---------------------------------------------------------------------


def test_completeness_cached_in_one_language_reads_in_each(migrated, settings):
    """The evaluator keeps its per-date results for every reader: made once, under English, the
    same objects read in French for a French reader, and in English again afterwards."""
    catalogue = load_catalogue(deployment=deployment_of(settings))
    system = register.create_system(profile(lifecycle_stage="testing"), "test", catalogue)
    result = completeness.for_system(system.id, date.today(), catalogue)
    item = next(i for i in result.items if i.requirement_id == "eu-led.dpia")
    english_why, english_reasons = item.why, list(result.reasons)
    assert "is among EU member states" in english_why and "purpose_type is" in english_why
    assert any("due before" in reason for reason in english_reasons)
    with i18n.using("fr"):
        french_why = str(item.why)
        french_reasons = [str(reason) for reason in result.reasons]
        again = completeness.for_system(system.id, date.today(), catalogue)  # from the caches
        assert str(next(i for i in again.items if i.requirement_id == "eu-led.dpia").why) == (
            french_why
        )
    assert "fait partie des États membres de l'UE" in french_why and "vaut" in french_why
    assert all("due before" not in reason and "avant" in reason for reason in french_reasons)
    assert str(item.why) == english_why  # English again, from the same cached object


def test_a_reminder_stored_in_english_reads_in_french_in_a_french_e_mail():
    """The sweep stores each item's English (its payload is data); a French recipient's e-mail
    says the requirement's title and citation from the plugins' catalogues."""
    from tracker.reminders.kinds import ReminderItem
    from tracker.reminders.mail import localised

    catalogue = load_catalogue()
    requirement = catalogue.requirements["eu-led.dpia"]
    item = ReminderItem(
        "missing",
        "1:eu-led.dpia",
        [],
        title=requirement.title,
        status="missing",
        citation=Phrase(
            "%(instrument)s, %(article)s",
            instrument=requirement.citation.instrument,
            article=requirement.citation.article,
        ),
    )
    payload = json.loads(json.dumps(item.payload()))  # as the ledger keeps it
    assert payload["title"] == requirement.title  # English
    english = localised(payload, "UTC")
    assert english["title"] == requirement.title and english["citation"] == payload["citation"]
    with i18n.using("fr"):
        french = localised(payload, "UTC")
    assert french["title"] == str_in("fr", requirement.title) != requirement.title
    assert french["citation"].startswith(str_in("fr", requirement.citation.instrument))
    assert "art. 27" in french["citation"]


def str_in(language: str, text: str) -> str:
    with i18n.using(language):
        return str(text)
