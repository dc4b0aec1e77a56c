"""Evidence items: metadata, versions, the systems they cover, and their stored files.

Uploads arrive as finished pending files (already streamed to disk and
hashed); this module validates everything first, then records the item and
moves its files into the content store in one transaction. If anything
fails, no row and no stored file is left behind.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import marshmallow as ma
import peewee as pw
from marshmallow import fields, validate

from evidence import EvidenceStore, PendingFile, store_for
from evidence.sniff import DangerousContent, DisallowedType, MisnamedFile, check_upload
from tracker import audit
from tracker.db import MAX_ID, utcnow, write_transaction
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.i18n import N_
from tracker.i18n.text import Phrase
from tracker.models import (
    AISystem,
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceSystem,
    SystemEvent,
    User,
)
from tracker.profile import choice, text
from tracker.vocabulary import EVIDENCE_KINDS

log = logging.getLogger(__name__)
REQUIREMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
METADATA_FIELDS = (
    "kind",
    "title",
    "description",
    "issued_on",
    "valid_from",
    "valid_until",
    "issuer",
    "certified_person",
    "requirement_ids",
    "system_ids",
    "agency_wide",
    "event_id",
)


class EvidenceMetadataSchema(ma.Schema):
    kind = choice(EVIDENCE_KINDS, required=True)
    title = text(300, required=True)
    description = text(10_000, load_default="")
    issued_on = fields.Date(load_default=None, allow_none=True)
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    issuer = text(200, load_default="")
    certified_person = text(
        200,
        load_default="",
        metadata={"description": "The person a training certificate certifies"},
    )
    requirement_ids = fields.List(
        fields.String(
            validate=validate.Regexp(
                REQUIREMENT_ID, error="Must be a requirement id such as 'eu-led.dpia'."
            )
        ),
        load_default=list,
    )
    system_ids = fields.List(fields.Integer(strict=False), load_default=list)
    agency_wide = fields.Boolean(load_default=False)
    event_id = fields.Integer(
        strict=False,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID, error="Must be an event id from 1 to {max}."),
        metadata={
            "description": "The recorded event this evidence answers (e.g. the authorisation of "
            "one use): it then counts for that event's duties, and for no other event's"
        },
    )

    @ma.validates_schema
    def consistent(self, data: dict, **kwargs: Any) -> None:
        if self.partial:
            return  # judged on the merged record by add_evidence
        errors: dict[str, list[str]] = {}
        if data.get("agency_wide") and data.get("system_ids"):
            errors["system_ids"] = ["Leave empty for agency-wide evidence: it covers every system."]
        if not data.get("agency_wide") and not data.get("system_ids"):
            errors["system_ids"] = [
                "Name at least one AI system, or mark the evidence agency-wide."
            ]
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            errors["valid_until"] = ["Must not be before valid_from."]
        issued = data.get("issued_on")
        if issued and issued > date.today():
            errors["issued_on"] = ["Must not be in the future."]
        if data.get("kind") == "training_certificate" and not data.get("certified_person"):
            errors["certified_person"] = [
                "A training certificate must name the person it certifies."
            ]
        if errors:
            raise ma.ValidationError(errors)


@dataclass
class IncomingFile:
    """An uploaded file part: its streamed content and the name the client gave it."""

    pending: PendingFile
    client_filename: str


def display_name(client_filename: str) -> str:
    """The client's filename reduced to a safe label; it is never used as a path."""
    name = re.split(r"[\\/]", client_filename or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "unnamed"


def validate_metadata(
    data: Mapping[str, Any], known_requirements: Container[str] | None = None
) -> dict[str, Any]:
    """Clean metadata; with ``known_requirements``, intended requirement ids must be among them."""
    try:
        clean = EvidenceMetadataSchema().load(data)
    except ma.ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None
    if known_requirements is not None:
        unknown = [r for r in clean["requirement_ids"] if r not in known_requirements]
        if unknown:
            raise ValidationFailed(
                {"requirement_ids": [f"No enabled requirement has the id {', '.join(unknown)}."]}
            )
        clean["requirement_ids"] = list(dict.fromkeys(clean["requirement_ids"]))
    if clean["system_ids"]:
        found = {
            s.id for s in AISystem.select(AISystem.id).where(AISystem.id.in_(clean["system_ids"]))
        }
        missing = [str(i) for i in clean["system_ids"] if i not in found]
        if missing:
            raise ValidationFailed({"system_ids": [f"No AI system with id {', '.join(missing)}."]})
        clean["system_ids"] = sorted(set(clean["system_ids"]))
    if clean["event_id"] is not None:
        _check_event(clean, known_requirements)
    return clean


def _check_event(clean: dict[str, Any], known_requirements: Container[str] | None) -> None:
    """Evidence for an event covers that event's system and serves a requirement counted from
    events of its kind (when the requirements are known), or it would count for nothing."""
    event = SystemEvent.get_or_none(SystemEvent.id == clean["event_id"])
    if event is None:
        raise ValidationFailed({"event_id": [f"No event with id {clean['event_id']}."]})
    if clean["agency_wide"]:
        raise ValidationFailed(
            {"event_id": ["Evidence for an event covers that event's system, not every system."]}
        )
    if event.system_id not in clean["system_ids"]:
        raise ValidationFailed(
            {
                "event_id": [
                    f"Event {event.id} happened to AI system {event.system_id}, which this "
                    "evidence does not cover: add it to system_ids."
                ]
            }
        )
    if isinstance(known_requirements, Mapping):
        counted = _counted_from(event.kind, known_requirements.values())
        if not any(set(r.accepted_ids) & set(clean["requirement_ids"]) for r in counted):
            names = ", ".join(r.id for r in counted) or "none is enabled"
            raise ValidationFailed(
                {
                    "requirement_ids": [
                        f"Event {event.id} is a {event.kind!r} event: name a requirement counted "
                        f"from it ({names}), or the evidence counts for none of its duties."
                    ]
                }
            )


def _counted_from(kind: str, requirements: Iterable[Any]) -> list[Any]:
    return sorted(
        (
            r
            for r in requirements
            if getattr(r, "deadline_after_event", None) and r.deadline_after_event[0] == kind
        ),
        key=lambda r: r.id,
    )


def _checked_files(files: Sequence[IncomingFile], required: bool) -> list[tuple[IncomingFile, str]]:
    """Each file with its detected media type; refuse empty and disallowed content."""
    if required and not files:
        raise ValidationFailed({"files": ["Attach at least one file."]})
    errors: dict[str, list[str]] = {}
    checked = []
    for index, incoming in enumerate(files):
        name = display_name(incoming.client_filename)
        incoming.pending.finish()
        if incoming.pending.size == 0:
            errors[str(index)] = [f"{name}: the file is empty."]
            continue
        try:
            checked.append((incoming, check_upload(incoming.pending.path, name)))
        except DisallowedType as refused:
            errors[str(index)] = [f"{name}: {refused}"]
        except DangerousContent as refused:
            errors[str(index)] = [_dangerous(name, refused)]
        except MisnamedFile as refused:
            errors[str(index)] = [
                Phrase(
                    "%(name)s: the name says %(claimed)s (%(extension)s) but the content is "
                    "%(detected)s; give the file a name that matches its content",
                    name=name,
                    claimed=refused.claimed,
                    extension=refused.extension,
                    detected=refused.detected,
                )
            ]
    if errors:
        raise ValidationFailed({"files": errors})
    return checked


# Why an office file carrying code is refused, and what to send instead, by what was found.
_DANGEROUS = {
    "macros": N_(
        "%(name)s: it contains macros (%(where)s); macro-enabled files are refused: "
        "save it without macros (e.g. as .docx, .xlsx, .pptx) or as PDF"
    ),
    "executable": N_(
        "%(name)s: it contains an executable file (%(where)s); files carrying programs "
        "or scripts are refused"
    ),
    "ole_object": N_(
        "%(name)s: it contains an embedded OLE object (%(where)s), which can carry a "
        "program; remove the embedded object or save the file as PDF"
    ),
}
_UNINSPECTABLE = N_(
    "%(name)s: it cannot be checked for macros and embedded programs (%(where)s); "
    "save it as PDF or in a current office format"
)


def _dangerous(name: str, refused: DangerousContent) -> Phrase:
    """Why an office file carrying code is refused, and what to send instead."""
    message = _DANGEROUS.get(refused.kind, _UNINSPECTABLE)
    return Phrase(message, name=name, where=refused.where)


def snapshot(item: Evidence) -> dict[str, Any]:
    return {
        **{name: getattr(item, name) for name in METADATA_FIELDS if name != "system_ids"},
        "system_ids": [link.system_id for link in item.system_links],
        "lineage": item.lineage,
        "version": item.version,
        "files": [{"sha256": f.sha256, "name": f.display_name} for f in item.files],
    }


def _store_files(
    store: EvidenceStore,
    item: Evidence,
    checked: list[tuple[IncomingFile, str]],
    placed: list[str],
    actor: str,
) -> None:
    for position, (incoming, media_type) in enumerate(checked):
        pending = incoming.pending
        known = Blob.select().where(Blob.sha256 == pending.sha256).exists()
        Blob.insert(
            sha256=pending.sha256, size=pending.size, media_type=media_type
        ).on_conflict_ignore().execute()
        EvidenceFile.create(
            evidence=item,
            blob=pending.sha256,
            display_name=display_name(incoming.client_filename),
            position=position,
        )
        if store.commit(pending):
            if known:  # recorded before, yet its file was gone: this upload restores it
                pending.repaired = "the stored file is missing"
            else:
                placed.append(pending.sha256)
        if pending.repaired:
            _record_repair(pending, actor, item.id)


def _record_repair(pending: PendingFile, actor: str, evidence_id: int | None) -> None:
    """Say in the audit trail that a damaged or missing stored file was replaced by a fresh,
    correctly hashing upload of the same content."""
    log.warning("stored file %s repaired by a fresh upload (%s)", pending.sha256, pending.repaired)
    audit.record(
        actor,
        "evidence.blob_repaired",
        "blob",
        pending.sha256,
        before={"problem": pending.repaired},
        after={"sha256": pending.sha256, "size": pending.size, "evidence_id": evidence_id},
    )


def add_evidence(
    store: EvidenceStore,
    metadata: Mapping[str, Any],
    files: Sequence[IncomingFile],
    uploader: User | None,
    actor: str,
    previous: Evidence | None = None,
    known_requirements: Container[str] | None = None,
) -> Evidence:
    """Record a new evidence item, or a new version superseding ``previous``.

    A new version takes any metadata it does not give from ``previous``, and
    keeps the previous files when it brings none.
    """
    try:
        if previous is not None:
            if previous.superseded_at is not None:
                raise Conflict(
                    f"evidence {previous.id} was superseded; add versions to the newest one"
                )
            base = snapshot(previous)
            metadata = {**{k: base[k] for k in METADATA_FIELDS}, **metadata}
        clean = validate_metadata(metadata, known_requirements)
        checked = _checked_files(files, required=previous is None)
        placed: list[str] = []
        try:
            with write_transaction():
                item = _record(clean, uploader, previous)
                if checked:
                    _store_files(store, item, checked, placed, actor)
                else:
                    for old in previous.files:
                        EvidenceFile.create(
                            evidence=item,
                            blob=old.sha256,
                            display_name=old.display_name,
                            position=old.position,
                        )
                action = "evidence.added" if previous is None else "evidence.new_version"
                audit.record(actor, action, "evidence", item.id, after=snapshot(item))
        except BaseException:
            for sha256 in placed:
                store.remove(sha256)
            # A repaired file stays (it holds the right content): its repair is still recorded.
            for incoming in files:
                if incoming.pending.repaired:
                    try:
                        with write_transaction():
                            _record_repair(incoming.pending, actor, None)
                    except Exception:  # the upload's own failure is the one to report
                        log.exception("could not record the repair of %s", incoming.pending.sha256)
            raise
    finally:
        for incoming in files:
            incoming.pending.discard()
    return item


def _record(clean: dict[str, Any], uploader: User | None, previous: Evidence | None) -> Evidence:
    system_ids = clean.pop("system_ids")
    if previous is not None:
        Evidence.update(superseded_at=utcnow()).where(Evidence.id == previous.id).execute()
        item = Evidence.create(
            lineage=previous.lineage, version=previous.version + 1, uploaded_by=uploader, **clean
        )
    else:
        item = Evidence.create(lineage=0, uploaded_by=uploader, **clean)
        item.lineage = item.id
        Evidence.update(lineage=item.id).where(Evidence.id == item.id).execute()
    for system_id in system_ids:
        EvidenceSystem.create(evidence=item, system=system_id)
    return item


def get_evidence(evidence_id: int) -> Evidence:
    return Evidence.find_by_id(evidence_id)


def get_file(item: Evidence, file_id: int) -> EvidenceFile:
    found = (
        EvidenceFile.select(EvidenceFile, Blob)
        .join(Blob)
        .where((EvidenceFile.id == file_id) & (EvidenceFile.evidence == item))
        .first()
    )
    if found is None:
        raise NotFound("file", file_id)
    return found


def versions(item: Evidence) -> pw.ModelSelect:
    return Evidence.select().where(Evidence.lineage == item.lineage).order_by(Evidence.version)


def find_evidence(filters: Mapping[str, Any]) -> pw.ModelSelect:
    """Evidence matching ``filters``: kind, system_id, requirement_id, event_id, valid_on,
    agency_wide, q (title), include_superseded."""
    query = Evidence.select().order_by(Evidence.id)
    if not filters.get("include_superseded"):
        query = query.where(Evidence.superseded_at.is_null())
    if filters.get("kind"):
        query = query.where(Evidence.kind == filters["kind"])
    if filters.get("agency_wide") is not None:
        query = query.where(Evidence.agency_wide == filters["agency_wide"])
    if filters.get("system_id") is not None:
        covered = EvidenceSystem.select(EvidenceSystem.evidence).where(
            EvidenceSystem.system == filters["system_id"]
        )
        query = query.where(Evidence.id.in_(covered) | (Evidence.agency_wide == True))
    if filters.get("event_id") is not None:
        query = query.where(Evidence.event == filters["event_id"])
    if filters.get("requirement_id"):
        query = query.where(Evidence.requirement_ids.contains([filters["requirement_id"]]))
    if (day := filters.get("valid_on")) is not None:
        query = query.where(
            (Evidence.valid_from.is_null() | (Evidence.valid_from <= day))
            & (Evidence.valid_until.is_null() | (Evidence.valid_until >= day))
        )
    if filters.get("q"):
        query = query.where(Evidence.title.ilike(f"%{filters['q']}%"))
    return query


def remove_interrupted_uploads(store: EvidenceStore, max_age_hours: float) -> tuple[int, int]:
    """Delete temporary upload files older than ``max_age_hours`` that no live upload holds
    (uploads cut off by a killed worker); log what was freed. Returns (files, bytes)."""
    removed, freed = store.remove_stale_temporary(max_age_hours * 3600)
    if removed:
        log.warning(
            "removed %d interrupted upload(s) older than %s h from %s (%d bytes)",
            removed,
            max_age_hours,
            store.tmp,
            freed,
        )
    return removed, freed


def sweep_interrupted_uploads(
    evidence_dir: Path, max_age_hours: float, evidence_url: str = ""
) -> tuple[int, int]:
    """The daily sweep's share: :func:`remove_interrupted_uploads` in the store (the S3 bucket
    at ``evidence_url``, else the folder ``evidence_dir`` if there is one); a failure is
    logged, never raised (reminders go first)."""
    if not evidence_url and not (evidence_dir / "tmp").is_dir():
        return 0, 0
    where = evidence_url or evidence_dir
    try:
        store = store_for(evidence_url, evidence_dir, max_age_hours)
        return remove_interrupted_uploads(store, max_age_hours)
    except (OSError, ValueError) as error:
        log.error("could not remove interrupted uploads from %s: %s", where, error)
        return 0, 0


def stored_sizes() -> dict[str, int]:
    """Every file the database expects in the store: {sha256: size}."""
    return dict(Blob.select(Blob.sha256, Blob.size).tuples())
