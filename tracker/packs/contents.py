"""What goes into an evidence pack: a system (or every system) as it stood at the end of a date.

The payload, under ``data/``, for each system (at the top of a system's pack; under
``systems/<id>-<name>/`` in the agency's):

- ``evidence/<requirement>/<evidence> (v<version>)/<file>``: every file of the evidence that
  counted on the date (accepted and valid, or expiring soon), named as it was uploaded;
- ``evidence.csv``: each of those files with its requirement, evidence id, version and SHA-256;
- ``report/completeness.{json,csv,pdf}``: every requirement, its status, why it applies, its
  citation and verification mark, and the recorded events' duties;
- ``system/profile.json``: the whole profile as it was on the date;
- ``reviews.json``, ``waivers.json``, ``events.json``: the DPO's decisions (who, when, which
  file hashes were approved), waivers with who asked and who decided and why, recorded events.

And once per pack: ``agency.json``, ``catalogue.json`` (the catalogue the agency accepted by
the date, and the one the tracker evaluated with: plugins, versions, requirement definitions)
and the audit excerpt (tracker.packs.excerpt).

Nothing in the payload depends on when the pack is built, so the same date and data give the
same content manifest; what does (the anchor to the growing chain) is a tag file.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from peewee import Model, fn

from evidence import EvidenceStore
from tracker import agency, catalogue_record, register
from tracker.audit import jsonable
from tracker.completeness import evaluator_for, load_snapshot
from tracker.completeness.driver import among
from tracker.completeness.export import system_csv, system_dict
from tracker.completeness.facts import MET, SystemCompleteness
from tracker.completeness.loader import end_of
from tracker.completeness.system_reads import profile_changes, replay_profiles
from tracker.errors import NotFound
from tracker.i18n.text import Phrase
from tracker.models import (
    AISystem,
    AuditEvent,
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    User,
    Waiver,
)
from tracker.packs import excerpt
from tracker.packs.bag import Member, file_chunks, text_member
from tracker.plugin_host import Catalogue

# The audit entities a system's excerpt covers (entity_type -> how its ids are found).
SYSTEM_ENTITIES = ("ai_system", "operator", "waiver", "system_event", "evidence")
EVIDENCE_COLUMNS = (
    "requirement_id",
    "evidence_id",
    "lineage",
    "version",
    "title",
    "path",
    "sha256",
    "bytes",
)
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|%]+')


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name any system and ``sha256sum -c`` accept, still readable."""
    name = UNSAFE.sub("_", unicodedata.normalize("NFC", str(text))).strip(" .")
    return name[:limit].rstrip(" .") or "_"


def json_bytes(data: Any) -> bytes:
    return (
        json.dumps(jsonable(data), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()


@dataclass
class Section:
    """One system's part of a pack."""

    system_id: int
    name: str
    result: SystemCompleteness
    members: list[Member] = field(default_factory=list)
    evidence_ids: set[int] = field(default_factory=set)  # every evidence row of the excerpt
    entities: dict[str, set[str]] = field(default_factory=dict)
    payload_bytes: int = 0


def _counted(result: SystemCompleteness) -> Iterator[tuple[str, int]]:
    """(requirement id, evidence id) of each piece of evidence that counted on the date."""
    for item in result.items:
        for ref in item.evidence:
            if ref.status in MET:
                yield item.requirement_id, ref.id
    for duty in result.events:
        for ref in duty.evidence:
            if ref.status in MET:
                yield duty.requirement_id, ref.id


def _evidence_members(
    prefix: str, result: SystemCompleteness, store: EvidenceStore
) -> tuple[list[Member], int, set[int]]:
    counted = sorted(set(_counted(result)))
    ids = {evidence_id for _, evidence_id in counted}
    items = {e.id: e for e in Evidence.select().where(among(Evidence.id, ids))} if ids else {}
    files: dict[int, list[EvidenceFile]] = {}
    if ids:
        query = (
            EvidenceFile.select(EvidenceFile, Blob)
            .join(Blob)
            .where(among(EvidenceFile.evidence, ids))
            .order_by(EvidenceFile.evidence, EvidenceFile.position, EvidenceFile.id)
        )
        for stored in query:
            files.setdefault(stored.evidence_id, []).append(stored)
    members, index, size = [], [], 0
    for requirement_id, evidence_id in counted:
        item = items[evidence_id]
        folder = (
            f"{prefix}evidence/{safe_name(requirement_id)}/"
            f"{safe_name(f'{item.title} ({item.id}) v{item.version}')}"
        )
        taken: set[str] = set()
        for stored in files.get(evidence_id, []):
            name = safe_name(stored.display_name, 120)
            if name in taken:
                name = f"{stored.position}-{name}"
            taken.add(name)
            sha256, length = stored.blob.sha256, stored.blob.size
            path = f"{folder}/{name}"
            opener = functools.partial(store.open, sha256)
            members.append(Member(path, file_chunks(opener), length, sha256))
            index.append(
                [
                    requirement_id,
                    item.id,
                    item.lineage,
                    item.version,
                    item.title,
                    path,
                    sha256,
                    length,
                ]
            )
            size += length
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(EVIDENCE_COLUMNS)
    writer.writerows(index)
    members.append(text_member(f"{prefix}evidence.csv", table.getvalue()))
    return members, size, ids


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "full_name": user.full_name, "role": user.role}


def _reviews(evidence_ids: set[int], end: datetime) -> list[dict]:
    if not evidence_ids:
        return []
    query = (
        EvidenceReview.select(EvidenceReview, User)
        .join(User)
        .where(among(EvidenceReview.evidence, evidence_ids) & (EvidenceReview.decided_at <= end))
        .order_by(EvidenceReview.decided_at, EvidenceReview.id)
    )
    return [
        {
            "review_id": r.id,
            "evidence_id": r.evidence_id,
            "decision": r.decision,
            "reason": r.reason,
            "decided_at": r.decided_at,
            "reviewer": _person(r.reviewer),
            "approved_sha256": list(r.approved_hashes or []),
        }
        for r in query
    ]


def _on(moment: datetime | None, end: datetime) -> datetime | None:
    return moment if moment is not None and moment <= end else None


def _waivers(system_id: int, end: datetime) -> list[dict]:
    rows = []
    query = Waiver.select().where((Waiver.system == system_id) & (Waiver.requested_at <= end))
    for waiver in query.order_by(Waiver.requested_at, Waiver.id):
        decided = _on(waiver.decided_at, end)
        state = waiver.state if decided else "requested"
        if _on(waiver.revoked_at, end):
            state = "revoked"
        rows.append(
            {
                "waiver_id": waiver.id,
                "requirement_id": waiver.requirement_id,
                "state_on_date": state,
                "justification": waiver.justification,
                "expires_on": waiver.expires_on,
                "requested_at": waiver.requested_at,
                "requested_by": _person(waiver.requested_by),
                "decided_at": decided,
                "decided_by": _person(waiver.decided_by) if decided else None,
                "decision_note": waiver.decision_note if decided else "",
                "revoked_at": _on(waiver.revoked_at, end),
            }
        )
    return rows


def _events(system_id: int, end: datetime, result: SystemCompleteness) -> list[dict]:
    duties: dict[int, list] = {}
    for duty in result.events:
        duties.setdefault(duty.event_id, []).append(
            {
                "requirement_id": duty.requirement_id,
                "title": str(duty.title),
                "citation": duty.citation,
                "deadline": duty.deadline,
                "status": duty.status,
                "late": duty.late,
                "evidence_ids": [ref.id for ref in duty.evidence],
            }
        )
    query = SystemEvent.select().where(
        (SystemEvent.system == system_id) & (SystemEvent.recorded_at <= end)
    )
    return [
        {
            "event_id": event.id,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "description": event.description,
            "duties": duties.get(event.id, []),
        }
        for event in query.order_by(SystemEvent.occurred_at, SystemEvent.id)
    ]


def section(
    system_id: int,
    as_of: date,
    catalogue: Catalogue,
    expiring_soon_days: int,
    store: EvidenceStore,
    prefix: str = "",
    agency_name: str = "",
) -> Section:
    """One system's payload as of the end of ``as_of``."""
    from tracker.packs.report_pdf import completeness_pdf  # fpdf2 is loaded only to build

    snapshot = load_snapshot(as_of, catalogue, [system_id], include_retired=True)
    if not snapshot.systems:
        raise NotFound(
            "AI system",
            Phrase("%(id)s on %(day)s (not registered by then)", id=system_id, day=as_of),
        )
    fact = snapshot.systems[0]
    result = evaluator_for(catalogue, expiring_soon_days).evaluate(fact, snapshot, detail=True)
    end = end_of(as_of)
    found = Section(system_id, fact.name, result)
    evidence, found.payload_bytes, counted = _evidence_members(prefix, result, store)
    own = {
        row.evidence_id
        for row in EvidenceSystem.select(EvidenceSystem.evidence)
        .join(Evidence)
        .where((EvidenceSystem.system == system_id) & (Evidence.created_at <= end))
    }
    found.evidence_ids = own | counted
    report = system_dict(result)
    profile = profile_on(system_id, end)
    found.members = [
        text_member(f"{prefix}system/profile.json", json_bytes(profile)),
        text_member(f"{prefix}report/completeness.json", json_bytes(report)),
        text_member(f"{prefix}report/completeness.csv", system_csv(result)),
        text_member(
            f"{prefix}report/completeness.pdf",
            completeness_pdf(result, agency_name, profile, catalogue),
        ),
        text_member(f"{prefix}reviews.json", json_bytes(_reviews(found.evidence_ids, end))),
        text_member(f"{prefix}waivers.json", json_bytes(_waivers(system_id, end))),
        text_member(f"{prefix}events.json", json_bytes(_events(system_id, end, result))),
        *evidence,
    ]
    return found


def profile_on(system_id: int, end: datetime) -> dict[str, Any]:
    """The system's whole profile (every field, not only those rules read) as it was at
    ``end``: today's, with the audited changes made since undone, newest first."""
    system = AISystem.get_by_id(system_id)
    row = {"id": system.id, **register.profile_of(system)}
    replay_profiles([row], profile_changes([system_id]), end)
    del row["id"]
    return row


def agency_details() -> dict[str, Any]:
    current = agency.current()
    return {
        "name": current.name,
        "dpo_contact": current.dpo_contact,
        "complaints": current.complaints,
        "contact": current.contact,
    }


def catalogue_in_force(catalogue: Catalogue, end: datetime) -> dict[str, Any]:
    """The catalogue the agency had accepted by the date, and the one evaluated with."""
    event = (
        AuditEvent.select()
        .where(
            (AuditEvent.action == catalogue_record.ACTION)
            & (AuditEvent.entity_type == catalogue_record.ENTITY)
            & (AuditEvent.occurred_at <= end.isoformat(timespec="microseconds"))
        )
        .order_by(AuditEvent.id.desc())
        .first()
    )
    return {
        "accepted": None
        if event is None
        else {
            "audit_event": event.id,
            "accepted_at": event.occurred_at,
            "by": event.actor,
            "catalogue": event.after,
        },
        "evaluated_with": catalogue_record.serialise(catalogue),
    }


def system_entities(system_id: int, evidence_ids: Iterable[int]) -> dict[str, set[str]]:
    """The audit entity ids that are about the system, by entity type."""

    def ids(model: type[Model]) -> set[str]:
        return {str(i) for (i,) in model.select(model.id).where(model.system == system_id).tuples()}

    return {
        "ai_system": {str(system_id)},
        "operator": ids(Operator),
        "waiver": ids(Waiver),
        "system_event": ids(SystemEvent),
        "evidence": {str(i) for i in evidence_ids},
    }


def audit_members(entities: dict[str, set[str]] | None, end: datetime) -> tuple[list[Member], int]:
    """The excerpt (events about ``entities``; every system entity when None) and the chain's
    links over its span. Returns the members and the id of the date's last event."""
    cutoff = end.isoformat(timespec="microseconds")
    last = (
        AuditEvent.select(AuditEvent.id)
        .where(AuditEvent.occurred_at <= cutoff)
        .order_by(AuditEvent.id.desc())
        .scalar()
    ) or 0
    condition = AuditEvent.id <= last
    if entities is None:
        condition &= AuditEvent.entity_type.in_(SYSTEM_ENTITIES)
    else:
        about = None
        for kind, ids in entities.items():
            if ids:
                term = (AuditEvent.entity_type == kind) & AuditEvent.entity_id.in_(sorted(ids))
                about = term if about is None else about | term
        condition &= about if about is not None else AuditEvent.id < 0
    first = AuditEvent.select(fn.MIN(AuditEvent.id)).where(condition).scalar() or (last + 1)

    def events() -> Iterator[bytes]:
        query = AuditEvent.select().where(condition).order_by(AuditEvent.id)
        for event in query.iterator():
            yield excerpt.event_line(event)

    def chain() -> Iterator[bytes]:
        query = (
            AuditEvent.select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)
            .where((AuditEvent.id >= first) & (AuditEvent.id <= last))
            .order_by(AuditEvent.id)
            .tuples()
        )
        for row in query.iterator():
            yield excerpt.link_line(*row)

    return [Member(excerpt.EVENTS, events), Member(excerpt.CHAIN, chain)], last
