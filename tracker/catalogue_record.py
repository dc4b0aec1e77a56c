"""The catalogue in force: the one the agency accepted, and what changed since.

A catalogue (every enabled jurisdiction, plugin question and requirement, with the plugins
and versions they come from) is serialised by :func:`serialise` into plain JSON data, the
same wherever it is needed: in the audit event ``catalogue.accepted`` that records the
catalogue an agency accepted (``tracker plugins accept``), and in anything that must show "the
catalogue in force". No table of its own: the audit trail is the record, hash-chained like
every other change.

:func:`compare` lists what differs between two serialised catalogues (definitions added,
removed, and changed field by field), and :func:`orphaned_evidence` the current evidence
whose requirement ids name a requirement that is gone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker import audit
from tracker.accounts import WRITE_ROLES
from tracker.db import write_transaction
from tracker.errors import ValidationFailed
from tracker.models import AuditEvent, Evidence, User
from tracker.plugin_api import API_VERSION
from tracker.plugin_host import Catalogue

ACTION = "catalogue.accepted"
ENTITY = "catalogue"
FORMAT = 1  # of the serialised catalogue; raised when its shape changes
# The kinds of definition a catalogue holds, in the order a comparison reports them.
SECTIONS = ("jurisdictions", "event_kinds", "questions", "requirements")


def plain(value: Any) -> Any:
    """``value`` as JSON data: dataclasses as objects of their fields, tuples as lists,
    dates as ISO text. Generic, so that a field a definition gains later is kept too."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def digest(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a serialised catalogue (its own digest left out)."""
    content = {k: v for k, v in data.items() if k != "digest"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def serialise(catalogue: Catalogue) -> dict[str, Any]:
    """The catalogue in use as plain data: what an agency accepts, and what a diff compares.

    Holds the enabled jurisdictions, the event kinds (the tracker's and the plugins'), the
    plugins' questions and every enabled requirement in full (with deployment overrides such
    as in-force dates applied), the loaded plugins with their distributions and versions, the
    plugin API version and a digest.
    """
    data: dict[str, Any] = {
        "format": FORMAT,
        "api_version": API_VERSION,
        "plugins": [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "built_in": p.built_in,
                "jurisdictions": list(p.jurisdictions),
            }
            for p in catalogue.plugins
            if p.loaded
        ],
        "jurisdictions": {jid: plain(j) for jid, j in catalogue.jurisdictions.items()},
        "event_kinds": {kid: plain(k) for kid, k in catalogue.event_kinds.items()},
        "questions": {q.id: plain(q) for q in catalogue.questions},
        "requirements": {rid: plain(r) for rid, r in catalogue.requirements.items()},
    }
    data["digest"] = digest(data)
    return data


@dataclass(frozen=True)
class Accepted:
    """A catalogue the agency accepted: the audit event that records it, and its content."""

    event_id: int
    occurred_at: str
    actor: str
    catalogue: dict[str, Any]


def last_accepted() -> Accepted | None:
    """The catalogue most recently accepted, or None if none ever was."""
    event = (
        AuditEvent.select()
        .where((AuditEvent.action == ACTION) & (AuditEvent.entity_type == ENTITY))
        .order_by(AuditEvent.id.desc())
        .first()
    )
    if event is None:
        return None
    return Accepted(event.id, event.occurred_at, event.actor, dict(event.after or {}))


def accept(catalogue: Catalogue, user: User, actor: str) -> tuple[Accepted, bool]:
    """Record ``catalogue`` as the one in use; (the accepted record, whether it is new).

    Only an active administrator, legal or data protection user accepts it (it decides what
    the agency is measured against). Accepting the catalogue accepted last records nothing.
    """
    if user.role not in WRITE_ROLES or not user.is_active:
        who = (
            f"{user.username} is {user.role}"
            if user.is_active
            else f"{user.username} is deactivated"
        )
        raise ValidationFailed(
            {
                "accepted_by": [
                    "Only an active administrator, legal or data protection user accepts the "
                    f"catalogue; {who}."
                ]
            }
        )
    data = serialise(catalogue)
    with write_transaction():
        previous = last_accepted()
        if previous is not None and previous.catalogue.get("digest") == data["digest"]:
            return previous, False
        event = audit.record(actor, ACTION, ENTITY, data["digest"], after=data)
    return Accepted(event.id, event.occurred_at, event.actor, data), True


@dataclass(frozen=True)
class FieldChange:
    field: str  # dotted, e.g. "citation.verification"
    old: Any
    new: Any


@dataclass
class SectionDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[FieldChange]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class CatalogueDiff:
    """What differs from the old catalogue to the new, by kind of definition."""

    sections: dict[str, SectionDiff]
    # Plugin name -> (old version, new version); "" where it is absent.
    plugin_versions: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.sections.values())

    @property
    def requirements(self) -> SectionDiff:
        return self.sections["requirements"]


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted paths to their leaves; lists stay whole (one value)."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """The fields whose values differ, old → new, in the order of the definition's fields."""
    before, after = _flat(old), _flat(new)
    names = list(dict.fromkeys([*after, *before]))
    return [
        FieldChange(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> CatalogueDiff:
    """Definitions added, removed and changed from ``old`` to ``new`` (both serialised)."""
    sections = {}
    for name in SECTIONS:
        before, after = old.get(name) or {}, new.get(name) or {}
        section = SectionDiff(
            added=[key for key in after if key not in before],
            removed=[key for key in before if key not in after],
        )
        for key in after:
            if key in before and (changes := field_changes(before[key], after[key])):
                section.changed[key] = changes
        sections[name] = section
    versions = {p["name"]: p.get("version", "") for p in old.get("plugins") or []}
    now = {p["name"]: p.get("version", "") for p in new.get("plugins") or []}
    plugin_versions = {
        name: (versions.get(name, ""), now.get(name, ""))
        for name in dict.fromkeys([*versions, *now])
        if versions.get(name) != now.get(name)
    }
    return CatalogueDiff(sections, plugin_versions)


@dataclass(frozen=True)
class OrphanedEvidence:
    id: int
    title: str
    # The requirements it still serves in the new catalogue (empty: it serves nothing).
    still_serves: tuple[str, ...]


def orphaned_evidence(
    removed: Iterable[str], remaining: Iterable[str]
) -> dict[str, list[OrphanedEvidence]]:
    """For each removed requirement, the current evidence (newest versions) meant for it."""
    removed, remaining = list(removed), set(remaining)
    found: dict[str, list[OrphanedEvidence]] = {rid: [] for rid in removed}
    if not removed:
        return found
    query = (
        Evidence.select(Evidence.id, Evidence.title, Evidence.requirement_ids)
        .where(Evidence.superseded_at.is_null())
        .order_by(Evidence.id)
    )
    for evidence_id, title, requirement_ids in query.tuples().iterator():
        if isinstance(requirement_ids, str):  # SQLite may hand JSON back as text
            requirement_ids = json.loads(requirement_ids)
        ids = list(requirement_ids or ())
        still = tuple(rid for rid in ids if rid in remaining)
        for rid in ids:
            if rid in found:
                found[rid].append(OrphanedEvidence(evidence_id, title, still))
    return found
