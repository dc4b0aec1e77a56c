"""The public register as open data: a JSON document with a stable, versioned schema, the JSON
Schema that describes it, and CSV with the same fields.

Both forms carry vocabulary fields as their codes (``deployment``, ``high``): codes never change
with the reader's language or a reworded label, and the schema gives each code's label.
Fields a system does not publish are absent from its JSON entry and empty in its CSV row.
``SCHEMA_VERSION`` follows the promise in docs/public-register.md: a minor version only adds
optional fields; renaming, retyping or removing one is a new major version. No web framework
here: the pages pass in the links (:class:`Links`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.agency import Agency
from tracker.publication import (
    FIELD_VOCABULARIES,
    PUBLIC_FIELDS,
    Entry,
    PublishedEvidence,
    RegisterFilter,
    vocabulary_of,
)

SCHEMA_VERSION = "1.0"
LIST_SEPARATOR = "; "
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# The shape of each publishable profile field's value (vocabulary fields are found by name).
TEXT_FIELDS = ("name", "version", "vendor", "purpose", "usage_description")
TEXT_FIELDS += ("personal_data_handling", "data_sharing")
TEXT_LIST_FIELDS = ("authorised_use_cases", "units_with_access", "jurisdictions")
BOOLEAN_FIELDS = ("processes_personal_data", "public_facing", "profiling", "public_authority")
CODE_LIST_FIELDS = ("ai_act_roles", "annex_iii_areas", "people_affected")
COUNTRY_FIELDS = ("countries",)
# Every entry has these, whatever the system publishes.
ALWAYS = {
    "id": {"type": "integer", "minimum": 1, "description": "The system's number in the register"},
    "url": {"type": "string", "format": "uri", "description": "Its page in the register"},
    "statement_url": {
        "type": "string",
        "format": "uri",
        "description": "Its public statement as a PDF",
    },
    "last_updated": {
        "type": "string",
        "format": "date-time",
        "description": "The last change to anything this entry shows (UTC): a public field, "
        "which fields are public, entering the register, or its published audits and impact "
        "assessments. Changes to fields that are not published do not count.",
    },
    "in_register_since": {
        "type": ["string", "null"],
        "format": "date",
        "description": "The day its current time in the register began",
    },
    "first_in_use_on": {
        "type": ["string", "null"],
        "format": "date",
        "description": "The day it first reached the stage 'deployment and use' (only when "
        "the life-cycle stage is published and the system is or was in use)",
    },
    "audit_and_evaluation_results": {
        "type": "array",
        "items": {"$ref": "#/$defs/evidence"},
        "description": "Accepted, current audits and evaluations of the system",
    },
    "impact_assessments": {
        "type": "array",
        "items": {"$ref": "#/$defs/evidence"},
        "description": "Accepted, current impact assessments (DPIA, FRIA, HRIA) of the system",
    },
}
FIRST_ALWAYS = ("id", "url", "statement_url")
# Entry keys in order: the same as the CSV's columns.
ENTRY_FIELDS = (*FIRST_ALWAYS, *PUBLIC_FIELDS, *(k for k in ALWAYS if k not in FIRST_ALWAYS))


@dataclass(frozen=True)
class Links:
    """Where things are on this installation (absolute URLs), made by the web layer."""

    page: Callable[[int], str]
    statement: Callable[[int], str]
    register: str
    about: str
    schema: str
    logo: str | None = None


def _day(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    return (moment.date() if isinstance(moment, datetime) else moment).isoformat()


def _moment(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def evidence_json(item: PublishedEvidence) -> dict[str, Any]:
    return {
        "title": item.title,
        "issuer": item.issuer,
        "issued_on": _day(item.issued_on),
        "accepted_on": _day(item.accepted_on),
    }


def entry_json(item: Entry, links: Links) -> dict[str, Any]:
    """One entry as the JSON and CSV forms publish it, keys in ``ENTRY_FIELDS`` order."""
    data: dict[str, Any] = {
        "id": item.id,
        "url": links.page(item.id),
        "statement_url": links.statement(item.id),
        **{name: _plain(value) for name, value in item.fields.items()},
        "last_updated": _moment(item.last_updated),
        "in_register_since": _day(item.published_since),
        "first_in_use_on": _day(item.first_in_use),
        "audit_and_evaluation_results": [evidence_json(r) for r in item.results],
        "impact_assessments": [evidence_json(a) for a in item.assessments],
    }
    return {key: data[key] for key in ENTRY_FIELDS if key in data}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def publisher_json(agency: Agency, links: Links) -> dict[str, Any]:
    return {
        "name": agency.name,
        "contact": agency.contact,
        "complaints": agency.complaints,
        "dpo_contact": agency.dpo_contact,
        "logo_url": links.logo if agency.has_logo else None,
        "register_url": links.register,
        "about_url": links.about,
    }


def _envelope(agency: Agency, links: Links, generated_at: datetime) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "schema": links.schema,
        "generated_at": _moment(generated_at),
        "publisher": publisher_json(agency, links),
    }


def register_document(
    entries: list[Entry],
    agency: Agency,
    wanted: RegisterFilter,
    links: Links,
    generated_at: datetime,
) -> dict[str, Any]:
    """The register (or the part a filter selects) as one JSON document."""
    return {
        **_envelope(agency, links, generated_at),
        "filters": {name: value or None for name, value in wanted.as_dict().items()},
        "count": len(entries),
        "systems": [entry_json(item, links) for item in entries],
    }


def system_document(
    item: Entry, agency: Agency, links: Links, generated_at: datetime
) -> dict[str, Any]:
    """One entry as a JSON document of its own."""
    return {**_envelope(agency, links, generated_at), "system": entry_json(item, links)}


# --- CSV ----------------------------------------------------------------------------------------


def _evidence_cell(item: dict[str, Any]) -> str:
    issuer = f" ({item['issuer']})" if item["issuer"] else ""
    return f"{item['accepted_on']} {item['title']}{issuer}"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        parts = [_evidence_cell(v) if isinstance(v, dict) else str(v) for v in value]
        value = LIST_SEPARATOR.join(parts)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula; keep it text
    return value


def register_csv(entries: Iterable[Entry], links: Links) -> str:
    """One row per entry, one column per entry field (``ENTRY_FIELDS``), lists joined with
    "; ", booleans as true/false, withheld fields empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ENTRY_FIELDS)
    for item in entries:
        data = entry_json(item, links)
        writer.writerow([_cell(data.get(name)) for name in ENTRY_FIELDS])
    return buffer.getvalue()


# --- JSON Schema --------------------------------------------------------------------------------


def _codes(name: str) -> dict[str, Any]:
    return {
        "oneOf": [{"const": code, "title": label} for code, label in vocabulary_of(name).items()]
    }


def field_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one publishable profile field."""
    if name in FIELD_VOCABULARIES and name not in CODE_LIST_FIELDS:
        schema = {"type": "string", **_codes(name)}
    elif name in CODE_LIST_FIELDS:
        schema = {"type": "array", "uniqueItems": True, "items": {"type": "string", **_codes(name)}}
    elif name in TEXT_FIELDS:
        schema = {"type": "string"}
    elif name in TEXT_LIST_FIELDS:
        schema = {"type": "array", "items": {"type": "string"}}
    elif name in BOOLEAN_FIELDS:
        schema = {"type": "boolean"}
    elif name in COUNTRY_FIELDS:
        schema = {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}}
    else:  # a test holds every publishable field to having a shape here
        raise KeyError(f"no JSON Schema for the public field {name!r}")
    return {**schema, "description": PUBLIC_FIELDS[name]}


def json_schema(schema_url: str) -> dict[str, Any]:
    """The JSON Schema of both documents: the register and a single system."""
    entry_properties = {
        **{name: ALWAYS[name] for name in FIRST_ALWAYS},
        **{name: field_schema(name) for name in PUBLIC_FIELDS},
        **{name: spec for name, spec in ALWAYS.items() if name not in FIRST_ALWAYS},
    }
    text = {"type": "string"}
    envelope = {
        "schema_version": {"const": SCHEMA_VERSION},
        "schema": {"type": "string", "format": "uri"},
        "generated_at": {"type": "string", "format": "date-time"},
        "publisher": {"$ref": "#/$defs/publisher"},
    }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_url,
        "title": "Public register of AI systems",
        "description": f"Schema version {SCHEMA_VERSION}. The register document (/register.json) "
        "or one system's document (/register/<id>.json). Fields a system does not publish are "
        "absent. Vocabulary fields carry codes; each code's English label is its title.",
        "oneOf": [{"$ref": "#/$defs/register"}, {"$ref": "#/$defs/system_document"}],
        "$defs": {
            "register": {
                "type": "object",
                "additionalProperties": False,
                "required": [*envelope, "filters", "count", "systems"],
                "properties": {
                    **envelope,
                    "filters": {"$ref": "#/$defs/filters"},
                    "count": {"type": "integer", "minimum": 0},
                    "systems": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
                },
            },
            "system_document": {
                "type": "object",
                "additionalProperties": False,
                "required": [*envelope, "system"],
                "properties": {**envelope, "system": {"$ref": "#/$defs/entry"}},
            },
            "publisher": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "name",
                    "contact",
                    "complaints",
                    "dpo_contact",
                    "logo_url",
                    "register_url",
                    "about_url",
                ],
                "properties": {
                    "name": {**text, "description": "The agency"},
                    "contact": {**text, "description": "The agency's contact for the register"},
                    "complaints": {**text, "description": "How to complain"},
                    "dpo_contact": {**text, "description": "The data protection officer"},
                    "logo_url": {"type": ["string", "null"], "format": "uri"},
                    "register_url": {"type": "string", "format": "uri"},
                    "about_url": {"type": "string", "format": "uri"},
                },
            },
            "filters": {
                "type": "object",
                "additionalProperties": False,
                "required": list(RegisterFilter().as_dict()),
                "properties": {
                    name: {"type": ["string", "null"]} for name in RegisterFilter().as_dict()
                },
            },
            "entry": {
                "type": "object",
                "additionalProperties": False,
                "required": list(ALWAYS),
                "properties": entry_properties,
            },
            "evidence": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "issuer", "issued_on", "accepted_on"],
                "properties": {
                    "title": text,
                    "issuer": text,
                    "issued_on": {"type": ["string", "null"], "format": "date"},
                    "accepted_on": {"type": "string", "format": "date"},
                },
            },
        },
    }
