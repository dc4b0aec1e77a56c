"""Names for the audit trail: who acted and what each event is about, in words, not ids.

An audit event stores its actor as a username and its entity as a type and an id. People reading
the trail want "Léa Martin approved the waiver of the DPIA for the chatbot", so this module
resolves a batch of events at once: one query per kind of entity on the page (and one for the
actors), never one per row. Plain Python with no web framework: pages, CSV exports and the CLI
use the same names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import (
    AgencyProfile,
    AISystem,
    ApiToken,
    AuditEvent,
    Evidence,
    EvidenceFile,
    Operator,
    SystemEvent,
    User,
    Waiver,
)
from tracker.plugin_host import Catalogue

# What each entity type is called; a type not listed here is shown as stored.
ENTITY_TYPES = {
    "ai_system": N_("AI system"),
    "operator": N_("Operator"),
    "system_event": N_("Event"),
    "evidence": N_("Evidence"),
    "evidence_file": N_("Evidence file"),
    "waiver": N_("Waiver"),
    "user": N_("User"),
    "api_token": N_("API token"),
    "agency": N_("Agency"),
    "catalogue": N_("Catalogue"),
    "audit_key": N_("Audit key"),  # its id is the key's id, never the key
}
BATCH = 500  # ids per IN (...) list: well under SQLite's parameter limit


def person(username: str, full_name: str = "") -> str:
    """How pages name a user: the full name when there is one, else the username."""
    return full_name.strip() or username


@dataclass(frozen=True)
class Named:
    """An audit event's entity in words: its type's label and its own name (empty if gone)."""

    type_label: str
    name: str

    def __str__(self) -> str:
        return f"{self.type_label}: {self.name}" if self.name else self.type_label


def actor_names(usernames: Iterable[str]) -> dict[str, str]:
    """username -> the person's name, for the usernames that are users (one query per batch).

    Actors that are not users ("system", "demo-seed", "schema upgrade 6") are left out: the
    caller shows them as they are.
    """
    wanted = sorted(set(usernames))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        query = User.select(User.username, User.full_name).where(
            User.username.in_(wanted[start : start + BATCH])
        )
        for username, full_name in query.tuples():
            found[username] = person(username, full_name)
    return found


def _numeric(ids: Iterable[str]) -> list[int]:
    return sorted({int(i) for i in ids if i.isdigit() and 0 < int(i) < 2**31})


def _in_batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _systems(ids: list[int]) -> dict[int, str]:
    names = {}
    for batch in _in_batches(ids):
        names.update(
            AISystem.select(AISystem.id, AISystem.name).where(AISystem.id.in_(batch)).tuples()
        )
    return names


def _resolve(entity_type: str, ids: list[int], catalogue: Catalogue) -> dict[int, str]:
    """id -> name for one entity type (one or two queries per batch of ids)."""
    names: dict[int, str] = {}
    for batch in _in_batches(ids):
        if entity_type == "ai_system":
            names.update(_systems(batch))
        elif entity_type == "evidence":
            query = Evidence.select(Evidence.id, Evidence.title, Evidence.version)
            for row_id, title, version in query.where(Evidence.id.in_(batch)).tuples():
                names[row_id] = _("%(title)s (version %(version)s)", title=title, version=version)
        elif entity_type == "evidence_file":
            query = EvidenceFile.select(EvidenceFile.id, EvidenceFile.display_name, Evidence.title)
            query = query.join(Evidence).where(EvidenceFile.id.in_(batch))
            for row_id, file_name, title in query.tuples():
                names[row_id] = _("%(file)s of %(title)s", file=file_name, title=title)
        elif entity_type == "user":
            query = User.select(User.id, User.username, User.full_name)
            for row_id, username, full_name in query.where(User.id.in_(batch)).tuples():
                names[row_id] = person(username, full_name)
        elif entity_type == "api_token":
            query = ApiToken.select(ApiToken.id, ApiToken.name, User.username, User.full_name)
            query = query.join(User).where(ApiToken.id.in_(batch))
            for row_id, token, username, full_name in query.tuples():
                names[row_id] = _(
                    "%(token)s of %(person)s", token=token, person=person(username, full_name)
                )
        elif entity_type == "operator":
            query = Operator.select(Operator.id, Operator.name, AISystem.name).join(AISystem)
            for row_id, name, system in query.where(Operator.id.in_(batch)).tuples():
                names[row_id] = _("%(name)s on %(system)s", name=name, system=system)
        elif entity_type == "system_event":
            query = SystemEvent.select(SystemEvent.id, SystemEvent.kind, AISystem.name)
            query = query.join(AISystem).where(SystemEvent.id.in_(batch))
            for row_id, kind, system in query.tuples():
                known = catalogue.event_kinds.get(kind)
                title = known.title if known else kind
                names[row_id] = _("%(kind)s, %(system)s", kind=title, system=system)
        elif entity_type == "waiver":
            query = Waiver.select(Waiver.id, Waiver.requirement_id, AISystem.name).join(AISystem)
            for row_id, requirement_id, system in query.where(Waiver.id.in_(batch)).tuples():
                found = catalogue.requirements.get(requirement_id)
                title = found.title if found else requirement_id
                names[row_id] = _(
                    "%(requirement)s for %(system)s", requirement=title, system=system
                )
        elif entity_type == "agency":
            query = AgencyProfile.select(AgencyProfile.id, AgencyProfile.name)
            names.update(query.where(AgencyProfile.id.in_(batch)).tuples())
    return names


def entity_names(
    events: Iterable[AuditEvent], catalogue: Catalogue
) -> dict[tuple[str, str], Named]:
    """(entity type, entity id) -> its name, for every event given: one query per entity type.

    An entity that no longer exists, or a type this module does not know, gets its type's label
    and an empty name; the caller shows the stored id beside it.
    """
    by_type: dict[str, set[str]] = defaultdict(set)
    for event in events:
        by_type[event.entity_type].add(str(event.entity_id))
    named: dict[tuple[str, str], Named] = {}
    for entity_type, ids in by_type.items():
        label = _(ENTITY_TYPES[entity_type]) if entity_type in ENTITY_TYPES else entity_type
        if entity_type == "catalogue":  # its id is the catalogue's digest
            found = {i: _("digest %(digest)s", digest=i[:12]) for i in ids}
        else:
            resolved = _resolve(entity_type, _numeric(ids), catalogue)
            found = {str(k): v for k, v in resolved.items()}
        for entity_id in ids:
            named[(entity_type, entity_id)] = Named(label, found.get(entity_id, ""))
    return named
