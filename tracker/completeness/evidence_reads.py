"""The evidence completeness reads, with the systems it covers and the decisions taken on it.

Evidence as it stood at the end of a date (uploaded by then, not yet superseded), one row per
(evidence, system it covers); for some systems, the items their links lead to and then the
agency-wide ones, each query led by an index. The reviews read after it set each item's
decision. :func:`evidence_facts` and :func:`apply_reviews` turn the rows into facts for
:func:`~tracker.completeness.loader.load_snapshot` and for the replay of many dates from one
load (:mod:`tracker.completeness.history`) alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

import peewee as pw

from tracker.completeness import prepared
from tracker.completeness.driver import Listing, ParsedList, among, raw_rows
from tracker.completeness.facts import EvidenceByRequirement, EvidenceFact
from tracker.models import Evidence, EvidenceReview, EvidenceSystem

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
        return raw_rows(query)
    return raw_rows(_linked(selected, where, system_ids, among)) + raw_rows(
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


def read_current_evidence(end: datetime, ids: list[int] | None) -> list[tuple]:
    """:func:`evidence_rows` of the evidence current at ``end``; prepared for a few systems."""
    if ids is None or not 0 < len(ids) <= prepared.PREPARED_UP_TO:
        return evidence_rows(_current(end), ids)
    return prepared_evidence_rows("current evidence", EVIDENCE_COLUMNS, _current, end, ids)


def prepared_evidence_rows(
    name: str,
    selected: tuple,
    where: Callable[[datetime], pw.Expression],
    end: datetime,
    ids: list[int],
) -> list[tuple]:
    """:func:`evidence_rows` of ``selected`` matching ``where(end)`` for a few systems, prepared
    (:mod:`.prepared`) under ``name``, which names ``selected`` and ``where``: its two queries as
    one statement (``UNION ALL``; each part still led by its index), one round trip fewer."""
    return prepared.read(
        (name, "linked and agency-wide"),
        lambda end, ids, listing: (
            _linked(selected, where(end), ids, listing) + _agency_wide(selected, where(end))
        ),
        end,
        ids,
    )


def reviews_query(end: datetime, evidence_ids: list[int] | None, listing: Listing) -> pw.Query:
    """The reviews decided by ``end``, oldest first, of the evidence ``evidence_ids`` (None: of
    all evidence); ``listing`` makes the condition on the ids (driver.among, or stand-ins that
    a prepared read binds: tracker.completeness.prepared)."""
    query = (
        EvidenceReview.select(*REVIEW_COLUMNS)
        .where(EvidenceReview.decided_at <= end)
        .order_by(EvidenceReview.id)
    )
    if evidence_ids is None:
        return query
    return query.where(listing(EvidenceReview.evidence, evidence_ids))


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
    parsed = ParsedList()
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
