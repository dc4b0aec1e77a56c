"""Languages: every marked string translated, the compiled catalogue current, and pages, e-mails
and CLI messages in each reader's language with their dates and numbers.

When ``test_every_string_of_the_source_is_translated`` fails, run ``make translations`` and
translate the strings it lists in tracker/translations/<language>/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime

import pytest
from click.testing import CliRunner
from markupsafe import escape

from tests.conftest import DEPLOYMENT
from tests.reminders.conftest import SmtpServer
from tests.reminders.test_digest_layout import BASE, ROWS, SWEEP
from tracker import accounts, agency, i18n, sign_in
from tracker.cli import main as tracker_cli
from tracker.config import Settings
from tracker.i18n import catalogues as i18n_catalogues
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger
from tracker.reminders.claiming import Claimed
from tracker.reminders.delivery import chosen_languages, deliver, sweep
from tracker.reminders.mail import compose, environment
from tracker.reminders.planning import load_preferences

PASSWORD = "correct horse battery staple"


# --- the catalogues ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def found() -> dict[str, dict[str, list[str]]]:
    """What each translated language still lacks, against a fresh extraction of the source."""
    template = i18n_catalogues.extract()
    assert len(template) > 500  # the extraction found the source's strings
    return {
        language: i18n_catalogues.problems(language, template)
        for language in i18n_catalogues.translated_languages()
    }


def _listed(found, kind: str) -> str:
    return "\n".join(
        f"{language}: {item}" for language, problems in found.items() for item in problems[kind]
    )


def test_french_is_a_translated_language():
    assert "fr" in i18n_catalogues.translated_languages()
    assert i18n_catalogues.po_path("fr").exists() and i18n_catalogues.mo_path("fr").exists()


@pytest.mark.parametrize("kind", ["untranslated", "fuzzy"])
def test_every_string_of_the_source_is_translated(found, kind):
    listed = _listed(found, kind)
    assert not listed, (
        f"strings {kind} (run `make translations`, then translate them in "
        f"tracker/translations/<language>/LC_MESSAGES/messages.po):\n{listed}"
    )


def test_every_translation_keeps_the_placeholders_of_its_english(found):
    listed = _listed(found, "placeholders")
    assert not listed, listed


def test_the_compiled_catalogues_are_those_of_the_po_files(found):
    listed = _listed(found, "stale .mo")
    assert not listed, f"messages.mo differs from messages.po (run `make translations`):\n{listed}"


def test_the_checks_catch_what_they_are_for(tmp_path, monkeypatch):
    """The checks above are not vacuous: a missing, a fuzzy and a wrong translation are found,
    and a .mo compiled before a translation changed is stale."""
    monkeypatch.setattr(i18n, "CATALOGUES", tmp_path)
    template = i18n_catalogues.Catalog()
    for message in ("Hello %(name)s", "Missing", "Fuzzy", "Stale"):
        template.add(message)
    i18n_catalogues.update("fr", template)
    catalogue = i18n_catalogues.read("fr")
    catalogue["Hello %(name)s"].string = "Bonjour %(nom)s"
    catalogue["Fuzzy"].string = "Flou"
    catalogue["Fuzzy"].flags.add("fuzzy")
    catalogue["Stale"].string = "Avant"
    _write(catalogue)
    i18n_catalogues.compile_catalogue("fr")
    catalogue["Stale"].string = "Après"
    _write(catalogue)

    problems = i18n_catalogues.problems("fr", template)
    assert problems["untranslated"] == ["Missing"]
    assert problems["fuzzy"] == ["Fuzzy"]
    assert len(problems["placeholders"]) == 1 and "Bonjour %(nom)s" in problems["placeholders"][0]
    assert problems["stale .mo"] == ["Stale"]


def _write(catalogue) -> None:
    with open(i18n_catalogues.po_path("fr"), "wb") as handle:
        i18n_catalogues.pofile.write_po(handle, catalogue)


def test_the_cli_help_texts_are_extracted():
    """Click reads help from docstrings and help=; the extraction finds both, cleaned as click
    cleans them, so the CLI can look them up."""
    template = i18n_catalogues.extract()
    ids = {message.id for message in template}
    assert "Database schema version and upgrades." in ids  # a group's docstring
    assert "Gunicorn worker processes." in ids  # an option's help=
    assert "The user requesting it." in ids  # acting_user("...")
    assert "Approve a waiver, as a data protection officer." in ids
    assert ("{value!r} is not {choice}.", "{value!r} is not one of {choices}.") in ids  # click's


# --- formats ------------------------------------------------------------------------------------


def test_dates_sizes_numbers_and_percentages_follow_the_language():
    day, moment = date(2026, 11, 27), datetime(2026, 11, 27, 9, 30)
    with i18n.using("en"):
        assert i18n.format_day(day) == "27 Nov 2026"
        assert i18n.format_moment(moment, "Europe/Brussels") == "27 Nov 2026, 10:30:00 CET"
        assert i18n.format_number(1234567.5) == "1,234,567.5"
        assert i18n.format_size(1) == "1 byte" and i18n.format_size(2048) == "2 KB"
        assert i18n.format_percent(87.5) == "87.5%"
        assert i18n.format_percent(None) == "n/a"
    with i18n.using("fr"):
        assert i18n.format_day(day) == "27 nov. 2026"
        assert i18n.format_moment(moment, "Europe/Brussels").startswith("27 nov. 2026")
        assert i18n.format_moment(moment, "Europe/Brussels").endswith("10:30:00 CET")
        assert i18n.format_number(1234567.5) == "1\u202f234\u202f567,5"
        assert i18n.format_size(1) == "1 octet" and i18n.format_size(1536) == "1,5 Ko"
        assert i18n.format_size(3 * 1024 * 1024) == "3 Mo"
        assert i18n.format_percent(87.5).startswith("87,5")
        assert i18n.format_percent(None) == "s.o."
    assert i18n.current_language() == "en"  # using() puts the language back


def test_the_language_comes_from_the_setting_else_the_locale():
    assert i18n.environment_language({"TRACKER_LANGUAGE": "fr", "LANG": "en_GB.UTF-8"}) == "fr"
    assert i18n.environment_language({"LANG": "fr_BE.UTF-8"}) == "fr"
    assert i18n.environment_language({"LC_ALL": "de_DE.UTF-8"}) == "en"  # not spoken: English
    assert i18n.environment_language({}) == "en"
    assert Settings(language="fr-BE").validated().language == "fr"


def test_plurals_follow_the_languages_rules():
    with i18n.using("en"):
        assert i18n.ngettext("%(num)s system", "%(num)s systems", 0) == "0 systems"
    with i18n.using("fr"):
        # French counts 0 and 1 as singular.
        assert i18n.ngettext("%(num)s system", "%(num)s systems", 0) == "0 système"
        assert i18n.ngettext("%(num)s system", "%(num)s systems", 1) == "1 système"
        assert i18n.ngettext("%(num)s system", "%(num)s systems", 2) == "2 systèmes"


# --- e-mails ------------------------------------------------------------------------------------


def test_a_digest_composed_in_french_says_everything_in_french():
    settings = Settings(base_url=BASE, timezone="Europe/Brussels")
    # The parts the sweep stores with each item (tracker.reminders.items), for its wording.
    parts = [
        {"title": "Data protection impact assessment", "due_before": "deployment"},
        {},
        {},
        {},
        {"title": "Bias audit 2026", "uploaded": "2026-02-13"},
    ]
    rows = [
        Claimed(f"k{n}", False, SWEEP, {**item, "parts": part})
        for n, (item, part) in enumerate(zip(ROWS, parts, strict=True))
    ]
    named = agency.Agency(name="Police fédérale", dpo_contact="dpd@police.example")
    message = compose(
        rows,
        "dpo@police.example",
        "David Okafor",
        settings,
        "tok",
        environment(settings),
        "fr",
        named,
    )
    text, page = (part.get_payload(decode=True).decode() for part in message.get_payload())
    summary = (
        "2 requis avant l'étape suivante, 1 à échéance sous 30 jours, 1 à examiner, "
        "1 à échéance plus lointaine"
    )
    subject = str(message["Subject"])
    assert subject.startswith("[Police fédérale] 5 éléments requièrent votre attention")
    assert message["Content-Language"] == "fr"
    lines = text.splitlines()
    assert lines[0] == "Bonjour David Okafor,"
    assert lines[2] == "5 éléments requièrent votre attention (au 2 mars 2026) :"
    assert lines[3] == summary
    assert "Échéance : 20 mars 2026" in text and "Statut : Preuve expirant bientôt" in text
    assert "(à fournir avant l'étape « déploiement et utilisation »)" in text
    assert "déposée le 13 févr. 2026" in text
    assert "Ouvrir ce système : " in text and "Police fédérale" in text
    assert "Délégué à la protection des données : dpd@police.example" in text
    assert '<html lang="fr">' in page and f">{escape(summary)}</p>" in page
    assert ">2 mars 2026</time>" in page and "Ouvrir le portefeuille" in page
    assert 'href="mailto:dpd@police.example"' in page
    # Nothing left in English around the plugins' own titles and citations.
    for english in ("Hello", "need your attention", "Due:", "Status:", "Open ", "You receive"):
        assert english not in text


def test_each_recipient_gets_the_digest_in_their_own_language(settings, migrated, demo_agency):
    officer = accounts.get_user("d.okafor")
    accounts.set_language(officer, "fr", "test")
    agency.update({"name": "Police fédérale", "dpo_contact": "dpd@police.example"}, "test")
    server = SmtpServer()
    server.start()
    try:
        sending = settings.with_overrides(
            smtp_host="127.0.0.1", smtp_port=server.port, base_url=BASE
        )
        sweep(date.today(), load_catalogue(deployment=DEPLOYMENT), sending)
        deliver(ledger.messages(load_preferences()), sending, final_attempt=True)
    finally:
        server.stop()
    (french,) = server.mailbox.to(officer.email)
    text = server.mailbox.text(french)
    with i18n.using("fr"):
        today = i18n.format_day(date.today())
    assert french["Subject"].startswith("[Police fédérale] ")
    assert "requièrent votre attention" in french["Subject"]
    assert text.startswith("Bonjour ") and f"(au {today}) :" in text
    assert french["Content-Language"] == "fr"
    # Someone who picked no language reads the deployment's (English here).
    chosen = chosen_languages()
    others = [m for m in server.mailbox.received if m is not french]
    assert others
    for message in others:
        language = chosen.get(message["To"].addresses[0].addr_spec.casefold(), "en")
        greeting = {"en": "Hello ", "fr": "Bonjour "}[language]
        assert message["Content-Language"] == language
        assert server.mailbox.text(message).startswith(greeting)
    assert "en" in {message["Content-Language"] for message in others}


# --- pages --------------------------------------------------------------------------------------


def _signed_in(app, language: str):
    user = accounts.create_user(f"reader.{language}", "dpo", "test", email=f"{language}@x.example")
    sign_in.set_password(user, PASSWORD, "test")
    accounts.set_language(user, language, "test")
    client = app.test_client()
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/sign-in", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_a_french_user_reads_the_pages_in_french(app):
    client = _signed_in(app, "fr")
    page = client.get("/portfolio?as_of=2026-01-15").text
    assert '<html lang="fr">' in page
    assert ">Portefeuille</a>" in page and ">File d'examen</a>" in page  # the navigation
    assert "au 15 janv. 2026" in page  # the date in French
    assert "Télécharger cette vue en CSV" in page and "Download" not in page
    missing = client.get("/systems/999999")
    assert missing.status_code == 404 and "Introuvable" in missing.text
    # The CSV speaks the reader's language too.
    header = client.get("/portfolio.csv").text.splitlines()[0]
    assert header.startswith("Système,Risque,Étape,En retard,Manquantes")


def test_signed_out_pages_follow_the_browser_then_the_choice(app):
    client = app.test_client()
    french = client.get("/sign-in", headers={"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in french.text and "Nom d'utilisateur" in french.text
    english = app.test_client().get("/sign-in", headers={"Accept-Language": "de, en;q=0.5"})
    assert '<html lang="en">' in english.text and "Username" in english.text
    wrong = client.post(
        "/sign-in",
        data={
            "username": "nobody",
            "password": "x" * 12,
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', french.text).group(1),
        },
        headers={"Accept-Language": "fr"},
    )
    assert wrong.status_code == 401 and "mot de passe incorrect." in wrong.text


# --- the CLI ------------------------------------------------------------------------------------


def _run(language: str, *args: str):
    return CliRunner().invoke(tracker_cli, list(args), env={"TRACKER_LANGUAGE": language})


def test_the_cli_speaks_tracker_language_and_puts_english_back():
    french = _run("fr", "--help")
    assert french.exit_code == 0
    assert french.output.startswith("Utilisation :")
    assert "Afficher ce message et quitter." in french.output
    assert "les preuves que la loi exige" in french.output  # the group's own help
    assert "Version du schéma de la base de données et mises à niveau." in french.output

    bad_day = _run("fr", "completeness", "--as-of", "2026-13-01")
    assert bad_day.exit_code == 2
    assert "Erreur : Valeur non valide pour '--as-of' : '2026-13-01' n'est pas une date" in (
        bad_day.output
    )
    undecided = _run("fr", "evidence", "review", "1", "--as", "someone")
    assert "indiquez --accept ou --reject" in undecided.output

    english = _run("en", "--help")  # the same process: every help text is English again
    assert english.output.startswith("Usage:") and "Show this message and exit." in english.output
    assert "Database schema version and upgrades." in english.output


WARMED = """
from datetime import UTC, datetime
from babel import localedata
from tracker import i18n
opened = []
localedata.open = lambda *args, **kwargs: (opened.append(args[0]), open(*args, **kwargs))[1]
i18n.load_every_language("Europe/Brussels")
loaded, now = len(opened), datetime.now(UTC)
for language in i18n.LANGUAGES:
    with i18n.using(language):
        i18n.format_day(now), i18n.format_moment(now, "Europe/Brussels"), i18n.gettext("Save")
print(loaded, len(opened) - loaded, i18n.translations.cache_info().misses)
"""


def test_every_language_can_be_loaded_before_a_worker_forks():
    """Loaded once in the parent, a delivery job's child process reads no locale data and no
    catalogue again (a fresh interpreter: the test process has long loaded them)."""
    answer = subprocess.run(
        [sys.executable, "-c", WARMED], capture_output=True, text=True, check=True
    ).stdout
    loaded, later, catalogues = map(int, answer.split())
    assert loaded > 0 and later == 0
    assert catalogues == len(i18n.LANGUAGES)  # each loaded once, by load_every_language
