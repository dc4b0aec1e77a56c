"""The AI system register: create, change, retire and find systems and their operators.

Plain Python over the models; every change is validated against the full
profile rules and written with its audit event in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import marshmallow as ma
import peewee as pw

from tracker import audit, prepared
from tracker.db import utcnow, write_transaction
from tracker.errors import Conflict, ValidationFailed
from tracker.events.kinds import unknown_kind
from tracker.i18n.text import Phrase, joined
from tracker.models import AISystem, Operator, SystemEvent, User
from tracker.plugin_host import Catalogue
from tracker.profile import (
    PROFILE_FIELDS,
    OperatorPatchSchema,
    OperatorSchema,
    SystemProfileSchema,
    check_answers,
)

SYSTEM_FILTERS = (
    "lifecycle_stage",
    "risk_level",
    "purpose_type",
    "development_approach",
    "biometric_identification",
    "public_facing",
    "processes_personal_data",
    "profiling",
    "public_authority",
)
# Filters on set facts: systems whose set holds the value.
SET_FILTERS = ("ai_act_roles", "people_affected", "annex_iii_areas", "countries")


def profile_of(system: AISystem) -> dict[str, Any]:
    return {name: getattr(system, name) for name in PROFILE_FIELDS}


def validate_profile(data: Mapping[str, Any], catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The cleaned profile, or ValidationFailed naming each bad field and its rule.

    Answers are checked against the enabled plugins' questions, and jurisdictions
    against the enabled jurisdictions.
    """
    catalogue = catalogue or Catalogue()
    try:
        profile = SystemProfileSchema().load(data)
    except ma.ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None
    errors: dict[str, Any] = {}
    if answer_errors := check_answers(profile["answers"], catalogue.questions):
        errors["answers"] = answer_errors
    unknown = [j for j in profile["jurisdictions"] if j not in catalogue.jurisdictions]
    if unknown:
        enabled = joined(sorted(catalogue.jurisdictions), ", ") or Phrase("none")
        errors["jurisdictions"] = [
            Phrase(
                "Not an enabled jurisdiction: %(unknown)s (enabled: %(enabled)s).",
                unknown=joined(unknown, ", "),
                enabled=enabled,
            )
        ]
    if errors:
        raise ValidationFailed(errors)
    profile["jurisdictions"] = sorted(set(profile["jurisdictions"]))
    return profile


def get_system(system_id: int) -> AISystem:
    return AISystem.find_by_id(system_id)


def create_system(
    data: Mapping[str, Any], actor: str, catalogue: Catalogue | None = None
) -> AISystem:
    profile = validate_profile(data, catalogue)
    with write_transaction():
        system = AISystem.create(**profile)
        audit.record(actor, "system.created", "ai_system", system.id, after=profile)
    return system


def update_system(
    system: AISystem,
    changes: Mapping[str, Any],
    actor: str,
    catalogue: Catalogue | None = None,
) -> AISystem:
    """Apply ``changes`` to the profile; the whole resulting profile must be valid."""
    if system.retired_at is not None:
        raise Conflict(
            Phrase("AI system %(id)s is retired; its profile can no longer change", id=system.id)
        )
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed({name: [Phrase("Unknown field.")] for name in sorted(unknown)})
    before = profile_of(system)
    after = validate_profile({**before, **changes}, catalogue)
    old, new = audit.changes(before, after)
    if not new:
        return system
    with write_transaction():
        for name, value in new.items():
            setattr(system, name, value)
        system.updated_at = utcnow()
        system.save()
        audit.record(actor, "system.updated", "ai_system", system.id, before=old, after=new)
    return system


def retire_system(system: AISystem, reason: str, actor: str) -> AISystem:
    """Take a system out of the register's active list; it and its history stay."""
    if not reason.strip():
        raise ValidationFailed({"reason": [Phrase("A reason is required to retire a system.")]})
    if system.retired_at is not None:
        raise Conflict(
            Phrase(
                "AI system %(id)s was already retired on %(day)s",
                id=system.id,
                day=system.retired_at.date(),
            )
        )
    with write_transaction():
        system.retired_at = utcnow()
        system.retired_reason = reason.strip()
        system.save()
        audit.record(
            actor,
            "system.retired",
            "ai_system",
            system.id,
            before={"retired_at": None},
            after={"retired_at": system.retired_at, "retired_reason": system.retired_reason},
        )
    return system


def find_systems(filters: Mapping[str, Any]) -> pw.ModelSelect:
    """Systems matching ``filters`` (vocabulary fields, ``q`` text search, ``include_retired``)."""
    query = AISystem.select().order_by(AISystem.id)
    if not filters.get("include_retired"):
        query = query.where(AISystem.retired_at.is_null())
    for name in SYSTEM_FILTERS:
        if filters.get(name) is not None:
            query = query.where(getattr(AISystem, name) == filters[name])
    for name in SET_FILTERS:
        if filters.get(name) is not None:
            # JSON text of a list of codes: the quoted code occurs exactly when the set holds it.
            column = pw.Cast(getattr(AISystem, name), "TEXT")
            query = query.where(column.contains(f'"{filters[name]}"'))
    if text := filters.get("q"):
        pattern = f"%{text}%"
        query = query.where(
            AISystem.name.ilike(pattern)
            | AISystem.purpose.ilike(pattern)
            | AISystem.vendor.ilike(pattern)
        )
    return query


# Operators: the people authorised to use a system.


def _operator_data(data: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
    """The operator's columns: the authorisation's days become the moments it starts (the
    first day's midnight UTC) and ends (the midnight after its last day)."""
    try:
        clean = (OperatorPatchSchema() if partial else OperatorSchema()).load(data)
    except ma.ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None
    if "authorised_from" in clean:
        first = clean.pop("authorised_from")
        if first is not None:
            clean["added_at"] = datetime.combine(first, time.min)
    if "authorised_until" in clean:
        last = clean.pop("authorised_until")
        clean["removed_at"] = datetime.combine(last + timedelta(days=1), time.min) if last else None
    return clean


def last_day(operator: Operator) -> date | None:
    """The last day an operator is (or was) authorised; None: until removed."""
    if operator.removed_at is None:
        return None
    return (operator.removed_at - timedelta(microseconds=1)).date()


def has_ended(operator: Operator, now: datetime | None = None) -> bool:
    """Removed, or past the last day of the authorisation."""
    return operator.removed_at is not None and operator.removed_at <= (now or utcnow())


def _check_period(start: datetime, end: datetime | None) -> None:
    if end is not None and end <= start:
        raise ValidationFailed(
            {
                "authorised_until": [
                    Phrase(
                        "Must be on or after the first day of the authorisation (%(day)s).",
                        day=start.date(),
                    )
                ]
            }
        )


def list_operators(system: AISystem, include_removed: bool = False) -> pw.ModelSelect:
    """The system's operators: those authorised now or later (and, if asked, those whose
    authorisation has ended)."""
    query = Operator.select().where(Operator.system == system).order_by(Operator.id)
    if not include_removed:
        query = query.where(Operator.removed_at.is_null() | (Operator.removed_at > utcnow()))
    return query


def get_operator(system: AISystem, operator_id: int) -> Operator:
    return Operator.find(
        (Operator.id == operator_id) & (Operator.system == system), identifier=operator_id
    )


def _refuse_duplicate(system: AISystem, email: str, exclude: int | None = None) -> None:
    query = list_operators(system).where(pw.fn.LOWER(Operator.email) == email.lower())
    if exclude is not None:
        query = query.where(Operator.id != exclude)
    if query.exists():
        raise ValidationFailed(
            {"email": [Phrase("%(email)s is already an operator of this system.", email=email)]}
        )


def add_operator(system: AISystem, data: Mapping[str, Any], actor: str) -> Operator:
    if system.retired_at is not None:
        raise Conflict(
            Phrase("AI system %(id)s is retired; operators can no longer be added", id=system.id)
        )
    clean = _operator_data(data)
    clean.setdefault("added_at", utcnow())
    _check_period(clean["added_at"], clean.get("removed_at"))
    if not (clean.get("removed_at") and clean["removed_at"] <= utcnow()):  # a past one is history
        _refuse_duplicate(system, clean["email"])
    with write_transaction():
        operator = Operator.create(system=system, **clean)
        audit.record(
            actor,
            "operator.added",
            "operator",
            operator.id,
            after={"system_id": system.id, **clean},
        )
    return operator


def update_operator(operator: Operator, data: Mapping[str, Any], actor: str) -> Operator:
    if has_ended(operator):
        raise Conflict(
            Phrase("operator %(id)s was removed and can no longer change", id=operator.id)
        )
    clean = _operator_data(data, partial=True)
    _check_period(
        clean.get("added_at", operator.added_at), clean.get("removed_at", operator.removed_at)
    )
    if "email" in clean:
        _refuse_duplicate(operator.system, clean["email"], exclude=operator.id)
    before = {k: getattr(operator, k) for k in clean}
    old, new = audit.changes(before, clean)
    if not new:
        return operator
    with write_transaction():
        Operator.update(**new).where(Operator.id == operator.id).execute()
        audit.record(actor, "operator.updated", "operator", operator.id, before=old, after=new)
    return Operator.get_by_id(operator.id)


def remove_operator(operator: Operator, actor: str) -> Operator:
    """End an operator's authorisation; the record stays for past completeness."""
    if has_ended(operator):
        raise Conflict(Phrase("operator %(id)s was already removed", id=operator.id))
    before = operator.removed_at  # a last day still ahead, or None
    with write_transaction():
        operator.removed_at = utcnow()
        operator.save()
        audit.record(
            actor,
            "operator.removed",
            "operator",
            operator.id,
            before={"removed_at": before},
            after={"removed_at": operator.removed_at},
        )
    return operator


# Dated events: a use, a breach, an incident ... starts the deadlines requirements count from it.

EVENT_DESCRIPTION_MAX = 2000
# A clock a little ahead of the server's is not "the future".
CLOCK_SKEW = timedelta(minutes=5)


def record_event(
    system: AISystem,
    kind: str,
    occurred_at: datetime,
    description: str,
    user: User | None,
    actor: str,
    catalogue: Catalogue | None = None,
    *,
    now: datetime | None = None,
) -> SystemEvent:
    """Record that something happened to a system at ``occurred_at`` (UTC; an aware time is
    converted). The kind must be one the catalogue knows (the core kinds and the plugins');
    the moment must have passed, and fall before the system was retired. ``now`` is the moment
    of recording (default: the clock), from which replays know of the event."""
    catalogue = catalogue or Catalogue()
    now = now or utcnow()
    if occurred_at.tzinfo is not None:
        occurred_at = occurred_at.astimezone(UTC).replace(tzinfo=None)
    errors: dict[str, list[str]] = {}
    if kind not in catalogue.event_kinds:
        # the sentence's full stop after the kinds' list, in every language
        errors["kind"] = [joined([unknown_kind(kind, catalogue.event_kinds), "."], "")]
    if occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = [
            Phrase(
                "Must not be in the future (it is %(now)s UTC): record an event once it has "
                "happened.",
                now=now.strftime("%Y-%m-%d %H:%M"),
            )
        ]
    elif system.retired_at is not None and occurred_at > system.retired_at:
        errors["occurred_at"] = [
            Phrase(
                "Must be before the system was retired (%(retired)s UTC).",
                retired=system.retired_at.strftime("%Y-%m-%d %H:%M"),
            )
        ]
    if len(description) > EVENT_DESCRIPTION_MAX:
        errors["description"] = [
            Phrase("Longer than %(max)s characters.", max=EVENT_DESCRIPTION_MAX)
        ]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        event = SystemEvent.create(
            system=system,
            kind=kind,
            occurred_at=occurred_at,
            description=description,
            recorded_by=user,
            recorded_at=now,
        )
        audit.record(
            actor,
            "system.event_recorded",
            "system_event",
            event.id,
            after={
                "system_id": system.id,
                "kind": kind,
                "occurred_at": occurred_at,
                "description": description,
            },
        )
    return event


def events_of(system: AISystem, kind: str | None = None) -> pw.ModelSelect:
    """The system's events (of one kind, if given), newest first, with who recorded them
    (joined, not fetched per row)."""
    query = (
        SystemEvent.select(SystemEvent, User)
        .join(User, pw.JOIN.LEFT_OUTER)
        .where(SystemEvent.system == system)
        .order_by(SystemEvent.occurred_at.desc(), SystemEvent.id.desc())
    )
    if kind:
        query = query.where(SystemEvent.kind == kind)
    return query


def recent_events(system_id: int, count: int) -> list[SystemEvent]:
    """The system's ``count`` newest events (without who recorded them): what its page lists,
    read by a query built once (tracker.prepared)."""
    return prepared.select(("recent events",), _recent_events, system_id, count)


def _recent_events(system_id: int, count: int) -> pw.Query:
    return (
        SystemEvent.select()
        .where(SystemEvent.system == system_id)
        .order_by(SystemEvent.occurred_at.desc(), SystemEvent.id.desc())
        .limit(count)
    )


def get_event(system: AISystem, event_id: int) -> SystemEvent:
    """One of the system's events (NotFound for another system's)."""
    return SystemEvent.find(
        (SystemEvent.id == event_id) & (SystemEvent.system == system), identifier=event_id
    )
