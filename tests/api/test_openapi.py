"""The OpenAPI document and the interactive documentation page."""

import re


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
