"""The CLI in French (TRACKER_LANGUAGE=fr): labels, totals, counts, placeholders and database
errors read in French, and the next command in English reads exactly as before."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from tests.factories import profile
from tracker import accounts, register, waivers
from tracker.cli import main as tracker_cli
from tracker.plugin_host import load_catalogue


@pytest.fixture
def french(monkeypatch):
    """The runner's commands run in French (the runner's own variables stay as they are)."""
    monkeypatch.setenv("TRACKER_LANGUAGE", "fr")


def test_agency_labels_are_french_and_aligned(runner, french):
    lines = runner.tracker("agency", "show").output.splitlines()
    # the values start after the longest label, "contact du DPD :" (16 characters)
    assert lines == [
        "nom :            (non renseigné)",
        "contact du DPD : (non renseigné)",
        "réclamations :   (non renseigné)",
        "contact :        (non renseigné)",
        "logo :           néant",
    ]


def test_agency_in_english_after_french(runner, monkeypatch):
    monkeypatch.setenv("TRACKER_LANGUAGE", "fr")
    assert "nom :" in runner.tracker("agency", "show").output
    monkeypatch.setenv("TRACKER_LANGUAGE", "en")
    lines = runner.tracker("agency", "show").output.splitlines()
    assert lines[:2] == ["name:         (not set)", "DPO contact:  (not set)"]


def test_facts_name_their_type_source_and_values_in_french(runner, french):
    output = runner.tracker("facts").output
    assert "lifecycle_stage : choix  [profil]" in output.splitlines()
    assert "    - planning : Planification" in output.splitlines()
    assert "biometric_identification : choix (par défaut 'none')  [profil]" in output
    assert "processes_personal_data : booléen  [profil]" in output.splitlines()
    assert "[profile]" not in output and "boolean" not in output


def test_reminder_totals_are_french(runner, french):
    output = runner.tracker("reminders", "history").output
    assert output.startswith(
        "envoyés : 0  en attente : 0  en cours d'envoi : 0  en échec : 0  obsolètes : 0"
    )


def test_operators_added_are_counted_in_french(runner, french, tmp_path):
    accounts.create_user("legal-user", "legal", "test")
    system = register.create_system(profile(name="Face search"), "t", load_catalogue())
    path = tmp_path / "operators.csv"
    path.write_text("name,email\nAna Duarte,ana@police.example\n")
    command = ("systems", "operators", "import", str(system.id), str(path), "--as", "legal-user")
    one = runner.tracker(*command)
    assert one.exit_code == 0, one.output
    assert one.output == "1 opérateur ajouté, 0 mis à jour\n"
    path.write_text("name,email\nBo Lind,bo@police.example\nCy Berg,cy@police.example\n")
    assert runner.tracker(*command).output == "2 opérateurs ajoutés, 0 mis à jour\n"


def test_waivers_list_names_system_and_state_in_french(runner, french):
    catalogue = load_catalogue()
    requester = accounts.create_user("legal-user", "legal", "test")
    system = register.create_system(profile(name="Face search"), "t", catalogue)
    requirement = next(iter(catalogue.requirements))
    until = date.today() + timedelta(days=30)
    waivers.request_waiver(
        system,
        requirement,
        "Not in use before the next budget year.",
        until,
        requester,
        "t",
        catalogue,
    )
    line = runner.tracker("waivers", "list").output.splitlines()[0]
    assert line.split()[:3] == ["1", "système", str(system.id)]
    assert "demandée" in line and "requested" not in line


def test_option_placeholders_are_french_then_english_again(runner, monkeypatch):
    monkeypatch.setenv("TRACKER_LANGUAGE", "fr")
    french = runner.tracker("events", "add", "--help").output
    assert "--at AAAA-MM-JJ HH:MM" in french
    assert "--as ID-OU-NOM" in french and "--description TEXTE" in french
    assert "SYSTEM" in french  # an argument is named after itself, in every language
    assert "\nOptions :\n" in french and "Options:" not in french
    group = runner.tracker("waivers", "list", "--help").output
    assert group.startswith("Utilisation : main waivers list [OPTIONS]\n")
    assert "  --system ID\n" in group and "--state [requested|approved|rejected|revoked]" in group
    assert "--as-of AAAA-MM-JJ" in runner.tracker("events", "list", "--help").output
    assert "--limit NOMBRE ENTIER" in runner.tracker("reminders", "history", "--help").output
    monkeypatch.setenv("TRACKER_LANGUAGE", "en")
    english = runner.tracker("events", "add", "--help").output
    assert "--at YYYY-MM-DD HH:MM" in english
    assert "\nOptions:\n" in english
    assert "--as ID-OR-NAME" in english and "--description TEXT" in english
    assert "--as-of YYYY-MM-DD" in runner.tracker("events", "list", "--help").output


def _shell(tmp_path, database_url: str, language: str, *args: str):
    env = {
        "TRACKER_ENV": "testing",
        "TRACKER_DATA_DIR": str(tmp_path / "data"),
        "TRACKER_EVIDENCE_DIR": str(tmp_path / "store"),
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_LANGUAGE": language,
    }
    return CliRunner().invoke(tracker_cli, list(args), env=env, catch_exceptions=False)


def test_database_errors_are_french_and_english_stays(tmp_path):
    missing = tmp_path / "missing.db"
    french = _shell(tmp_path, f"sqlite:///{missing}", "fr", "waivers", "list")
    assert french.exit_code == 1
    assert (
        f"la base de données SQLite {missing} n'existe pas encore : `tracker db upgrade` la crée"
        in french.output
    )
    english = _shell(tmp_path, f"sqlite:///{missing}", "en", "waivers", "list")
    assert (
        f"Error: the SQLite database {missing} does not exist yet: `tracker db upgrade` creates it"
        in english.output
    )
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    behind = _shell(tmp_path, f"sqlite:///{empty}", "fr", "waivers", "list")
    assert f"la base de données SQLite {empty} est à la version de schéma 0" in behind.output
    bad = _shell(tmp_path, "ftp://someone:secret@host/db", "fr", "waivers", "list")
    assert "n'est pas une URL de base de données que le tracker sait lire" in bad.output
    assert "secret" not in bad.output
