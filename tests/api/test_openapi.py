"""The OpenAPI document and the interactive documentation page."""

import io
import re
from datetime import UTC, datetime, timedelta, timezone


def test_the_document_describes_every_route_with_schemas(client, app):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    documented = {path for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.endpoint.split(".")[0] in {
            "systems",
            "evidence",
            "accounts",
            "audit",
        }:
            assert rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}") in documented
    upload = spec["paths"]["/api/evidence"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    fields = upload["multipart/form-data"]["schema"]
    schema_names = str(fields)
    assert "kind" in schema_names or "EvidenceUploadForm" in schema_names
    system = spec["components"]["schemas"]["SystemProfile"]
    assert system["properties"]["risk_level"]["enum"] == ["low", "medium", "high"]
    assert "X-Pagination" in str(spec["paths"]["/api/systems"]["get"]["responses"])


def test_the_documentation_page_is_served_with_local_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    # Every script and style the page loads comes from this server, none from a CDN.
    assert referenced and all(url.startswith("/api/docs/assets/") for url in referenced), referenced
    assert {url.rsplit("/", 1)[1] for url in referenced} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    expected_types = {".js": "text/javascript", ".css": "text/css"}
    for url in referenced:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype == expected_types[url[url.rindex(".") :]], url
        assert len(asset.data) > 1_000, url
        asset.close()


def test_the_documentation_ui_reads_openapi_3_1(client):
    # Swagger UI before 5.0 shows "Unable to render this definition" for an OpenAPI 3.1 document.
    assert client.get("/api/openapi.json").json["openapi"].startswith("3.1")
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle.get_data(as_text=True))
    bundle.close()
    assert version, "the Swagger UI bundle names no version"
    assert int(version.group(1)) >= 5, f"Swagger UI {version.group(0)} cannot read OpenAPI 3.1"


def test_a_missing_asset_is_404(client):
    missing = client.get("/api/docs/assets/../../setup.cfg")
    assert missing.status_code == 404
    assert client.get("/api/docs/assets/no-such-file.js").status_code == 404


def test_unknown_routes_and_methods_are_problems(client, auth):
    missing = client.get("/api/nothing-here", headers=auth("viewer"))
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong = client.put("/api/systems", headers=auth("viewer"))
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]


# What schemathesis found (tests/api/test_fuzz.py runs it over every operation), one case each.

SYSTEM = {
    "name": "Case triage",
    "purpose": "Sort incoming cases",
    "purpose_type": "administrative",
    "risk_level": "low",
    "lifecycle_stage": "testing",
    "development_approach": "joint",
    "processes_personal_data": False,
    "ai_act_roles": [],
}


def _invalid(response, location: str, field: str) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["type"] == "urn:tracker:problem:invalid-input"
    assert any(e["in"] == location and e["field"] == field for e in problem["errors"]), problem
    return problem


def test_page_numbers_and_ids_beyond_the_database_range_are_refused(client, auth):
    headers = auth("admin")
    for page in (2**31, 2**63, 10**30):
        _invalid(client.get(f"/api/systems?page={page}", headers=headers), "query", "page")
        _invalid(client.get(f"/api/audit?page={page}", headers=headers), "query", "page")
    last = client.get(f"/api/systems?page={2**31 - 1}&page_size=100", headers=headers)
    assert last.status_code == 200 and last.json == []
    for query in (
        "/api/evidence?system_id=",
        "/api/waivers?system_id=",
        "/api/notifications?system_id=",
    ):
        for number in (2**31, 2**63, 0):
            _invalid(client.get(f"{query}{number}", headers=headers), "query", "system_id")
    too_big = client.get(f"/api/systems/{2**63}", headers=headers)
    assert too_big.status_code == 404 and too_big.content_type == "application/problem+json"


def test_a_time_that_leaves_the_calendar_in_utc_is_invalid_input(client, auth):
    headers = auth("admin")
    for moment in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:30:00-01:00"):
        _invalid(
            client.get("/api/audit", query_string={"since": moment}, headers=headers),
            "query",
            "since",
        )
        issued = client.post(
            "/api/users/viewer-user/tokens",
            json={"name": "far", "expires_at": moment},
            headers=headers,
        )
        problem = _invalid(issued, "body", "expires_at")
        assert "outside years 1 to 9999 in UTC" in problem["detail"]
    system = client.post("/api/systems", json=SYSTEM, headers=headers).json
    event = client.post(
        f"/api/systems/{system['id']}/events",
        json={"kind": "serious_incident", "occurred_at": "0001-01-01T00:00:00+05:00"},
        headers=headers,
    )
    _invalid(event, "body", "occurred_at")


def test_a_time_with_an_offset_is_compared_in_utc(client, auth):
    headers = auth("admin")
    # the tokens fixture wrote audit events a moment ago; a minute ago, said in UTC+05:00
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    since = a_minute_ago.astimezone(timezone(timedelta(hours=5))).isoformat()
    found = client.get("/api/audit", query_string={"since": since}, headers=headers)
    assert found.status_code == 200 and len(found.json) > 0
    later = (a_minute_ago + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-3)))
    none = client.get("/api/audit", query_string={"since": later.isoformat()}, headers=headers)
    assert none.status_code == 200 and none.json == []


def test_nul_characters_are_invalid_input_on_every_database(client, auth):
    headers = auth("admin")
    _invalid(client.get("/api/systems?q=a%00b", headers=headers), "query", "q")
    _invalid(client.get("/api/users?q=%00", headers=headers), "query", "q")
    body = {**SYSTEM, "name": "Case\x00triage", "contacts": [{"name": "x\x00"}]}
    problem = _invalid(client.post("/api/systems", json=body, headers=headers), "body", "name")
    assert {e["pointer"] for e in problem["errors"]} == {"#/name", "#/contacts/0/name"}
    _invalid(client.get("/api/users/admin%00user/tokens", headers=headers), "path", "(path)")
    _invalid(client.get("/api/requirements/gdpr%00", headers=headers), "path", "(path)")
    upload = client.post(
        "/api/evidence",
        data={
            "title": "Report\x00",
            "kind": "dpia",
            "agency_wide": "true",
            "files": (io.BytesIO(b"%PDF-1.4 report"), "report.pdf"),
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    _invalid(upload, "form", "title")


def test_times_are_written_in_utc_with_an_offset(client, auth):
    headers = auth("admin")
    system = client.post("/api/systems", json=SYSTEM, headers=headers).json
    me = client.get("/api/me", headers=headers).json
    token = client.post("/api/users/viewer-user/tokens", json={"name": "t"}, headers=headers).json
    event = client.post(
        f"/api/systems/{system['id']}/events",
        json={"kind": "serious_incident", "occurred_at": "2026-01-02T03:04:05+02:00"},
        headers=headers,
    ).json
    written = [
        system["created_at"],
        system["updated_at"],
        me["created_at"],
        token["created_at"],
        event["recorded_at"],
        event["occurred_at"],
    ]
    for value in written:
        assert value.endswith("+00:00"), value
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0)
    assert event["occurred_at"] == "2026-01-02T01:04:05+00:00"


def test_the_document_describes_error_bodies_and_the_pagination_header(client):
    spec = client.get("/api/openapi.json").json
    components = spec["components"]
    pagination = components["headers"]["PAGINATION"]
    assert "schema" not in pagination
    assert pagination["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginationMetadata"
    }
    problem = components["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            public = operation.get("security") == []
            expected = {"422", "429", "default"} | (set() if public else {"401", "403"})
            if "{" in path:
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"400", "413"}
            if method != "get":
                expected.add("409")
            assert expected <= set(responses), (method, path, sorted(responses))
            for status, response in responses.items():
                if status.startswith(("4", "5")) or status == "default":
                    if "$ref" in response:
                        response = components["responses"][response["$ref"].rsplit("/", 1)[1]]
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (path, status)
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
    unsubscribe = spec["paths"]["/api/notifications/unsubscribe/{token}"]
    assert unsubscribe["post"]["security"] == [] and "401" not in unsubscribe["post"]["responses"]
    listing = spec["paths"]["/api/systems"]["get"]
    page = next(p for p in listing["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == 2**31 - 1
    assert listing["responses"]["200"]["headers"]["X-Pagination"] == {
        "$ref": "#/components/headers/PAGINATION"
    }
