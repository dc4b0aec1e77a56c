"""Reading HTML form values into the shapes the domain functions take, and showing errors."""

from __future__ import annotations

from typing import Any

from flask import render_template

from tracker.errors import NotFound, TrackerError, flatten_messages


def lines(text: str) -> list[str]:
    """One list entry per non-empty line of a textarea."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def contacts(text: str) -> list[dict[str, str]]:
    """``Name <email>`` or ``Name, email`` per line."""
    found = []
    for line in lines(text):
        if "<" in line and line.endswith(">"):
            name, _, email = line[:-1].partition("<")
        else:
            name, _, email = line.rpartition(",")
        found.append({"name": name.strip(), "email": email.strip()})
    return found


def field_errors(errors: dict[str, Any], name: str) -> list[str]:
    """The messages about one field (nested messages flattened)."""
    value = errors.get(name)
    if value is None:
        return []
    if isinstance(value, dict):
        return flatten_messages(value)
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def domain_error_page(error: TrackerError) -> tuple[str, int]:
    title = "Not found" if isinstance(error, NotFound) else error.title
    return render_template("error.html", title=title, message=str(error)), error.status
