"""The public transparency register: which systems, and which of their facts, the public sees.

The INTERPOL/UNICRI toolkit asks an agency to make public, for each AI system, its purpose,
name and version, how it is used and its authorised use cases, how it was developed, how
personal data is collected, processed and stored, the data-sharing policy, the units with
access, and the results of audits and evaluations. Every profile field has a publication
level; a system may raise or lower a field's level, and only fields that are ``public`` on a
system marked ``published`` ever leave the agency. Search and filters read those public values
only, so a filter can never reveal a fact the agency keeps back. No web framework here: the
pages, the JSON and CSV forms (:mod:`tracker.publication.open_data`) and the PDF statement
(:mod:`tracker.publication.statement`) all read the entries made here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import peewee as pw

from evidence import ContentStore
from tracker import completeness, evidence_items, vocabulary
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.i18n.text import Phrase
from tracker.models import AISystem, Evidence, EvidenceReview, EvidenceSystem, User
from tracker.plugin_host import Catalogue
from tracker.profile import PROFILE_FIELDS
from tracker.publication import history as publication_history

# The level of each profile field unless a system says otherwise. Anything not listed is
# internal: a new field is never published by accident.
DEFAULT_LEVELS: dict[str, str] = {
    "name": "public",
    "version": "public",
    "vendor": "public",
    "purpose": "public",
    "usage_description": "public",
    "authorised_use_cases": "public",
    "development_approach": "public",
    "lifecycle_stage": "public",
    "processes_personal_data": "public",
    "personal_data_handling": "public",
    "data_sharing": "public",
    "units_with_access": "public",
    "public_facing": "public",
    "ai_act_roles": "public",
    "annex_iii_areas": "public",
    "people_affected": "public",
    "profiling": "public",
    "public_authority": "public",
    "countries": "public",
    "purpose_type": "authority",
    "risk_level": "authority",
    "biometric_identification": "authority",
    "jurisdictions": "authority",
    "contacts": "internal",
    "answers": "internal",
    "published": "internal",
    "publication": "internal",
}

# The only fields that can ever be published, in the register's order, with their headings
# (translated where shown). Contacts, plugin answers and the publication settings are not here:
# no level a system sets can publish them.
PUBLIC_FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "version": N_("Version"),
    "vendor": N_("Vendor"),
    "purpose": N_("Purpose"),
    "usage_description": N_("How it is used"),
    "authorised_use_cases": N_("Authorised use cases"),
    "development_approach": N_("How it was developed"),
    "lifecycle_stage": N_("Life-cycle stage"),
    "processes_personal_data": N_("Processes personal data"),
    "personal_data_handling": N_("How personal data is collected, processed and stored"),
    "data_sharing": N_("Data-sharing policy"),
    "units_with_access": N_("Units with access"),
    "public_facing": N_("Interacts with the public"),
    "ai_act_roles": N_("Roles under the AI Act"),
    "annex_iii_areas": N_("AI Act Annex III areas"),
    "people_affected": N_("People affected"),
    "profiling": N_("Profiles natural persons"),
    "public_authority": N_("Run by a public authority"),
    "countries": N_("Also used in (countries)"),
    "purpose_type": N_("Kind of purpose"),
    "risk_level": N_("Risk level (the agency's own rating)"),
    "biometric_identification": N_("Biometric identification"),
    "jurisdictions": N_("Jurisdictions"),
}
# Fields whose values are vocabulary codes, and the vocabulary (a name in tracker.vocabulary,
# as the pages' ``label`` filter takes it) that gives each code its label.
FIELD_VOCABULARIES: dict[str, str] = {
    "development_approach": "DEVELOPMENT_APPROACHES",
    "lifecycle_stage": "LIFECYCLE_STAGES",
    "ai_act_roles": "AI_ACT_ROLES",
    "annex_iii_areas": "ANNEX_III_AREAS",
    "people_affected": "PEOPLE_AFFECTED",
    "purpose_type": "PURPOSE_TYPES",
    "risk_level": "RISK_LEVELS",
    "biometric_identification": "BIOMETRIC_IDENTIFICATION",
}
# Accepted, current evidence of these kinds is published with the entry: audit and evaluation
# results (the toolkit) and impact assessments (both public registers ask whether one was made).
RESULT_KINDS = ("audit",)
ASSESSMENT_KINDS = ("impact_assessment",)
# The evidence kind a filed public statement is.
STATEMENT_KIND = "public_communication"
# Filters on the register, each reading the public value of the field of the same name.
CHOICE_FILTERS = ("purpose_type", "lifecycle_stage", "risk_level")
SEARCHED_FIELDS = ("name", "purpose", "usage_description", "authorised_use_cases")
MAX_SEARCH = 200


def vocabulary_of(name: str) -> dict[str, str]:
    """The code -> label vocabulary of a vocabulary field."""
    return getattr(vocabulary, FIELD_VOCABULARIES[name])


def level_of(system: AISystem, name: str) -> str:
    """The publication level of one of the system's fields."""
    return (system.publication or {}).get(name) or DEFAULT_LEVELS.get(name, "internal")


def levels(system: AISystem) -> dict[str, str]:
    return {name: level_of(system, name) for name in PROFILE_FIELDS}


@dataclass(frozen=True)
class PublishedEvidence:
    """An accepted audit, evaluation or impact assessment, as the register names it."""

    title: str
    kind: str
    issuer: str
    issued_on: date | None
    accepted_on: date


@dataclass
class Entry:
    """What the register shows of one system."""

    id: int
    fields: dict[str, Any]  # public fields only, in register order, vocabulary fields as codes
    results: list[PublishedEvidence] = field(default_factory=list)
    assessments: list[PublishedEvidence] = field(default_factory=list)
    # The last change to anything the entry shows (see tracker.publication.history).
    last_updated: datetime | None = None
    published_since: datetime | None = None  # the start of its current time in the register
    first_in_use: datetime | None = None  # when it first reached deployment (stage public only)

    @property
    def title(self) -> str:
        """Its name, or a neutral name when even the name is not public."""
        return self.fields.get("name") or _("AI system %(id)s", id=self.id)

    def public_units(self) -> list[str]:
        return list(self.fields.get("units_with_access") or [])


def public_fields(system: AISystem) -> dict[str, Any]:
    """The system's public fields and their values, in register order."""
    return {
        name: getattr(system, name) for name in PUBLIC_FIELDS if level_of(system, name) == "public"
    }


def shown_in_state(state: Mapping[str, Any]) -> str | None:
    """What the register showed of a system whose profile was ``state`` (a replayed audit
    snapshot), as text that is equal exactly when it showed the same; None: not published."""
    if not state.get("published"):
        return None
    overrides = state.get("publication") or {}
    shown = {
        name: state.get(name)
        for name in PUBLIC_FIELDS
        if (overrides.get(name) or DEFAULT_LEVELS.get(name, "internal")) == "public"
    }
    return json.dumps(shown, sort_keys=True, default=str)


def published_systems() -> pw.ModelSelect:
    return (
        AISystem.select()
        .where((AISystem.published == True) & AISystem.retired_at.is_null())
        .order_by(AISystem.name, AISystem.id)
    )


@dataclass
class _Evidence:
    """Per system: the published evidence now, and the moments that list changed."""

    results: dict[int, list[PublishedEvidence]]
    assessments: dict[int, list[PublishedEvidence]]
    changes: dict[int, list[datetime]]


def _published_evidence(system_ids: list[int]) -> _Evidence:
    """Accepted, current audit and impact-assessment evidence of each system, and when each
    system's list changed: a version appears when accepted, and leaves when a later decision
    rejects it or a new version supersedes it."""
    found = _Evidence({i: [] for i in system_ids}, {i: [] for i in system_ids}, {})
    if not system_ids:
        return found
    query = (
        Evidence.select(
            Evidence.id,
            Evidence.kind,
            Evidence.title,
            Evidence.issuer,
            Evidence.issued_on,
            Evidence.superseded_at,
            EvidenceSystem.system,
            EvidenceReview.decision,
            EvidenceReview.decided_at,
        )
        .join(EvidenceSystem)
        .switch(Evidence)
        .join(EvidenceReview)
        .where(Evidence.kind.in_(RESULT_KINDS + ASSESSMENT_KINDS))
        .order_by(Evidence.id, EvidenceReview.id)
    )
    wanted = set(system_ids)
    if len(system_ids) <= publication_history.RESTRICT_AT_MOST:
        query = query.where(EvidenceSystem.system.in_(system_ids))
    walks: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in query.dicts():
        if row["system"] in wanted:
            walks.setdefault((row["id"], row["system"]), []).append(row)
    for (_evidence_id, system_id), reviews in walks.items():
        changes = found.changes.setdefault(system_id, [])
        first, shown, accepted_on = reviews[0], False, None
        superseded = first["superseded_at"]
        for review in reviews:
            moment = review["decided_at"]
            now = review["decision"] == "accepted" and (superseded is None or moment < superseded)
            if now != shown:
                changes.append(moment)
                shown = now
                accepted_on = moment.date() if now else None
        if shown and superseded is not None:
            changes.append(superseded)
            shown = False
        if shown and accepted_on is not None:
            item = PublishedEvidence(
                first["title"], first["kind"], first["issuer"], first["issued_on"], accepted_on
            )
            target = found.results if first["kind"] in RESULT_KINDS else found.assessments
            target[system_id].append(item)
    for lists in (found.results, found.assessments):
        for items in lists.values():
            items.sort(key=lambda e: (e.issued_on or e.accepted_on, e.title), reverse=True)
    return found


def _entries(systems: list[AISystem]) -> list[Entry]:
    ids = [s.id for s in systems]
    evidence = _published_evidence(ids)
    history = publication_history.histories(systems, evidence.changes, shown_in_state)
    entries = []
    for system in systems:
        when = history[system.id]
        fields = public_fields(system)
        entries.append(
            Entry(
                system.id,
                fields,
                evidence.results[system.id],
                evidence.assessments[system.id],
                when.last_updated,
                when.published_since,
                when.first_in_use if "lifecycle_stage" in fields else None,
            )
        )
    return entries


def entry(system: AISystem) -> Entry:
    """One system's entry as it would be published (whether or not it is)."""
    return _entries([system])[0]


def register() -> list[Entry]:
    """The whole public register, by name."""
    return _entries(list(published_systems()))


def register_entry(system_id: int) -> Entry | None:
    """One published system's entry, or None when it is not in the register."""
    system = published_systems().where(AISystem.id == system_id).first()
    return None if system is None else entry(system)


# --- search and filters -------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilter:
    """What a reader asked the register for; empty strings mean "any"."""

    q: str = ""
    purpose_type: str = ""
    lifecycle_stage: str = ""
    risk_level: str = ""
    unit: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def is_empty(self) -> bool:
        return not any(self.as_dict().values())

    def matches(self, item: Entry) -> bool:
        """True when the entry's public values satisfy every filter given."""
        for name in CHOICE_FILTERS:
            wanted = getattr(self, name)
            if wanted and item.fields.get(name) != wanted:
                return False  # a field the system does not publish matches no value
        if self.unit and self.unit.casefold() not in {u.casefold() for u in item.public_units()}:
            return False
        if self.q:
            text = " ".join(_searchable(item.fields.get(name)) for name in SEARCHED_FIELDS)
            return all(word in text for word in self.q.casefold().split())
        return True


def _searchable(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value).casefold()
    return str(value or "").casefold()


def read_filter(args: Mapping[str, str]) -> RegisterFilter:
    """The filter a query string asks for; ValidationFailed names each bad parameter and its
    rule. Unknown parameters are ignored, so links that carry extra ones still work."""
    errors: dict[str, list[str]] = {}
    values = {
        name: " ".join(str(args.get(name, "") or "").split()) for name in RegisterFilter().as_dict()
    }
    if len(values["q"]) > MAX_SEARCH:
        errors["q"] = [_("At most %(n)s characters.", n=MAX_SEARCH)]
    if len(values["unit"]) > MAX_SEARCH:
        errors["unit"] = [_("At most %(n)s characters.", n=MAX_SEARCH)]
    for name in CHOICE_FILTERS:
        if values[name] and values[name] not in vocabulary_of(name):
            choices = ", ".join(vocabulary_of(name))
            errors[name] = [_("Must be one of: %(choices)s.", choices=choices)]
    if errors:
        raise ValidationFailed(errors)
    return RegisterFilter(**values)


def search(entries: Iterable[Entry], wanted: RegisterFilter) -> list[Entry]:
    return [item for item in entries if wanted.matches(item)]


def facets(entries: list[Entry]) -> dict[str, list[tuple[str, int]]]:
    """For each filter, the values the register's entries publish and how many publish each
    (vocabulary order for choices, alphabetical for units); values nobody publishes are left
    out, so no choice leads to an empty page by construction."""
    found: dict[str, list[tuple[str, int]]] = {}
    for name in CHOICE_FILTERS:
        counts = [
            (code, sum(e.fields.get(name) == code for e in entries)) for code in vocabulary_of(name)
        ]
        found[name] = [(code, n) for code, n in counts if n]
    units: dict[str, list[Any]] = {}  # casefolded unit -> [as first written, count]
    for item in entries:
        for key, unit in {u.casefold(): u for u in reversed(item.public_units())}.items():
            units.setdefault(key, [unit, 0])[1] += 1
    found["unit"] = sorted(((u, n) for u, n in units.values()), key=lambda p: p[0].casefold())
    return found


# --- filing the statement as evidence --------------------------------------------------------


def file_statement(
    system: AISystem, store: ContentStore, uploader: User, actor: str, catalogue: Catalogue
) -> Evidence:
    """File the system's current public statement as public-communication evidence for the
    requirements that accept it; like any evidence it counts once the DPO accepts it."""
    from tracker import agency
    from tracker.publication import statement  # it reads this module's entries

    if not system.published:
        raise Conflict(
            Phrase("AI system %(id)s is not marked for publication; publish it first", id=system.id)
        )
    result = completeness.for_system(system.id, date.today(), catalogue)
    requirement_ids = [
        item.requirement_id
        for item in result.items
        if STATEMENT_KIND in catalogue.requirements[item.requirement_id].evidence_kinds
    ]
    if not requirement_ids:
        raise Conflict(
            Phrase(
                "no requirement applicable to AI system %(id)s asks for a public communication",
                id=system.id,
            )
        )
    data = statement.statement_pdf(entry(system), agency.current(), agency.logo())
    incoming = [
        evidence_items.IncomingFile(
            store.put(io.BytesIO(data)), f"public-statement-{system.id}.pdf"
        )
    ]
    metadata = {
        "kind": STATEMENT_KIND,
        "title": f"Public statement in the transparency register: {system.name}",
        "issued_on": date.today(),
        "requirement_ids": requirement_ids,
        "system_ids": [system.id],
    }
    return evidence_items.add_evidence(
        store, metadata, incoming, uploader, actor, known_requirements=catalogue.requirements
    )
