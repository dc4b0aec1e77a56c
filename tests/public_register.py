"""Helpers for the public register's tests: reading the text of a PDF statement, and checking a
JSON document against the JSON Schema the register serves (``jsonschema`` is not a dependency;
this checks the keywords that schema uses, and fails on any other)."""

from __future__ import annotations

import io
import re
import zlib
from datetime import date, datetime
from typing import Any

_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def pdf_text(data: bytes) -> str:
    """The text an fpdf2 PDF shows, its lines joined with single spaces."""
    lines = []
    for stream in _STREAM.finditer(data):
        try:
            content = zlib.decompress(stream.group(1))
        except zlib.error:
            continue  # an image, or an uncompressed stream
        for found in _TEXT.finditer(content):
            text = re.sub(rb"\\(.)", rb"\1", found.group(1))
            lines.append(text.decode("latin-1"))
    return " ".join(" ".join(lines).split())


KNOWN = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "uniqueItems", "oneOf", "const", "minimum", "pattern",
    "format",
}  # fmt: skip
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "boolean": bool,
    "null": type(None),
}


def _is(value: Any, name: str) -> bool:
    if name in ("integer",) and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[name])


def _format_ok(value: str, fmt: str) -> bool:
    if fmt == "date":
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(date.fromisoformat(value))
    if fmt == "date-time":
        return value.endswith("Z") and bool(datetime.fromisoformat(value[:-1]))
    if fmt == "uri":
        return bool(re.match(r"^https?://[^\s]+$", value))
    raise AssertionError(f"unknown format {fmt!r}")


def violations(value: Any, schema: dict, root: dict, path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (a JSON Schema 2020-12 subset), as readable lines."""
    unknown = set(schema) - KNOWN
    assert not unknown, f"the checker does not know {sorted(unknown)} (at {path})"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return violations(value, root["$defs"][name], root, path)
    problems: list[str] = []
    if "oneOf" in schema:
        outcomes = [violations(value, s, root, path) for s in schema["oneOf"]]
        passing = sum(not found for found in outcomes)
        if passing != 1:
            problems.append(f"{path}: matches {passing} of oneOf, not exactly one")
        if not passing:  # say why the closest alternative fails
            problems += min(outcomes, key=len)
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, t) for t in types):
            return [*problems, f"{path}: {value!r} is not of type {types}"]
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if "format" in schema and not _format_ok(value, schema["format"]):
            problems.append(f"{path}: {value!r} is not a {schema['format']}")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{path}: {value} < {schema['minimum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}: lacks required {name!r}")
        for name, item in value.items():
            if name in properties:
                problems += violations(item, properties[name], root, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{path}: {name!r} is not in the schema")
    if isinstance(value, list):
        if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            problems.append(f"{path}: items are not unique")
        for number, item in enumerate(value):
            problems += violations(item, schema.get("items", {}), root, f"{path}[{number}]")
    return problems


def png_logo() -> bytes:
    """A small real PNG, as an agency's logo."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 24), (31, 78, 140)).save(buffer, format="PNG")
    return buffer.getvalue()
