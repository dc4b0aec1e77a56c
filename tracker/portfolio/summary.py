"""A system's completeness summary kept as JSON text, and made a summary again.

What the portfolio stores per system and date: the engine's
:class:`~tracker.completeness.facts.SystemCompleteness` without its per-requirement items
(a summary has none), its sentences (the reasons, why nothing applies) kept as their English
and as data (:func:`tracker.i18n.text.to_data`), so that a restored summary reads in each
reader's language exactly as the engine's own would, and its JSON in the API is the same
English.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from tracker.completeness.facts import Score, SystemCompleteness
from tracker.i18n.text import Kept, english, to_data

# The layout of the JSON below: part of every row's key (tracker.portfolio.index), so that rows
# an earlier version wrote are stale, never misread. Change it whenever the layout changes.
FORMAT = 1


class Writer:
    """Writes summaries as JSON text. Summaries share their sentences (the engine makes a
    blocking reason once per set of requirements and reuses it), so each sentence is written
    once and its text reused: a portfolio's reasons are mostly the same few hundred."""

    def __init__(self) -> None:
        # id -> (the sentence, kept alive; [English, data]; that pair as JSON text)
        self._texts: dict[int, tuple[Any, list[str], str]] = {}

    def pair(self, value: Any) -> list[str]:
        """A sentence as [English, its data as JSON text]: the English is all most readers
        need, and the data is parsed only for another language (:class:`Kept`)."""
        return self._kept(value)[1]

    def _text(self, value: Any) -> str:
        """:meth:`pair` as JSON text."""
        return self._kept(value)[2]

    def _kept(self, value: Any) -> tuple[Any, list[str], str]:
        found = self._texts.get(id(value))
        if found is None:
            pair = [english(value), json_text(to_data(value))]
            found = self._texts[id(value)] = (value, pair, json_text(pair))
        return found

    def dumps(self, result: SystemCompleteness) -> str:
        """The summary as JSON text."""
        fields = json_text(
            {
                "system_id": result.system_id,
                "name": result.name,
                "lifecycle_stage": result.lifecycle_stage,
                "next_stage": result.next_stage,
                "as_of": result.as_of.isoformat(),
                "frameworks": {name: score.counts for name, score in result.frameworks.items()},
                "overall": result.overall.counts,
                "ready": result.ready,
                "retired": result.retired,
                "event_counts": result.event_counts,
                "blocking_statuses": result.blocking_statuses,
                "changes_at": result.changes_at.isoformat() if result.changes_at else None,
            }
        )
        reasons = ",".join(self._text(reason) for reason in result.reasons)
        nothing = self._text(result.nothing_applies)
        return f'{fields[:-1]},"reasons":[{reasons}],"nothing_applies":{nothing}}}'


def json_text(value: Any) -> str:
    """Compact JSON text, non-ASCII characters as they are. orjson: the standard library's
    encoder was a tenth of a full recompute (tracker portfolio refresh --all), for the same
    values read back by any JSON parser."""
    return orjson.dumps(value).decode()


def loads(text: str) -> SystemCompleteness:
    """The summary :meth:`Writer.dumps` kept."""
    return restore(orjson.loads(text))


def restore(data: dict[str, Any]) -> SystemCompleteness:
    """The summary :meth:`Writer.dumps` kept, from its parsed JSON."""
    scores: dict[tuple, Score] = {}  # as the engine does, results share equal scores

    def score(counts: dict[str, int]) -> Score:
        key = tuple(counts.items())
        found = scores.get(key)
        if found is None:
            found = scores[key] = Score.of(counts)
        return found

    return SystemCompleteness(
        data["system_id"],
        data["name"],
        data["lifecycle_stage"],
        data["next_stage"],
        date.fromisoformat(data["as_of"]),
        [],
        {name: score(counts) for name, counts in data["frameworks"].items()},
        score(data["overall"]),
        data["ready"],
        [Kept(*reason) for reason in data["reasons"]],
        data["retired"],
        Kept(*data["nothing_applies"]),
        event_counts=data["event_counts"],
        blocking_statuses=data["blocking_statuses"],
        changes_at=datetime.fromisoformat(data["changes_at"]) if data["changes_at"] else None,
    )
