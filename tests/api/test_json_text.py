"""The app's JSON, encoded by orjson, says what Flask's own encoder said."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from tracker.api.json_text import OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


VALUES = {
    "zebra": 1,
    "alpha": [1.5, None, True, "é \u2013 «»", {"b": 2, "a": 1}],
    "day": date(2026, 11, 28),
    "moment": datetime(2026, 11, 28, 10, 30, tzinfo=UTC),
    "point": Point(3, "ß"),
    "amount": Decimal("12.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "huge": 2**70,  # beyond orjson's 64 bits: the standard library writes it
    "numbers": {1: "one", 2: "two"},
}


def both() -> tuple[OrjsonProvider, DefaultJSONProvider]:
    app = Flask(__name__)
    return OrjsonProvider(app), DefaultJSONProvider(app)


def test_every_value_reads_back_as_flasks_own_encoding_of_it():
    fast, flask_own = both()
    for value in [VALUES, *VALUES.values()]:
        assert json.loads(fast.dumps(value)) == json.loads(flask_own.dumps(value)), value


def test_keys_are_sorted_and_the_text_compact_as_flask_writes_it():
    fast, flask_own = both()
    value = {"b": [1, {"d": 2, "c": "x"}], "a": "plain"}
    assert fast.dumps(value, separators=(",", ":")) == flask_own.dumps(value, separators=(",", ":"))
    assert fast.dumps(value) == '{"a":"plain","b":[1,{"c":"x","d":2}]}'
    fast.sort_keys = False
    assert fast.dumps(value) == '{"b":[1,{"d":2,"c":"x"}],"a":"plain"}'


def test_dates_stay_http_dates_and_other_options_go_to_the_standard_library():
    fast, flask_own = both()
    assert fast.dumps({"d": date(2026, 11, 28)}) == '{"d":"Sat, 28 Nov 2026 00:00:00 GMT"}'
    assert fast.dumps({"a": 1}, indent=2) == flask_own.dumps({"a": 1}, indent=2)


def test_an_answer_of_the_app_is_encoded_by_it(app):
    assert isinstance(app.json, OrjsonProvider)
    with app.test_request_context():
        response = app.json.response({"name": "Système", "b": 1})
    assert response.get_data() == '{"b":1,"name":"Système"}\n'.encode()
