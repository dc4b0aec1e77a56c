"""Validation messages in the reader's language: marshmallow's and the tracker's, English in the
API, French on a French user's form and in a French CLI."""

from __future__ import annotations

import re

import pytest

from tests.factories import profile
from tracker import i18n, register
from tracker.errors import ValidationFailed
from tracker.i18n import validation
from tracker.i18n.text import Phrase


def _sample(message: str) -> str:
    """A marshmallow message as marshmallow formats it, with sample values."""
    return re.sub(r"%\((\w+)\)s", lambda m: f"<{m[1]}>", message)


@pytest.mark.parametrize("message", validation.messages())
def test_every_marshmallow_message_is_recognised_formatted_and_reads_in_french(message):
    english = _sample(message)
    found = validation.localizable(english)
    assert isinstance(found, Phrase) and found == english and found.message == message
    with i18n.using("fr"):
        shown = str(found)
    assert shown != english, f"{message!r} has no French translation"
    for value in re.findall(r"<\w+>", english):
        assert value in shown  # the values survive translation


def test_other_messages_and_nesting_are_kept():
    errors = {
        "contacts": {0: {"email": ["Not a valid email address."]}},
        "x": ["a message of ours"],
    }
    found = validation.localizable(errors)
    assert found["x"] == ["a message of ours"] and not isinstance(found["x"][0], Phrase)
    assert isinstance(found["contacts"][0]["email"][0], Phrase)


def test_a_profile_error_is_english_as_data_and_french_when_shown():
    with pytest.raises(ValidationFailed) as caught:
        register.validate_profile(profile(name="", risk_level="extreme"))
    errors = caught.value.errors
    assert errors["name"] == ["Length must be between 1 and 200."]
    assert errors["risk_level"] == ["Must be one of: low, medium, high."]
    with i18n.using("fr"):
        assert str(errors["name"][0]) == "La longueur doit être comprise entre 1 et 200."
        assert str(errors["risk_level"][0]).startswith("Doit être l'une des valeurs")


def test_the_api_answers_in_english_whoever_asks(client, auth, migrated):
    response = client.post(
        "/api/systems",
        json=profile(name=""),
        headers={**auth("legal"), "Accept-Language": "fr"},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert "Length must be between 1 and 200." in str(body)
    assert "longueur" not in str(body)


def test_the_trackers_own_refusals_are_english_as_data_and_french_when_shown(migrated):
    from datetime import datetime, timedelta

    from tracker.errors import Conflict, NotFound
    from tracker.models import AISystem
    from tracker.plugin_host import load_catalogue

    catalogue = load_catalogue()
    with pytest.raises(ValidationFailed) as caught:
        register.validate_profile(profile(countries=["ZZ"]), catalogue)
    country = caught.value.errors["countries"][0][0]
    assert country == "'ZZ' is not an ISO 3166-1 alpha-2 country code (e.g. BE)."
    assert str(caught.value) == f"countries.0: {country}"
    with i18n.using("fr"):
        french = "'ZZ' n'est pas un code de pays ISO 3166-1 alpha-2 (par exemple BE)."
        assert str(country) == french
        assert str(caught.value) == f"countries.0: {french}"  # the detail too, when shown

    with pytest.raises(NotFound) as missing:
        AISystem.find_by_id(0)
    assert str(missing.value) == "AI system 0 does not exist"
    with i18n.using("fr"):
        assert str(missing.value) == "Système d'IA 0 n'existe pas"

    system = register.create_system(profile(), "test", catalogue)
    with pytest.raises(ValidationFailed) as refused:
        register.record_event(
            system, "data_breach", datetime.now() + timedelta(days=2), "", None, "test", catalogue
        )
    kind, when = refused.value.errors["kind"][0], refused.value.errors["occurred_at"][0]
    assert kind.startswith("'data_breach' is not a known event kind (did you mean")
    assert kind.endswith(".") and when.startswith("Must not be in the future (it is ")
    with i18n.using("fr"):
        assert str(kind).startswith("'data_breach' n'est pas un type d'événement connu")
        assert "vouliez-vous dire" in str(kind) and str(kind).endswith(".")
        assert str(when).startswith("Ne doit pas être dans le futur (il est ")

    register.retire_system(system, "Replaced by a new system.", "test")
    with pytest.raises(Conflict) as conflict:
        register.update_system(system, {"name": "Renamed"}, "test", catalogue)
    assert str(conflict.value) == (
        f"AI system {system.id} is retired; its profile can no longer change"
    )
    with i18n.using("fr"):
        assert str(conflict.value) == (
            f"Le système d'IA {system.id} est retiré ; son profil ne peut plus changer"
        )
