"""Building a pack: a system's (or every system's) payload, the anchor, the signed bag.

:func:`write_pack` streams the bag to an open file and returns what was written; the caller
(tracker.packs.records) keeps the file and records it. Memory stays flat however large the
evidence: files stream from the store through the zip to the output a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from evidence import open_store
from tracker import audit
from tracker.audit import checkpoints as checkpoint_file
from tracker.audit import keys as audit_keys
from tracker.completeness.loader import end_of
from tracker.config import Settings
from tracker.db import utcnow
from tracker.errors import NotFound
from tracker.i18n.text import Phrase
from tracker.models import AISystem, AuditEvent
from tracker.packs import bag, contents, excerpt
from tracker.packs.bag import Member, Written, text_member
from tracker.packs.readme import readme
from tracker.packs.signing import PackKey
from tracker.plugin_host import Catalogue


@dataclass(frozen=True)
class Scope:
    """What a pack covers: one system, or every system (``system_id`` None)."""

    as_of: date
    system_id: int | None = None


def _anchor(last: int, settings: Settings) -> bytes:
    """The tag file tying the excerpt's last event to a signed checkpoint, or to the head."""
    keyring = audit_keys.current()
    point = next(
        (
            entry.checkpoint
            for entry in checkpoint_file.read(settings.audit_checkpoint_file)
            if entry.checkpoint is not None and entry.checkpoint.last_id >= last
        ),
        None,
    )
    head = audit._head()
    upto = point.last_id if point is not None else head[0]
    links = (
        AuditEvent.select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)
        .where((AuditEvent.id > last) & (AuditEvent.id <= upto))
        .order_by(AuditEvent.id)
        .tuples()
    )
    public = {key.key_id: key.public_key_pem() for key in keyring.keys}
    return excerpt.anchor(links.iterator(), point, public, head, utcnow())


def _systems(scope: Scope) -> list[AISystem]:
    end = end_of(scope.as_of)
    query = AISystem.select(AISystem.id, AISystem.name).where(AISystem.created_at <= end)
    if scope.system_id is not None:
        query = query.where(AISystem.id == scope.system_id)
    return list(query.order_by(AISystem.id))


def write_pack(
    out: BinaryIO,
    scope: Scope,
    catalogue: Catalogue,
    settings: Settings,
    key: PackKey,
    root: str,
    progress: Callable[[int, int], None] | None = None,
) -> Written:
    """Stream the pack for ``scope`` to ``out``. ``progress(done, total)``: bytes of evidence
    for one system's pack, systems for the agency's."""
    store = open_store(settings)
    end = end_of(scope.as_of)
    agency = contents.agency_details()
    systems = _systems(scope)
    single = scope.system_id is not None
    if not systems and single:
        raise NotFound(
            "AI system",
            Phrase(
                "%(id)s on %(day)s (not registered by then)", id=scope.system_id, day=scope.as_of
            ),
        )
    if not systems:
        raise NotFound("AI system", Phrase("registered by %(day)s", day=scope.as_of))
    entities: dict[str, set[str]] | None = None

    counts = {"done": 0, "total": 0}

    def advance(step: int) -> None:
        counts["done"] += step
        if progress:
            progress(counts["done"], counts["total"])

    def members() -> Iterator[Member]:
        nonlocal entities
        if not single:
            counts["total"] = len(systems)
        yield text_member("agency.json", contents.json_bytes(agency))
        yield text_member(
            "catalogue.json", contents.json_bytes(contents.catalogue_in_force(catalogue, end))
        )
        for system in systems:
            prefix = (
                "" if single else f"systems/{contents.safe_name(f'{system.id}-{system.name}')}/"
            )
            part = contents.section(
                system.id,
                scope.as_of,
                catalogue,
                settings.expiring_soon_days,
                store,
                prefix,
                agency["name"],
            )
            if single:
                entities = contents.system_entities(system.id, part.evidence_ids)
                counts["total"] = part.payload_bytes
            yield from part.members
            if not single:
                advance(1)
        audit_parts, last["id"] = contents.audit_members(entities, end)
        yield from audit_parts

    last = {"id": 0}
    info = {
        "Source-Organization": agency["name"] or "-",
        "Contact-Email": agency["dpo_contact"] or "-",
        "External-Description": (
            f"Evidence pack of AI system {systems[0].id} ({systems[0].name})"
            if single and systems
            else "Evidence pack of every AI system"
        )
        + f" as of the end of {scope.as_of.isoformat()}",
        "Bagging-Date": utcnow().date().isoformat(),
        "Tracker-As-Of": scope.as_of.isoformat(),
        "Tracker-System": str(scope.system_id) if single else "all",
        "Tracker-Signing-Key": key.key_id,
    }

    def tags() -> dict[str, bytes]:
        return {
            "README.txt": readme(root, scope.as_of, systems, key.key_id).encode(),
            excerpt.ANCHOR: _anchor(last["id"], settings),
        }

    return bag.write(
        out,
        root,
        members(),
        info,
        tags,
        key,
        advance if single else None,
    )
