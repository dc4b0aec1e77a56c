"""JSON answers encoded by orjson, as Flask's own encoder would have written them.

Encoding was a seventh of one system's completeness answer under load (py-spy): the standard
library's encoder, sorting every object's keys, on a few hundred requirements. orjson writes
the same JSON (keys sorted, compact) several times faster. Values orjson would write otherwise
than Flask (dates, which Flask writes as HTTP dates; dataclasses; Decimal) still go through
Flask's conversion, and anything orjson cannot encode at all (an integer beyond 64 bits, mixed
key types) or a call asking for the standard library's options (an indent) falls back to it.
Non-ASCII characters are sent as UTF-8 instead of \\u escapes: the same JSON to any parser.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_COMPACT = {"separators": (",", ":")}  # what Flask's response() asks for outside debug mode
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME  # to Flask's default(): HTTP dates, as before
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_NON_STR_KEYS
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson doing the encoding (module doc)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs and kwargs != _COMPACT:
            return super().dumps(obj, **kwargs)
        options = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        try:
            return orjson.dumps(obj, default=self.default, option=options).decode()
        except TypeError:
            return super().dumps(obj, **kwargs)
