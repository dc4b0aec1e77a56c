"""The Blueprint every API module uses: bounded page numbers and no NUL characters in input.

flask-smorest leaves ``page`` unbounded: ``page=10**20`` reached the database as an OFFSET
neither SQLite nor PostgreSQL can hold and failed with a server error. Here ``page`` is at most
``MAX_PAGE``, so the offset always fits a 64-bit integer, and the OpenAPI document says so.

No text the tracker stores or searches may hold a NUL character: PostgreSQL refuses one in any
text value (the request failed with a server error there) and SQLite would keep a string other
tools cut short. The arguments parser refuses it in every query, JSON and form argument, file
names included, with a 422 naming each place, the same way on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import flask_smorest
import marshmallow as ma
from flask_smorest import pagination as smorest_pagination
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import FileStorage, MultiDict

from tracker.db import MAX_ID
from tracker.i18n import N_

# A page past the last one answers an empty list; a page number beyond this is refused (422).
MAX_PAGE = MAX_ID
# English in the API's problem documents, as marshmallow's messages are; in the catalogue too
NUL_MESSAGE = N_("Must not contain NUL characters.")

_smorest_page_parameters = smorest_pagination._pagination_parameters_schema_factory


def nul_characters(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Where in decoded input (JSON, a form or query MultiDict, uploads) a NUL character is."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, FileStorage):
        if "\x00" in (value.filename or ""):
            yield path
    elif isinstance(value, MultiDict):
        for key, values in value.lists():
            yield from nul_characters([key, *values] if "\x00" in key else values, (*path, key))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            inner = (*path, str(key))
            if "\x00" in str(key):
                yield inner
            else:
                yield from nul_characters(item, inner)
    elif isinstance(value, list | tuple):
        if len(value) == 1 and path and isinstance(value, list) and not isinstance(value[0], dict):
            # a MultiDict's single value: name the field, not its first element
            yield from nul_characters(value[0], path)
            return
        for index, item in enumerate(value):
            yield from nul_characters(item, (*path, str(index)))


def nul_errors(paths: list[tuple[str, ...]]) -> dict[str, Any]:
    """marshmallow's nested messages for each place a NUL character was found."""
    errors: dict[str, Any] = {}
    for path in paths:
        node = errors
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1] if path else "_schema"] = [NUL_MESSAGE]
    return errors


class TrackerParser(FlaskParser):
    """webargs' Flask parser, refusing NUL characters before the schema sees the input."""

    def pre_load(self, location_data: Any, *, schema: ma.Schema, req: Any, location: str) -> Any:
        raw = getattr(location_data, "data", location_data)  # a MultiDictProxy's MultiDict
        found = list(nul_characters(raw))
        if found:
            raise ma.ValidationError(nul_errors(found))
        return location_data


def bounded_page_parameters(
    default_page: int, default_page_size: int, max_page_size: int
) -> type[ma.Schema]:
    """flask-smorest's page parameters schema, with ``page`` capped at ``MAX_PAGE``."""

    class PaginationParametersSchema(
        _smorest_page_parameters(default_page, default_page_size, max_page_size)
    ):
        page = ma.fields.Integer(
            load_default=default_page, validate=ma.validate.Range(min=1, max=MAX_PAGE)
        )

    return PaginationParametersSchema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the two rules of the module docstring."""

    ARGUMENTS_PARSER = TrackerParser()

    def paginate(self, pager=None, *, page=None, page_size=None, max_page_size=None):
        # flask-smorest builds the page parameters schema with a module-level factory while the
        # view is decorated (at import) and has no hook to replace it: swap it for this call.
        smorest_pagination._pagination_parameters_schema_factory = bounded_page_parameters
        try:
            return super().paginate(
                pager, page=page, page_size=page_size, max_page_size=max_page_size
            )
        finally:
            smorest_pagination._pagination_parameters_schema_factory = _smorest_page_parameters
