"""Reading HTML form values into the shapes the domain functions take, and showing errors."""

from __future__ import annotations

from typing import Any

from flask import render_template
from werkzeug.exceptions import HTTPException

from tracker.errors import TrackerError, flatten_messages
from tracker.i18n import N_
from tracker.i18n import gettext as _


def lines(text: str) -> list[str]:
    """One list entry per non-empty line of a textarea."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def contacts(text: str) -> list[dict[str, str]]:
    """``Name <email>`` or ``Name, email`` per line."""
    found = []
    for line in lines(text):
        if "<" in line and line.endswith(">"):
            name, _sep, email = line[:-1].partition("<")
        else:
            name, _sep, email = line.rpartition(",")
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


# The headings of error pages, by HTTP status (a domain error's English title is its status's).
ERROR_TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed here"),
    409: N_("Conflict"),
    413: N_("Too large"),
    422: N_("Invalid input"),
}
# What a page says when the error came with no message of its own (werkzeug's are English).
ERROR_MESSAGES = {
    403: N_("Your role does not allow this."),
    404: N_("There is nothing at this address. Check the link, or start again from the portfolio."),
    405: N_("This page cannot be used that way."),
}


def error_title(status: int, fallback: str) -> str:
    title = ERROR_TITLES.get(status)
    return _(title) if title else fallback


def domain_error_page(error: TrackerError) -> tuple[str, int]:
    title = error_title(error.status, error.title)
    return render_template("error.html", title=title, message=str(error)), error.status


def http_error_page(error: HTTPException) -> Any:
    """``abort(403)``, ``abort(404, "...")`` in a page: an error page in the reader's language."""
    if error.code is None or error.code < 400:
        return error
    if error.description != type(error).description:
        message = error.description or ""  # the page's own words
    elif error.code in ERROR_MESSAGES:
        message = _(ERROR_MESSAGES[error.code])
    else:
        message = error.description or ""
    return render_template(
        "error.html", title=error_title(error.code, error.name), message=message
    ), error.code
