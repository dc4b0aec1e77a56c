"""Reading the facts completeness needs, as they stood at the end of a date.

Seven queries whatever the number of systems: systems, their profile changes
(from the audit trail), recorded events, operators, evidence with the systems
it covers (and the event it answers), reviews and waivers; eight for some
systems (their evidence, then the agency-wide items). Read for some systems,
every query is led by an index on those systems (or on the evidence they
lead to), so one system costs what one system holds, not what the agency
holds (tests/completeness/test_query_plans.py reads the plans). Replaying a past
date uses only what was true then: evidence not yet uploaded or already
superseded, decisions not yet taken, operators not yet added or already
removed, events not yet recorded, and profile changes made later are all left
out or undone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any

import peewee as pw

from tracker.completeness import prepared
from tracker.completeness.facts import (
    EventFact,
    EvidenceByRequirement,
    EvidenceFact,
    OperatorFact,
    Snapshot,
    SystemFact,
    WaiverFact,
)
from tracker.db import utcnow
from tracker.events.kinds import SUBSTANTIAL_MODIFICATION
from tracker.models import (
    AISystem,
    AuditEvent,
    Evidence,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    Waiver,
)
from tracker.plugin_host import Catalogue
from tracker.profile import PROFILE_FIELDS, has_legacy_facts, upgrade_legacy_facts
from tracker.requirements import hashable


def _raw_rows(query: pw.Query) -> list[tuple]:
    """Rows straight from the driver: peewee's per-row conversion is the slow part at this scale."""
    return query.model._meta.database.execute(query).fetchall()


def among(column: pw.Field, ids: Iterable[int], as_text: bool = False) -> pw.Expression:
    """``column IN (...)`` with the ids written into the SQL rather than bound one by one:
    peewee builds each bound parameter in Python, and for the tens of thousands of ids a chunk
    of a national portfolio reads (its evidence's reviews), that cost more than the queries.
    Integers only, so there is nothing to escape; ``as_text`` for a text column of ids."""
    listed = ",".join(f"'{int(i)}'" if as_text else str(int(i)) for i in ids)
    return column.in_(pw.SQL(f"({listed or 'NULL'})"))


Listing = Callable[[pw.Field, list[int]], pw.Expression]

# Up to this many ids (a request's system, the evidence it leads to), a read's SQL is built once
# per shape and bound its values (tracker.completeness.prepared); more (a chunk of a national
# portfolio) are written into the SQL by :func:`among`.
PREPARED_UP_TO = 500


def _bound(column: pw.Field, ids: list[int]) -> pw.Expression:
    return column.in_(ids)


def _read(
    shape: tuple, build: Callable[[datetime, list[int] | None, Listing], pw.Query], end, ids
) -> list[tuple]:
    """The rows of ``build(end, ids, listing)``: prepared for a few ids, built otherwise."""
    if ids is not None and 0 < len(ids) <= PREPARED_UP_TO:
        return prepared.rows(
            (*shape, len(ids)), lambda end, *ids: build(end, list(ids), _bound), end, *ids
        )
    return _raw_rows(build(end, ids, among))


def _moment(value: datetime | str | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class _ParsedJson(dict):
    """JSON values by their text, parsed once per load: SQLite returns JSON columns as text, and
    the same few values recur thousands of times. The values are shared: never change one."""

    def __missing__(self, text: str) -> Any:
        value = self[text] = json.loads(text)
        return value


class _ParsedList(dict):
    """Like :class:`_ParsedJson`, for JSON lists wanted as tuples."""

    def __missing__(self, text: str) -> tuple:
        value = self[text] = tuple(json.loads(text))
        return value


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max)


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


def _systems(
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
    return system_rows(_read(("systems", columns, include_retired), build, end, ids), columns)


def system_columns(catalogue: Catalogue) -> tuple[str, ...]:
    """The system columns completeness reads: the profile facts rules use, and a few more."""
    facts = {name for rule in catalogue.rules.values() for name in rule.symbols}
    return tuple(dict.fromkeys((*ALWAYS_NEEDED, *(f for f in facts if f in PROFILE_FIELDS))))


def system_rows(raw: Iterable[tuple], columns: tuple[str, ...]) -> list[dict]:
    """System rows as dicts of ``columns`` (JSON parsed, booleans as bool)."""
    json_columns = [name for name in columns if name in JSON_COLUMNS]
    boolean_columns = [name for name in columns if name in BOOLEAN_COLUMNS]
    parsed = _ParsedJson()
    rows = []
    for values in raw:
        row = dict(zip(columns, values, strict=True))
        for name in json_columns:
            if isinstance(row[name], str):  # SQLite hands JSON back as text
                row[name] = parsed[row[name]]
        for name in boolean_columns:
            row[name] = bool(row[name])
        row["retired_at"] = _moment(row["retired_at"])
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
    (entity id, occurred_at as ISO text, before, after, action)."""
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
    if system_ids is not None:
        query = query.where(among(AuditEvent.entity_id, system_ids, as_text=True))
    return list(query.tuples())


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


def event_kinds_counted(catalogue: Catalogue) -> list[str]:
    """The event kinds that matter: those an enabled requirement counts from, and substantial
    modifications."""
    kinds = {
        r.deadline_after_event[0] for r in catalogue.requirements.values() if r.deadline_after_event
    }
    kinds.add(SUBSTANTIAL_MODIFICATION)
    return sorted(kinds)


EVENT_COLUMNS = (
    SystemEvent.id,
    SystemEvent.system,
    SystemEvent.kind,
    SystemEvent.occurred_at,
    SystemEvent.description,
)


def _events(end: datetime, ids: list[int], restrict: bool, catalogue: Catalogue) -> list[tuple]:
    """Events that happened and were recorded by ``end`` (of the kinds that matter), oldest
    first."""
    kinds = tuple(event_kinds_counted(catalogue))

    def build(end: datetime, ids: list[int] | None, listing: Listing) -> pw.Query:
        query = SystemEvent.select(*EVENT_COLUMNS).where(
            # What was recorded later was not known on the date, however early it happened.
            (SystemEvent.occurred_at <= end)
            & (SystemEvent.recorded_at <= end)
            & SystemEvent.kind.in_(kinds)
        )
        if ids is None:
            return query.order_by(SystemEvent.occurred_at, SystemEvent.id)
        return query.where(listing(SystemEvent.system, ids))

    if not restrict:
        return _read(("events", kinds), build, end, None)
    # Sorted here, not in SQL: an ORDER BY on occurred_at draws SQLite's planner to that index
    # and through every event of the agency, instead of to the systems' own (0.45 s against
    # 0.01 s for a thousand systems among 20,000). The same order: the moment, then the id.
    rows = _read(("events", kinds), build, end, ids)
    rows.sort(key=lambda row: (row[3], row[0]))
    return rows


def event_facts(
    rows: Iterable[tuple],
) -> tuple[dict[int, list[EventFact]], dict[int, datetime]]:
    """Events per system, in the rows' order (oldest first); and when each system was last
    substantially modified."""
    events: dict[int, list[EventFact]] = defaultdict(list)
    modified: dict[int, datetime] = {}
    for row in rows:
        # The time stays text (SQLite) until a duty needs it: most events owe nothing.
        event = EventFact(*row)
        events[event.system_id].append(event)
        if event.kind == SUBSTANTIAL_MODIFICATION:
            modified[event.system_id] = _moment(event.occurred_at)  # oldest first: last stays
    return dict(events), modified


def load_snapshot(
    as_of: date,
    catalogue: Catalogue,
    system_ids: Iterable[int] | None = None,
    include_retired: bool = False,
) -> Snapshot:
    """The facts of the given systems (default: all) at the end of ``as_of``."""
    end = end_of(as_of)
    columns = system_columns(catalogue)
    rows = _systems(end, system_ids, include_retired, columns)
    ids = [row["id"] for row in rows]
    restrict = system_ids is not None
    defaults = catalogue.question_defaults()
    last_changed = replay_profiles(rows, profile_changes(ids if restrict else None), end, defaults)
    events, modified = event_facts(_events(end, ids, restrict, catalogue))
    systems = system_facts(rows, columns, last_changed, modified, defaults, end)

    operators = operator_facts(_read(("operators",), _operators, end, ids if restrict else None))
    evidence, by_system, agency, by_event = evidence_facts(
        _current_evidence(end, ids if restrict else None)
    )
    reviewed = list(evidence) if restrict else None
    apply_reviews(evidence, _read(("reviews",), _reviews, end, reviewed))

    waiver_query = Waiver.select(*WAIVER_COLUMNS).where(
        Waiver.state.in_(WAIVER_STATES)
        & (Waiver.decided_at <= end)
        & (Waiver.expires_on > as_of)
        & (Waiver.revoked_at.is_null() | (Waiver.revoked_at > end))
    )
    if restrict:
        waiver_query = waiver_query.where(among(Waiver.system, ids))
    return Snapshot(
        as_of,
        systems,
        by_system,
        agency,
        operators,
        waiver_facts(waiver_query.tuples()),
        events=events,
        event_evidence=by_event,
        moment=moment_of(as_of),
    )


def evidence_rows(
    where: pw.Expression, system_ids: list[int] | None, columns: tuple = ()
) -> list[tuple]:
    """Rows of :data:`EVIDENCE_COLUMNS` (then ``columns``) matching ``where``: one row per
    (evidence, system it covers), an item covering none once with no system.

    For all systems, one pass over the tables. For some systems (``system_ids``), the rows
    those systems' links lead to, then the agency-wide items with every link they have, in
    two index-driven queries: one query with ``system IN (...) OR agency_wide`` over the
    outer join could use no index and read every evidence row of the agency. The two are
    disjoint (the first leaves agency-wide items to the second) and together exactly the rows
    that query returned.
    """
    selected = (*EVIDENCE_COLUMNS, *columns)
    if system_ids is None:
        query = Evidence.select(*selected).join(EvidenceSystem, pw.JOIN.LEFT_OUTER).where(where)
        return _raw_rows(query)
    return _raw_rows(_linked(selected, where, system_ids, among)) + _raw_rows(
        _agency_wide(selected, where)
    )


def _linked(selected: tuple, where: pw.Expression, ids: list[int], listing: Listing) -> pw.Query:
    """The rows of evidence linked to the systems (agency-wide items aside)."""
    return (
        Evidence.select(*selected)
        .join(EvidenceSystem)  # driven by evidence_system's index on system_id
        .where(where & listing(EvidenceSystem.system, ids) & ~Evidence.agency_wide)
    )


def _agency_wide(selected: tuple, where: pw.Expression) -> pw.Query:
    """The rows of agency-wide evidence, with every link they have."""
    # The bare column, as the partial index evidence_agency_wide states it: both databases
    # then see that the index covers the query (a bound "= true" they may not).
    return (
        Evidence.select(*selected)
        .join(EvidenceSystem, pw.JOIN.LEFT_OUTER)
        .where(where & Evidence.agency_wide)
    )


def _current(end: datetime) -> pw.Expression:
    """Evidence as it stood at ``end``: uploaded by then, not yet superseded."""
    return (Evidence.created_at <= end) & (
        Evidence.superseded_at.is_null() | (Evidence.superseded_at > end)
    )


def _current_evidence(end: datetime, ids: list[int] | None) -> list[tuple]:
    """:func:`evidence_rows` of the evidence current at ``end``; prepared for a few systems."""
    if ids is None or not 0 < len(ids) <= PREPARED_UP_TO:
        return evidence_rows(_current(end), ids)
    linked = _read(
        ("linked evidence",),
        lambda end, ids, listing: _linked(EVIDENCE_COLUMNS, _current(end), ids, listing),
        end,
        ids,
    )
    shared = prepared.rows(
        ("agency-wide evidence",), lambda end: _agency_wide(EVIDENCE_COLUMNS, _current(end)), end
    )
    return linked + shared


def _operators(end: datetime, ids: list[int] | None, listing: Listing) -> pw.Query:
    query = (
        Operator.select(*OPERATOR_COLUMNS)
        .where(
            (Operator.added_at <= end)
            & (Operator.removed_at.is_null() | (Operator.removed_at > end))
        )
        .order_by(Operator.id)
    )
    return query if ids is None else query.where(listing(Operator.system, ids))


def _reviews(end: datetime, evidence_ids: list[int] | None, listing: Listing) -> pw.Query:
    query = (
        EvidenceReview.select(*REVIEW_COLUMNS)
        .where(EvidenceReview.decided_at <= end)
        .order_by(EvidenceReview.id)
    )
    if evidence_ids is None:
        return query
    return query.where(listing(EvidenceReview.evidence, evidence_ids))


# The builders below turn rows into facts; :func:`load_snapshot` and the replay of many dates
# from one load (:mod:`tracker.completeness.history`) both use them, so both read rows alike.

OPERATOR_COLUMNS = (Operator.system, Operator.id, Operator.name, Operator.email, Operator.unit)
# Evidence with the systems it covers, one row per (evidence, system): one query, one pass.
EVIDENCE_COLUMNS = (
    Evidence.id,
    Evidence.lineage,
    Evidence.version,
    Evidence.kind,
    Evidence.title,
    Evidence.requirement_ids,
    Evidence.agency_wide,
    Evidence.issued_on,
    Evidence.valid_from,
    Evidence.valid_until,
    Evidence.certified_person,
    Evidence.created_at,
    EvidenceSystem.system,
    Evidence.event,
)
REVIEW_COLUMNS = (EvidenceReview.evidence, EvidenceReview.decision, EvidenceReview.reason)
WAIVER_COLUMNS = (
    Waiver.system,
    Waiver.requirement_id,
    Waiver.id,
    Waiver.expires_on,
    Waiver.justification,
)
# A revoked waiver counted until it was revoked.
WAIVER_STATES = ("approved", "revoked")


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


def operator_facts(rows: Iterable[tuple]) -> dict[int, list[OperatorFact]]:
    """Operators per system, from rows of :data:`OPERATOR_COLUMNS`."""
    operators: dict[int, list[OperatorFact]] = defaultdict(list)
    for system_id, *fields in rows:
        operators[system_id].append(OperatorFact(*fields))
    return dict(operators)


def evidence_facts(
    rows: Iterable[tuple],
) -> tuple[
    dict[int, EvidenceFact],
    dict[int, EvidenceByRequirement],
    EvidenceByRequirement,
    dict[int, list[EvidenceFact]],
]:
    """From rows of :data:`EVIDENCE_COLUMNS`, in one pass: the facts by id, and the lookups by
    system, agency-wide by requirement, and by event."""
    evidence: dict[int, EvidenceFact] = {}
    by_system: dict[int, EvidenceByRequirement] = defaultdict(dict)
    agency: dict[str, list[EvidenceFact]] = defaultdict(list)
    by_event: dict[int, list[EvidenceFact]] = defaultdict(list)
    parsed = _ParsedList()
    for row in rows:
        fact = evidence.get(row[0])
        if fact is None:
            requirement_ids = row[5]
            requirement_ids = (
                parsed[requirement_ids]
                if isinstance(requirement_ids, str)
                else tuple(requirement_ids)
            )
            # Dates stay text until assessed (facts.as_day); created_at is parsed only if needed.
            fact = evidence[row[0]] = EvidenceFact(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                requirement_ids,
                bool(row[6]),
                row[7],
                row[8],
                row[9],
                row[10],
                row[11],
                event_id=row[13],
            )
            if fact.event_id is not None:
                by_event[fact.event_id].append(fact)
            if fact.agency_wide:
                for requirement_id in fact.requirement_ids:
                    agency[requirement_id].append(fact)
        system_id = row[12]
        if system_id is not None:
            mine = by_system[system_id]
            for requirement_id in fact.requirement_ids:
                # Tuples: most systems hold one item per requirement, and tuples are cheaper.
                found = mine.get(requirement_id)
                mine[requirement_id] = (fact,) if found is None else (*found, fact)
    return evidence, dict(by_system), dict(agency), dict(by_event)


def apply_reviews(evidence: dict[int, EvidenceFact], rows: Iterable[tuple]) -> None:
    """Set each fact's decision from rows of :data:`REVIEW_COLUMNS` ordered by review id."""
    for evidence_id, decision, reason in rows:
        fact = evidence.get(evidence_id)
        if fact is not None:  # ordered by id: the newest decision wins
            fact.decision, fact.decision_reason = decision, reason


def waiver_facts(rows: Iterable[tuple]) -> dict[tuple[int, str], WaiverFact]:
    """(system id, requirement id) -> waiver, from rows of :data:`WAIVER_COLUMNS`."""
    return {
        (system_id, requirement_id): WaiverFact(*fields)
        for system_id, requirement_id, *fields in rows
    }


def moment_of(as_of: date) -> datetime:
    """The moment event deadlines are judged at: the end of the date; for today, this moment,
    so that a deadline later today is not yet overdue."""
    end = end_of(as_of)
    return min(end, utcnow()) if as_of == date.today() else end
