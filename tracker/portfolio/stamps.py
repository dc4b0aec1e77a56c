"""Stamps: when each system's completeness facts last changed.

The triggers of schema version 11 (``tracker/migrations/0011_portfolio_index.py``) bump a
system's stamp in the same transaction as any insert, update or delete on ``ai_system``,
``operator``, ``waiver``, ``system_event`` and ``evidence_system``, and, through the systems
an item covers, on ``evidence`` and ``evidence_review``. Agency-wide evidence and its reviews
bump the agency's stamp (system id 0), which every system's answer depends on. Triggers rather
than calls in the domain functions: imports, scripts and plain SQL write too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

import peewee as pw

from tracker import prepared
from tracker.completeness.driver import among
from tracker.completeness.loader import end_of
from tracker.models import AISystem, CompletenessStamp

AGENCY = 0  # the stamp of what counts for every system


def agency_stamp() -> int:
    """The agency's stamp (0 before any agency-wide item)."""
    row = CompletenessStamp.get_or_none(CompletenessStamp.system_id == AGENCY)
    return row.stamp if row is not None else 0


def newest() -> int:
    """The newest stamp of all (0 before any write): an index look-up."""
    # Every portfolio read asks first: its SQL is built once (tracker.prepared).
    ((found,),) = prepared.rows(("newest stamp",), _newest)
    return found or 0


def _newest() -> pw.Query:
    return CompletenessStamp.select(pw.fn.MAX(CompletenessStamp.stamp))


def of_systems(system_ids: Iterable[int]) -> dict[int, int]:
    """Each system's stamp (0 for a system never written to since schema version 11)."""
    wanted = list(system_ids)
    found = dict(
        CompletenessStamp.select(CompletenessStamp.system_id, CompletenessStamp.stamp)
        .where(among(CompletenessStamp.system_id, wanted))
        .tuples()
    )
    return {system_id: found.get(system_id, 0) for system_id in wanted}


def still_current(model: type[pw.Model]) -> pw.Expression:
    """The condition that a row of ``model`` (a table derived from the stamps, with
    ``system_id``, ``stamp`` and ``agency_stamp`` columns) was computed at its system's current
    stamp and the agency's: for the reads of one system's rows."""
    current = pw.fn.COALESCE(
        CompletenessStamp.select(CompletenessStamp.stamp).where(
            CompletenessStamp.system_id == model.system_id
        ),
        0,
    )
    agency = pw.fn.COALESCE(
        CompletenessStamp.select(CompletenessStamp.stamp).where(
            CompletenessStamp.system_id == AGENCY
        ),
        0,
    )
    return (model.stamp == current) & (model.agency_stamp == agency)


def not_current(
    model: type[pw.Model],
    day_field: pw.Field,
    day: date,
    key: str,
    *also: pw.Expression,
) -> pw.ModelSelect:
    """(system id, its row's system id or None) of each system registered by the end of ``day``
    whose row of ``model`` (a table derived from the stamps: the portfolio's rows, the chart's
    points) for the day is missing, was computed at other stamps or under another catalogue
    key, or meets any of ``also``; in system id order."""
    return _joined(model, day_field == day).where(
        (AISystem.created_at <= end_of(day)) & _outdated_condition(model, key, also)
    )


def not_current_on_registration(
    model: type[pw.Model], day_field: pw.Field, key: str, after: date, before: date
) -> pw.ModelSelect:
    """(system id, when it was registered) of each system registered after the day ``after``
    and before the day ``before`` whose row of ``model`` for the day it was registered is
    missing or not current (as :func:`not_current`); in system id order."""
    registered_on = pw.fn.DATE(AISystem.created_at)  # a date on both databases
    return (
        _joined(model, day_field == registered_on)
        .select(AISystem.id, AISystem.created_at)
        .where(registered_between(after, before) & _outdated_condition(model, key, ()))
    )


def registered_between(after: date, before: date) -> pw.Expression:
    """The condition that a system was registered after the day ``after``, before ``before``."""
    return (AISystem.created_at > end_of(after)) & (
        AISystem.created_at < datetime.combine(before, time.min)
    )


def _outdated_condition(model: type[pw.Model], key: str, also: tuple) -> pw.Expression:
    outdated = (
        model.system_id.is_null()
        | (model.stamp != pw.fn.COALESCE(CompletenessStamp.stamp, 0))
        | (model.agency_stamp != agency_stamp())
        | (model.catalogue_key != key)
    )
    for condition in also:
        outdated |= condition
    return outdated


def _joined(model: type[pw.Model], same_day: pw.Expression) -> pw.ModelSelect:
    """Every system with its stamp and its row of ``model`` on ``same_day``, if any."""
    return (
        AISystem.select(AISystem.id, model.system_id)
        .join(
            CompletenessStamp,
            pw.JOIN.LEFT_OUTER,
            on=(CompletenessStamp.system_id == AISystem.id),
        )
        .switch(AISystem)
        .join(model, pw.JOIN.LEFT_OUTER, on=((model.system_id == AISystem.id) & same_day))
        .order_by(AISystem.id)
        .tuples()
    )
