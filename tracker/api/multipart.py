"""Multipart bodies as one set of arguments: form fields and files together.

webargs reads form fields and files from separate locations, and the OpenAPI
document can only describe one request body; a multipart body is both, so
this blueprint's ``form`` location sees both and is documented as
``multipart/form-data``.
"""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from werkzeug.datastructures import CombinedMultiDict

from tracker.api.blueprint import Blueprint, TrackerParser


class MultipartParser(TrackerParser):
    def load_form(self, req: flask.Request, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class MultipartBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "form": "multipart/form-data",
    }
