"""The OpenAPI document and the interactive documentation page."""


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
    assert b"/api/docs/assets/swagger-ui-bundle.js" in page.data
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()


def test_unknown_routes_and_methods_are_problems(client, auth):
    missing = client.get("/api/nothing-here", headers=auth("viewer"))
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong = client.put("/api/systems", headers=auth("viewer"))
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
