"""The portfolio through the API: paged, sorted and filtered over every system, each page's
systems as the engine evaluates them, and a header while many are being refreshed."""

import json

import pytest

from tests.factories import profile, upload_form
from tracker.models import AISystem
from tracker.portfolio import index

NAMES = ["delta", "Alpha", "charlie", "bravo", "echo"]


@pytest.fixture
def systems(client, auth):
    ids = {}
    for number, name in enumerate(NAMES):
        body = profile(
            name=name,
            lifecycle_stage=["planning", "testing"][number % 2],
            risk_level=["high", "low"][number % 2],
            jurisdictions=["toolkit", "eu-led"],
        )
        response = client.post("/api/systems", json=body, headers=auth("legal"))
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    return ids


def names(response):
    assert response.status_code == 200, response.json
    return [row["name"] for row in response.json]


def test_pages_sorts_and_filters_cover_the_whole_portfolio(client, auth, systems):
    viewer = auth("viewer")
    first = client.get("/api/completeness?page=1&page_size=2", headers=viewer)
    assert names(first) == ["Alpha", "bravo"]  # by name, in any case
    assert json.loads(first.headers["X-Pagination"])["total"] == 5
    second = client.get("/api/completeness?page=2&page_size=2", headers=viewer)
    assert names(second) == ["charlie", "delta"]
    backwards = client.get("/api/completeness?sort=name&order=desc&page_size=2", headers=viewer)
    assert names(backwards) == ["echo", "delta"]
    low = client.get("/api/completeness?risk_level=low", headers=viewer)
    assert names(low) == ["Alpha", "bravo"]
    testing = client.get("/api/completeness?lifecycle_stage=testing", headers=viewer)
    assert names(testing) == ["Alpha", "bravo"]
    assert names(client.get("/api/completeness?name_contains=HAR", headers=viewer)) == ["charlie"]
    by_stage = names(client.get("/api/completeness?sort=stage", headers=viewer))
    assert by_stage == ["charlie", "delta", "echo", "Alpha", "bravo"]  # planning, then testing


def test_each_page_is_the_engine_answer_after_a_write(client, auth, systems):
    viewer = auth("viewer")
    before = client.get("/api/completeness?name_contains=alpha", headers=viewer).json[0]
    form = upload_form(system_ids=[systems["Alpha"]], requirement_ids=["eu-led.dpia"])
    uploaded = client.post(
        "/api/evidence", data=form, headers=auth("legal"), content_type="multipart/form-data"
    )
    assert uploaded.status_code == 201
    after = client.get("/api/completeness?name_contains=alpha", headers=viewer).json[0]
    # The LED DPIA serves the toolkit's DPIA too: both wait for review now.
    assert after["overall"]["counts"]["pending_review"] == (
        before["overall"]["counts"]["pending_review"] + 2
    )
    one = client.get(f"/api/systems/{systems['Alpha']}/completeness", headers=viewer).json
    assert after["overall"] == one["overall"]
    by_pending = client.get("/api/completeness?sort=pending&order=desc", headers=viewer)
    assert names(by_pending)[0] == "Alpha"


def test_bad_listing_parameters_name_the_field(client, auth, systems):
    response = client.get("/api/completeness?sort=colour&order=sideways", headers=auth("viewer"))
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert {"sort", "order"} <= fields


def test_many_stale_systems_answer_at_once_marked_as_being_refreshed(
    client, auth, systems, monkeypatch
):
    viewer = auth("viewer")
    assert "X-Portfolio-Refreshing" not in client.get("/api/completeness", headers=viewer).headers
    monkeypatch.setattr(index, "AT_ONCE", 2)
    background = index.Background()
    monkeypatch.setattr(index, "BACKGROUND", background)
    AISystem.update(purpose="Changed by a bulk import").execute()  # every system's stamp moves
    response = client.get("/api/completeness", headers=viewer)
    assert response.status_code == 200 and len(response.json) == 5
    assert response.headers["X-Portfolio-Refreshing"] == "5"
    background.wait(60)
    assert "X-Portfolio-Refreshing" not in client.get("/api/completeness", headers=viewer).headers


def test_the_csv_lists_every_selected_system_in_order(client, auth, systems):
    text = client.get("/api/completeness.csv?sort=name&order=desc", headers=auth("viewer"))
    lines = text.get_data(as_text=True).splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == sorted(NAMES, key=str.casefold)[::-1]
