"""Marshmallow fields the API shares: UTC timestamps with an offset, ids in the database range.

The database stores naive UTC datetimes (``tracker.db.utcnow``). marshmallow's ``DateTime``
writes a naive value without any offset, which neither RFC 3339 nor the OpenAPI ``date-time``
format allows and which a client could read as its own local time; and an offset-carrying input
at the ends of the calendar (``0001-01-01T00:00:00+05:00``) cannot be moved to UTC at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import fields, validate

from tracker.db import MAX_ID
from tracker.i18n import N_


class UtcDateTime(fields.AwareDateTime):
    """An RFC 3339 timestamp: written with ``+00:00``, read into the naive UTC the models store.

    A naive input is read as UTC when ``default_timezone`` is UTC (the default) and refused when
    it is ``None``; an input with an offset is moved to UTC, and one that falls outside the
    calendar once moved (before year 1 or after year 9999) is refused as invalid input.
    """

    default_error_messages = {
        "out_of_range": N_("Not a valid datetime: it falls outside years 1 to 9999 in UTC."),
    }

    def __init__(self, *, default_timezone: dt.tzinfo | None = dt.UTC, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=default_timezone, **kwargs)

    def _serialize(self, value: dt.datetime | None, attr: str | None, obj: Any, **kwargs: Any):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        aware = super()._deserialize(value, attr, data, **kwargs)
        try:
            return aware.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError as error:
            raise self.make_error("out_of_range") from error


def database_id(**kwargs: Any) -> fields.Integer:
    """An id of a row: 1 to ``MAX_ID`` (the databases' integer column), else invalid input.

    Beyond the range no row can match, and the value would not even reach the query: SQLite
    and PostgreSQL refuse integers wider than their columns (a server error before this).
    """
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
