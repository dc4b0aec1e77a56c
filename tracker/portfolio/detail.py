"""A system's whole answer kept for its page, and made an answer again.

The system page shows today's answer in its reader's language: every requirement with its
evidence, notes and the reasons it applies, the event duties, and the operators the answer
counted. Replaying the system's facts for it was a third of the page's time at national
scale (seven queries and the engine over a hundred requirements), for an answer that only
changes when the API's does. So the answer is kept beside the API's (:mod:`.answers`), written
by the same refresh from the same evaluation, and read back here.

Its sentences are kept as their English and as data, as a summary's are (:mod:`.summary`): a
restored answer reads in each reader's language exactly as the engine's own. Rows are lists in
the order of their class's fields (``tests/portfolio/test_detail.py`` holds every field of
every class to its round trip).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from tracker.completeness.facts import (
    EventDuty,
    EvidenceRef,
    ItemStatus,
    OperatorFact,
    OperatorStatus,
    SystemCompleteness,
    as_day,
)
from tracker.i18n.text import Kept, Phrase
from tracker.portfolio import summary

# The layout below: part of every kept answer's key (tracker.portfolio.answers.answer_key), so
# that what an earlier layout wrote is stale, never misread. Change it with the layout.
FORMAT = 1


class Writer:
    """Writes whole answers as JSON. Answers share most of their sentences (a requirement's
    title and citation, the reasons a jurisdiction reaches the agency): each is made data
    once per writer, which keeps them alive, so use one writer per chunk of systems."""

    def __init__(self) -> None:
        self._summary = summary.Writer()

    def dumps(self, result: SystemCompleteness, operators: list[OperatorFact]) -> bytes:
        """A detailed answer, and the operators it counted, as JSON."""
        return orjson.dumps(
            {
                "summary": orjson.Fragment(self._summary.dumps(result)),
                "items": [self._item(item) for item in result.items],
                "events": [self._duty(duty) for duty in result.events],
                "operators": [[op.id, op.name, op.email, op.unit] for op in operators],
            }
        )

    def _text(self, value: str) -> str | list[str]:
        # A sentence as [English, data]; text that is not one (a title someone typed) as is.
        return self._summary.pair(value) if isinstance(value, Phrase) else value

    def _item(self, item: ItemStatus) -> list[Any]:
        text = self._text
        return [
            item.requirement_id,
            item.framework,
            text(item.title),
            item.scope,
            item.status,
            item.due_before,
            item.blocking,
            text(item.citation),
            item.verification,
            item.owner,
            _day(item.in_force_from),
            _day(item.valid_until),
            [self._ref(ref) for ref in item.evidence],
            [[op.id, op.name, op.status] for op in item.operators],
            item.waiver_id,
            text(item.detail),
            text(item.why),
        ]

    def _ref(self, ref: EvidenceRef) -> list[Any]:
        return [
            ref.id,
            self._text(ref.title),
            ref.kind,
            ref.version,
            ref.status,
            _day(ref.valid_until),
            self._text(ref.note),
        ]

    def _duty(self, duty: EventDuty) -> list[Any]:
        text = self._text
        return [
            duty.event_id,
            duty.kind,
            _moment(duty.occurred_at),
            text(duty.description),
            duty.requirement_id,
            duty.framework,
            text(duty.title),
            text(duty.citation),
            duty.verification,
            duty.owner,
            _moment(duty.deadline),
            duty.status,
            duty.late,
            [self._ref(ref) for ref in duty.evidence],
            duty.waiver_id,
            text(duty.detail),
        ]


def loads(data: bytes) -> tuple[SystemCompleteness, list[OperatorFact]]:
    """The answer and operators :meth:`Writer.dumps` kept."""
    parsed = orjson.loads(data)
    result = summary.restore(parsed["summary"])
    result.items = [_item(row) for row in parsed["items"]]
    result.events = [_duty(row) for row in parsed["events"]]
    return result, [OperatorFact(*row) for row in parsed["operators"]]


def _read(value: str | list[str]) -> str:
    return Kept(*value) if isinstance(value, list) else value


def _item(row: list[Any]) -> ItemStatus:
    (rid, framework, title, scope, status, due, blocking, citation, mark, owner, *rest) = row
    start, end, evidence, operators, waiver_id, detail, why = rest
    return ItemStatus(
        rid,
        framework,
        _read(title),
        scope,
        status,
        due,
        blocking,
        _read(citation),
        mark,
        owner,
        as_day(start),
        as_day(end),
        [_ref(ref) for ref in evidence],
        [OperatorStatus(*op) for op in operators],
        waiver_id,
        _read(detail),
        _read(why),
    )


def _ref(row: list[Any]) -> EvidenceRef:
    ref_id, title, kind, version, status, valid_until, note = row
    return EvidenceRef(
        ref_id, _read(title), kind, version, status, as_day(valid_until), _read(note)
    )


def _duty(row: list[Any]) -> EventDuty:
    (event_id, kind, occurred, description, rid, framework, title, citation, *rest) = row
    mark, owner, deadline, status, late, evidence, waiver_id, detail = rest
    return EventDuty(
        event_id,
        kind,
        datetime.fromisoformat(occurred),
        _read(description),
        rid,
        framework,
        _read(title),
        _read(citation),
        mark,
        owner,
        datetime.fromisoformat(deadline),
        status,
        late,
        [_ref(ref) for ref in evidence],
        waiver_id,
        _read(detail),
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime | str) -> str:
    # SQLite hands some moments back as ISO text until someone needs them.
    return value if isinstance(value, str) else value.isoformat()
