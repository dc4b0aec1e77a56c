"""The public transparency register: published systems, public fields only, no sign-in; search
and filters that agree on the page, in JSON and in CSV; the documented JSON Schema; the about
page and the PDF statement with the agency's contacts."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests import sample_files
from tests.public_register import pdf_text, png_logo, violations
from tracker import agency as agency_profile
from tracker import publication, register, vocabulary
from tracker.i18n import using
from tracker.models import AISystem, Evidence, Operator
from tracker.plugin_host import load_catalogue_for
from tracker.publication import open_data

PUBLISHED = {
    "Crime report chatbot",
    "Crime hotspot forecasting",
    "Live facial recognition on body-worn cameras",
}
CONTACT = "Transparency desk, 1 Rue de la Loi, Brussels"
COMPLAINTS = "Write to the complaints office: complaints@police.example"
DPO = "dpo@police.example"


@pytest.fixture
def change(settings):
    """``change(system, {...})``: a profile update as the legal team makes it."""
    catalogue = load_catalogue_for(settings)
    return lambda system, changes: register.update_system(system, changes, "test", catalogue)


@pytest.fixture
def agency(settings, migrated, change, demo_agency):
    systems = {s.name: s for s in AISystem.select()}
    # The chatbot and the forecasting publish their risk level; live face recognition does not.
    for name in ("Crime report chatbot", "Crime hotspot forecasting"):
        system = systems[name]
        levels = {**system.publication, "risk_level": "public", "purpose_type": "public"}
        change(system, {"publication": levels})
    agency_profile.update(
        {"name": "Police of Example", "contact": CONTACT, "complaints": COMPLAINTS,
         "dpo_contact": DPO},
        "test",
        logo=(png_logo(), "image/png"),
    )  # fmt: skip
    return {s.name: s for s in AISystem.select()}


def page_ids(html: str) -> list[int]:
    listed = html.split('class="register-list"', 1)[1]
    return [int(i) for i in re.findall(r'href="/register/(\d+)"', listed)]


def json_ids(client, query: str) -> list[int]:
    response = client.get(f"/register.json{query}")
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json["systems"]]


def csv_rows(client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/register.csv{query}")
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.text)))


def test_only_published_systems_are_listed_and_the_first_addresses_still_work(client, agency):
    page = client.get("/register").text
    assert {name for name in agency if name in page} == PUBLISHED
    assert "3 systems published" in page
    listed = client.get("/register.json").json["systems"]
    assert {s["name"] for s in listed} == PUBLISHED
    assert client.get("/public.json").json["systems"] == listed
    moved = client.get("/public?lifecycle_stage=deployment")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/register?lifecycle_stage=deployment")
    hidden = agency["Re-offending risk score"].id
    assert client.get(f"/register/{hidden}").status_code == 404
    assert client.get(f"/register/{hidden}.json").status_code == 404
    assert client.get(f"/register/{hidden}/statement.pdf").status_code == 404
    chatbot = agency["Crime report chatbot"].id
    assert (
        client.get(f"/public/systems/{chatbot}")
        .headers["Location"]
        .endswith(f"/register/{chatbot}")
    )
    assert client.get(f"/public/systems/{chatbot}.json").json["system"]["id"] == chatbot


def restricted_values(system: AISystem) -> set[str]:
    """Values of the system that must never reach the public, whatever the form: its contacts,
    its operators, and each field it does not publish (codes and labels alike)."""
    values = [c["email"] for c in system.contacts] + [c["name"] for c in system.contacts]
    values += [o.email for o in Operator.select().where(Operator.system == system)]
    for name in publication.PUBLIC_FIELDS:
        if publication.level_of(system, name) != "public":
            value = getattr(system, name)
            for code in value if isinstance(value, list) else [value]:
                values.append(code)
                if name in publication.FIELD_VOCABULARIES:
                    values.append(publication.vocabulary_of(name).get(code))
    return {v for v in values if isinstance(v, str) and len(v) > 3}


def published_elsewhere(system: AISystem) -> set[str]:
    """Values other entries publish: a list of the whole register may show them."""
    values: set[str] = set()
    for item in publication.register():
        if item.id != system.id:
            for value in item.fields.values():
                for one in value if isinstance(value, list) else [value]:
                    values.add(str(one))
                    values.update(
                        label
                        for name in publication.FIELD_VOCABULARIES
                        if (label := publication.vocabulary_of(name).get(str(one)))
                    )
    return values


def test_fields_that_are_not_public_never_appear_in_any_form(client, agency, change):
    live = agency["Live facial recognition on body-worn cameras"]
    # Even a level of "public" cannot publish the contacts: they are not a publishable field.
    change(live, {"publication": {**live.publication, "contacts": "public"}})
    live = AISystem.get_by_id(live.id)
    restricted = restricted_values(live)
    assert live.units_with_access[0] in restricted and live.vendor in restricted
    entry_json = client.get(f"/register/{live.id}.json").json["system"]
    row = next(r for r in csv_rows(client) if r["id"] == str(live.id))
    forms = {
        "page": client.get(f"/register/{live.id}").text,
        "register page": client.get("/register").text,
        "JSON": client.get(f"/register/{live.id}.json").text,
        "register JSON": client.get("/register.json").text,
        "CSV row": ",".join(row.values()),
        "PDF": pdf_text(client.get(f"/register/{live.id}/statement.pdf").data),
    }
    assert live.purpose[:40] in forms["page"] and live.purpose[:40] in forms["PDF"]
    elsewhere = published_elsewhere(live)
    for form, text in forms.items():
        whole_register = form.startswith("register")
        leaked = [v for v in restricted if v in text and not (whole_register and v in elsewhere)]
        assert not leaked, f"{form} shows {leaked}"
    for withheld in ("units_with_access", "vendor", "risk_level", "jurisdictions"):
        assert withheld not in entry_json and row[withheld] == ""
    for never in ("contacts", "answers", "publication", "published"):
        assert never not in entry_json and never not in row


SEARCHES = [
    "",
    "?q=crime",
    "?q=BURGLARY+patrol",
    "?q=nothing-like-this",
    "?lifecycle_stage=deployment",
    "?lifecycle_stage=planning",
    "?risk_level=low",
    "?risk_level=high",
    "?purpose_type=law_enforcement",
    "?unit=contact+centre",
    "?unit=Public+order+unit",
    "?q=crime&risk_level=medium",
]


def test_search_and_filters_agree_on_the_page_in_json_and_in_csv(client, agency):
    for query in SEARCHES:
        page = client.get(f"/register{query}")
        assert page.status_code == 200, query
        on_page = page_ids(page.text)
        assert json_ids(client, query) == on_page, query
        assert [int(r["id"]) for r in csv_rows(client, query)] == on_page, query
    named = {s.id: s.name for s in agency.values()}

    def found(query: str) -> set[str]:
        return {named[i] for i in json_ids(client, query)}

    assert found("?q=BURGLARY+patrol") == {"Crime hotspot forecasting"}
    assert found("?risk_level=low") == {"Crime report chatbot"}
    assert found("?unit=contact+centre") == {"Crime report chatbot"}
    assert found("?q=crime&risk_level=medium") == {"Crime hotspot forecasting"}
    stage = agency["Crime report chatbot"].lifecycle_stage
    assert found(f"?lifecycle_stage={stage}") == {
        name for name in PUBLISHED if agency[name].lifecycle_stage == stage
    }
    document = client.get("/register.json?q=crime&risk_level=medium").json
    assert document["count"] == 1
    assert document["filters"] == {
        "q": "crime",
        "purpose_type": None,
        "lifecycle_stage": None,
        "risk_level": "medium",
        "unit": None,
    }


def test_a_filter_on_a_fact_a_system_keeps_back_never_matches_it(client, agency):
    live = agency["Live facial recognition on body-worn cameras"]
    assert live.risk_level == "high" and live.units_with_access
    assert json_ids(client, "?risk_level=high") == []
    assert json_ids(client, f"?unit={live.units_with_access[0]}") == []
    page = client.get("/register").text
    options = re.search(r'<select id="rf-risk_level".*?</select>', page, re.S).group(0)
    assert 'value="low"' in options and 'value="high"' not in options
    assert live.units_with_access[0] not in page


def test_a_bad_filter_is_refused_with_the_parameter_and_its_rule(client, agency):
    page = client.get("/register?risk_level=extreme&q=x")
    assert page.status_code == 400
    assert (
        'id="rf-risk_level-error"' in page.text
        and "Must be one of: low, medium, high." in page.text
    )
    problem = client.get("/register.json?risk_level=extreme")
    assert problem.status_code == 400 and problem.mimetype == "application/problem+json"
    assert problem.json["errors"] == {"risk_level": ["Must be one of: low, medium, high."]}
    refused = client.get(f"/register.csv?q={'x' * 201}")
    assert refused.status_code == 400 and "q: At most 200 characters." in refused.text


def test_the_json_validates_against_the_schema_the_register_serves(client, agency):
    served = client.get("/register/schema.json")
    assert served.mimetype == "application/schema+json"
    schema = served.json
    assert schema["$id"].endswith("/register/schema.json")
    document = client.get("/register.json").json
    assert document["schema_version"] == open_data.SCHEMA_VERSION
    assert document["schema"] == schema["$id"]
    assert violations(document, schema, schema) == []
    for entry in document["systems"]:
        single = client.get(f"/register/{entry['id']}.json").json
        assert violations(single, schema, schema) == []
        assert single["system"] == entry
    chatbot = next(s for s in document["systems"] if s["name"] == "Crime report chatbot")
    assert chatbot["risk_level"] == "low" and chatbot[
        "lifecycle_stage"
    ] in publication.vocabulary_of("lifecycle_stage")
    # The checker catches what the schema forbids, so a pass above means something.
    broken = {**document, "systems": [{**chatbot, "risk_level": "extreme", "secret": 1}]}
    found = violations(broken, schema, schema)
    assert any("risk_level" in p for p in found) and any("'secret'" in p for p in found)


def test_every_publishable_field_is_in_the_schema_and_the_csv(client, agency):
    schema = client.get("/register/schema.json").json
    entry = schema["$defs"]["entry"]["properties"]
    assert set(publication.PUBLIC_FIELDS) <= set(entry)
    header = client.get("/register.csv").text.splitlines()[0].split(",")
    assert header == list(open_data.ENTRY_FIELDS) == list(entry)
    # The JSON keeps the same order, so that it reads like the CSV.
    first = client.get("/register.json").json["systems"][0]
    assert list(first) == [name for name in open_data.ENTRY_FIELDS if name in first]


def test_the_csv_joins_lists_and_keeps_formulas_as_text(client, agency, change):
    chatbot = agency["Crime report chatbot"]
    change(
        chatbot,
        {
            "usage_description": '=HYPERLINK("http://evil.example")',
            "authorised_use_cases": ["Take reports of theft", "@SUM(1)"],
        },
    )
    row = next(r for r in csv_rows(client) if r["id"] == str(chatbot.id))
    assert row["usage_description"] == '\'=HYPERLINK("http://evil.example")'
    assert row["authorised_use_cases"] == "Take reports of theft; @SUM(1)"
    assert row["public_facing"] == "true" and row["lifecycle_stage"] == chatbot.lifecycle_stage
    assert row["url"].endswith(f"/register/{chatbot.id}")


def test_the_pages_and_the_data_give_the_agency_and_how_to_complain(client, agency):
    about = client.get("/register/about")
    assert about.status_code == 200
    for text in (CONTACT, COMPLAINTS, f'href="mailto:{DPO}"', "Police of Example"):
        assert text in about.text
    assert 'href="/register/schema.json"' in about.text and 'href="/register.csv"' in about.text
    chatbot = agency["Crime report chatbot"].id
    page = client.get(f"/register/{chatbot}").text
    assert CONTACT in page and COMPLAINTS in page and f"/register/{chatbot}/statement.pdf" in page
    assert 'src="/agency/logo"' in page
    # Values read as words in the reader's language, never as codes.
    stage = agency["Crime report chatbot"].lifecycle_stage
    assert vocabulary.LIFECYCLE_STAGES[stage] in page and f">{stage}<" not in page
    assert vocabulary.PURPOSE_TYPES["law_enforcement"] in page
    index = client.get("/register").text
    assert vocabulary.LIFECYCLE_STAGES[stage] in index and "law_enforcement<" not in index
    publisher = client.get("/register.json").json["publisher"]
    assert publisher["contact"] == CONTACT and publisher["dpo_contact"] == DPO
    assert publisher["logo_url"].endswith("/agency/logo")


def test_the_statement_names_the_agency_shows_its_logo_and_follows_the_language(client, agency):
    chatbot = agency["Crime report chatbot"]
    pdf = client.get(f"/register/{chatbot.id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    for shown in ("Police of Example", DPO, "Public statement: Crime report chatbot", "Low"):
        assert shown in text
    assert b"/Subtype /Image" in pdf.data
    entry = publication.register_entry(chatbot.id)
    with using("fr"):
        from tracker import i18n

        french_day = i18n.format_day(entry.last_updated)
    french = pdf_text(
        client.get(f"/register/{chatbot.id}/statement.pdf", headers={"Accept-Language": "fr"}).data
    )
    assert french_day in french and french_day not in text
    # An SVG logo stays on the pages but is left out of the PDF.
    agency_profile.update(
        {"name": "Police of Example"}, "test", logo=(sample_files.svg(), "image/svg+xml")
    )
    plain = client.get(f"/register/{chatbot.id}/statement.pdf").data
    assert b"/Subtype /Image" not in plain and "Police of Example" in pdf_text(plain)


def test_the_statement_once_filed_and_accepted_counts_as_public_communication(
    sign_in_as, client, agency
):
    from tests.web.conftest import csrf_token

    chatbot = agency["Crime report chatbot"]
    legal = sign_in_as("legal")
    response = legal.post(
        f"/systems/{chatbot.id}/statement", data={"csrf_token": csrf_token(legal, "/portfolio")}
    )
    assert response.status_code == 302
    filed = Evidence.select().order_by(Evidence.id.desc()).first()
    assert filed.kind == "public_communication" and filed.requirement_ids
    assert filed.title.startswith("Public statement")


def test_the_register_needs_no_sign_in_and_labels_every_filter(client, agency):
    page = client.get("/register?lifecycle_stage=deployment").text
    for control in re.findall(r'<(?:input|select)[^>]*id="([^"]+)"', page):
        if control != "language-choice":
            assert f'<label for="{control}">' in page, control
    assert "Last updated" in page and "<time datetime=" in page
