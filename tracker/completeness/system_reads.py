"""The systems completeness reads, with their profiles as they stood at the end of a date.

The system rows (the columns the rules speak about, and a few more), then the audited profile
changes that undo, in those rows, what was changed after the date, and tell when each fact last
changed up to it (a requirement renewed on change counts from then). :func:`system_facts` turns
the rows into the facts the engine reads; :func:`~tracker.completeness.loader.load_snapshot` and
the replay of many dates from one load (:mod:`tracker.completeness.history`) both use it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import peewee as pw

from tracker.completeness import prepared
from tracker.completeness.driver import Listing, ParsedJson, among, as_moment
from tracker.completeness.facts import SystemFact
from tracker.events.kinds import SUBSTANTIAL_MODIFICATION
from tracker.models import AISystem, AuditEvent
from tracker.plugin_host import Catalogue
from tracker.profile import PROFILE_FIELDS, has_legacy_facts, upgrade_legacy_facts
from tracker.requirements import hashable

JSON_COLUMNS = {
    name for name, column in AISystem._meta.fields.items() if isinstance(column, pw.JSONField)
}
BOOLEAN_COLUMNS = {
    name for name, column in AISystem._meta.fields.items() if isinstance(column, pw.BooleanField)
}
# biometric_identification: replaying a date before schema 6 derives the Annex III areas from it.
ALWAYS_NEEDED = (
    "id",
    "name",
    "lifecycle_stage",
    "jurisdictions",
    "countries",
    "answers",
    "biometric_identification",
    "retired_at",
)
# Audit actions that change a system's profile facts.
PROFILE_ACTIONS = ("system.updated", "system.migrated")


def read_systems(
    end: datetime, system_ids: Iterable[int] | None, include_retired: bool, columns: tuple[str, ...]
) -> list[dict]:
    """System rows with the given columns."""

    def build(end: datetime, ids: list[int] | None, listing: Listing) -> pw.Query:
        query = (
            AISystem.select(*(getattr(AISystem, name) for name in columns))
            .where(AISystem.created_at <= end)
            .order_by(AISystem.id)
        )
        if ids is not None:
            query = query.where(listing(AISystem.id, ids))
        if not include_retired:
            query = query.where(AISystem.retired_at.is_null() | (AISystem.retired_at > end))
        return query

    ids = None if system_ids is None else list(system_ids)
    return system_rows(
        prepared.read(("systems", columns, include_retired), build, end, ids), columns
    )


def system_columns(catalogue: Catalogue) -> tuple[str, ...]:
    """The system columns completeness reads: the profile facts rules use, and a few more."""
    facts = {name for rule in catalogue.rules.values() for name in rule.symbols}
    return tuple(dict.fromkeys((*ALWAYS_NEEDED, *(f for f in facts if f in PROFILE_FIELDS))))


def system_rows(raw: Iterable[tuple], columns: tuple[str, ...]) -> list[dict]:
    """System rows as dicts of ``columns`` (JSON parsed, booleans as bool)."""
    json_columns = [name for name in columns if name in JSON_COLUMNS]
    boolean_columns = [name for name in columns if name in BOOLEAN_COLUMNS]
    parsed = ParsedJson()
    rows = []
    for values in raw:
        row = dict(zip(columns, values, strict=True))
        for name in json_columns:
            if isinstance(row[name], str):  # SQLite hands JSON back as text
                row[name] = parsed[row[name]]
        for name in boolean_columns:
            row[name] = bool(row[name])
        row["retired_at"] = as_moment(row["retired_at"])
        rows.append(row)
    return rows


def _changed_facts(
    before: dict[str, Any] | None, after: dict[str, Any] | None, defaults: dict[str, Any]
) -> list[str]:
    """The facts one audited update changed: each profile field, and each plugin answer under
    its question id (an unanswered question counts as its default, as the profile reads it).

    Lists compare as sets: reordering units or roles changes nothing a rule or a document
    speaks about.
    """
    before, after = before or {}, after or {}
    changed = []
    for name, value in after.items():
        if name == "answers":
            old, new = before.get("answers") or {}, value or {}
            changed += [
                qid
                for qid in dict.fromkeys((*old, *new))
                if not _same(old.get(qid, defaults.get(qid)), new.get(qid, defaults.get(qid)))
            ]
        elif not _same(before.get(name), value):
            changed.append(name)
    return changed


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return sorted(json.dumps(v, sort_keys=True) for v in old) == sorted(
            json.dumps(v, sort_keys=True) for v in new
        )
    return old == new


def profile_changes(system_ids: list[int] | None) -> list[tuple]:
    """The audited profile changes of the given systems (default: all), newest first:
    (entity id, occurred_at as ISO text, before, after, action).

    For a few systems (a request's one, its chart) the query's SQL is built once
    (:mod:`~tracker.completeness.prepared`): building it was most of its cost."""

    def build(*text_ids: str) -> pw.Query:
        query = (
            AuditEvent.select(
                AuditEvent.entity_id,
                AuditEvent.occurred_at,
                AuditEvent.before,
                AuditEvent.after,
                AuditEvent.action,
            )
            .where(AuditEvent.action.in_(PROFILE_ACTIONS) & (AuditEvent.entity_type == "ai_system"))
            .order_by(AuditEvent.id.desc())
        )
        return query.where(AuditEvent.entity_id.in_(list(text_ids))) if text_ids else query

    if system_ids is not None and 0 < len(system_ids) <= prepared.PREPARED_UP_TO:
        texts = [str(int(system_id)) for system_id in system_ids]
        found = prepared.rows(("profile changes", len(texts)), build, *texts)
        # Straight from the driver: SQLite's JSON is text, PostgreSQL's already parsed. Parsed
        # one by one, never shared: replay_profiles copies them into the systems' rows.
        return [
            (entity_id, occurred_at, _parsed(before), _parsed(after), action)
            for entity_id, occurred_at, before, after, action in found
        ]
    query = build()
    if system_ids is not None:
        query = query.where(among(AuditEvent.entity_id, system_ids, as_text=True))
    return list(query.tuples())


def _parsed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def replay_profiles(
    rows: list[dict], changes: list[tuple], end: datetime, defaults: dict[str, Any] | None = None
) -> dict[int, dict[str, datetime]]:
    """Undo, in ``rows``, the changes made after ``end``; return when each fact (profile field,
    or plugin question by its id) last changed up to it. ``changes``: :func:`profile_changes`;
    ``defaults``: the plugin questions' defaults."""
    by_id = {row["id"]: row for row in rows}
    cutoff = end.isoformat(timespec="microseconds")
    last_changed: dict[int, dict[str, datetime]] = defaultdict(dict)
    for entity_id, occurred_at, before, after, action in changes:
        row = by_id.get(int(entity_id))
        if row is None:
            continue
        if occurred_at > cutoff:
            row.update(before or {})  # newest first, so earlier states are restored in order
        elif action != "system.migrated":  # a schema upgrade restates facts, it changes none
            changed = datetime.fromisoformat(occurred_at)
            for fact in _changed_facts(before, after, defaults or {}):
                last_changed[row["id"]].setdefault(fact, changed)
    for row in rows:
        if has_legacy_facts(row):  # a date before schema 6: its facts in today's terms
            upgrade_legacy_facts(row)
    return last_changed


def system_facts(
    rows: list[dict],
    columns: tuple[str, ...],
    last_changed: dict[int, dict[str, datetime]],
    modified: dict[int, datetime],
    defaults: dict[str, Any],
    end: datetime,
) -> list[SystemFact]:
    """Each system row (its profile as of ``end``) as the engine reads it."""
    for system_id, moment in modified.items():
        # A pseudo-fact every requirement with renew_on_change watches (sets.Constants.watched).
        last_changed.setdefault(system_id, {})[SUBSTANTIAL_MODIFICATION] = moment
    systems = []
    profile_columns = [name for name in columns if name in PROFILE_FIELDS]
    # Hashable values (JSON lists as tuples): applicability is cached by them.
    list_columns = [name for name in profile_columns if name in JSON_COLUMNS]
    for row in rows:
        profile = {name: row[name] for name in profile_columns}
        for name in list_columns:
            profile[name] = hashable(profile[name])
        answers = row["answers"] or {}
        profile.update({qid: answers.get(qid, default) for qid, default in defaults.items()})
        systems.append(
            SystemFact(
                row["id"],
                row["name"],
                profile,
                tuple(row["jurisdictions"] or ()),
                last_changed.get(row["id"], {}),
                retired=row["retired_at"] is not None and row["retired_at"] <= end,
            )
        )
    return systems
