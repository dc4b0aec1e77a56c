"""The public transparency register: which systems, and which of their facts, the public sees.

The INTERPOL/UNICRI toolkit asks an agency to make public, for each AI system, its purpose,
name and version, how it is used and its authorised use cases, how it was developed, how
personal data is collected, processed and stored, the data-sharing policy, the units with
access, and the results of audits and evaluations. Every profile field has a publication
level; a system may raise or lower a field's level, and only fields that are ``public`` on a
system marked ``published`` ever leave the agency. No web framework here.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import peewee as pw
from fpdf import FPDF

from evidence import ContentStore
from tracker import completeness, evidence_items, vocabulary
from tracker.errors import Conflict
from tracker.models import AISystem, Evidence, EvidenceReview, EvidenceSystem, User
from tracker.plugin_host import Catalogue
from tracker.profile import PROFILE_FIELDS

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

# Shown in the register in this order, with these headings.
PUBLIC_FIELDS: dict[str, str] = {
    "name": "Name",
    "version": "Version",
    "vendor": "Vendor",
    "purpose": "Purpose",
    "usage_description": "How it is used",
    "authorised_use_cases": "Authorised use cases",
    "development_approach": "How it was developed",
    "lifecycle_stage": "Life-cycle stage",
    "processes_personal_data": "Processes personal data",
    "personal_data_handling": "How personal data is collected, processed and stored",
    "data_sharing": "Data-sharing policy",
    "units_with_access": "Units with access",
    "public_facing": "Interacts with the public",
    "ai_act_roles": "Roles under the AI Act",
    "annex_iii_areas": "AI Act Annex III areas",
    "people_affected": "People affected",
    "profiling": "Profiles natural persons",
    "public_authority": "Run by a public authority",
    "countries": "Also used in (countries)",
    "purpose_type": "Kind of purpose",
    "risk_level": "Risk level",
    "biometric_identification": "Biometric identification",
    "jurisdictions": "Jurisdictions",
}
# Vocabulary fields are published as their labels, not their codes.
LABELS = {
    "development_approach": vocabulary.DEVELOPMENT_APPROACHES,
    "lifecycle_stage": vocabulary.LIFECYCLE_STAGES,
    "ai_act_roles": vocabulary.AI_ACT_ROLES,
    "annex_iii_areas": vocabulary.ANNEX_III_AREAS,
    "people_affected": vocabulary.PEOPLE_AFFECTED,
    "purpose_type": vocabulary.PURPOSE_TYPES,
    "risk_level": vocabulary.RISK_LEVELS,
    "biometric_identification": vocabulary.BIOMETRIC_IDENTIFICATION,
}
# Accepted evidence of these kinds is listed as the results of audits and evaluations.
RESULT_KINDS = ("audit",)
# The evidence kind a filed public statement is.
STATEMENT_KIND = "public_communication"


def level_of(system: AISystem, name: str) -> str:
    """The publication level of one of the system's fields."""
    return (system.publication or {}).get(name) or DEFAULT_LEVELS.get(name, "internal")


def levels(system: AISystem) -> dict[str, str]:
    return {name: level_of(system, name) for name in PROFILE_FIELDS}


@dataclass
class PublishedResult:
    title: str
    kind: str
    issuer: str
    issued_on: date | None
    accepted_on: date


@dataclass
class Entry:
    """What the register shows of one system."""

    id: int
    fields: dict[str, Any]  # public fields only, in register order, vocabulary as labels
    results: list[PublishedResult] = field(default_factory=list)
    updated_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.fields,
            "audit_and_evaluation_results": [
                {
                    "title": r.title,
                    "issuer": r.issuer,
                    "issued_on": r.issued_on.isoformat() if r.issued_on else None,
                    "accepted_on": r.accepted_on.isoformat(),
                }
                for r in self.results
            ],
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def _public_value(name: str, value: Any) -> Any:
    if name in LABELS:
        labels = LABELS[name]
        if isinstance(value, list):  # a set of choices
            return [labels.get(v, v) for v in value]
        return labels.get(value, value)
    return value


def entry(system: AISystem, results: Iterable[PublishedResult] = ()) -> Entry:
    public = {
        name: _public_value(name, getattr(system, name))
        for name in PUBLIC_FIELDS
        if level_of(system, name) == "public"
    }
    return Entry(system.id, public, list(results), system.updated_at)


def published_systems() -> pw.ModelSelect:
    return (
        AISystem.select()
        .where((AISystem.published == True) & AISystem.retired_at.is_null())
        .order_by(AISystem.name, AISystem.id)
    )


def _results(system_ids: list[int]) -> dict[int, list[PublishedResult]]:
    """Accepted, current audit and evaluation evidence of each system."""
    found: dict[int, list[PublishedResult]] = {i: [] for i in system_ids}
    if not system_ids:
        return found
    newest = (
        EvidenceReview.select(EvidenceReview.evidence, pw.fn.MAX(EvidenceReview.id).alias("last"))
        .group_by(EvidenceReview.evidence)
        .alias("newest")
    )
    rows = (
        Evidence.select(Evidence, EvidenceSystem.system, EvidenceReview.decided_at)
        .join(EvidenceSystem)
        .switch(Evidence)
        .join(newest, on=(newest.c.evidence_id == Evidence.id))
        .join(EvidenceReview, on=(EvidenceReview.id == newest.c.last))
        .where(
            Evidence.kind.in_(RESULT_KINDS)
            & Evidence.superseded_at.is_null()
            & (EvidenceReview.decision == "accepted")
            & EvidenceSystem.system.in_(system_ids)
        )
        .order_by(Evidence.issued_on.desc(), Evidence.id)
    )
    for item in rows:
        found[item.evidencesystem.system_id].append(
            PublishedResult(
                item.title,
                item.kind,
                item.issuer,
                item.issued_on,
                item.evidencereview.decided_at.date(),
            )
        )
    return found


def register() -> list[Entry]:
    """The whole public register."""
    systems = list(published_systems())
    results = _results([s.id for s in systems])
    return [entry(s, results[s.id]) for s in systems]


def register_entry(system_id: int) -> Entry | None:
    """One published system's entry, or None when it is not in the register."""
    system = published_systems().where(AISystem.id == system_id).first()
    if system is None:
        return None
    return entry(system, _results([system.id])[system.id])


def statement_pdf(item: Entry, agency: str = "") -> bytes:
    """The register entry as a PDF statement, as the public sees it."""

    def latin(text: Any) -> str:  # the PDF core fonts are Latin-1
        return str(text).encode("latin-1", "replace").decode("latin-1")

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", "B", 15)
    title = item.fields.get("name", f"AI system {item.id}")
    document.multi_cell(0, 9, latin(f"Public statement: {title}"), new_x="LMARGIN", new_y="NEXT")
    document.set_font("helvetica", size=10)
    stamp = f"{agency} - " if agency else ""
    document.multi_cell(
        0,
        6,
        latin(f"{stamp}as published on {date.today():%d %B %Y}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for name, value in item.fields.items():
        document.ln(2)
        document.set_font("helvetica", "B", 11)
        document.multi_cell(0, 6, latin(PUBLIC_FIELDS[name]), new_x="LMARGIN", new_y="NEXT")
        document.set_font("helvetica", size=11)
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        elif isinstance(value, list):
            value = "\n".join(f"- {entry}" for entry in value) or "None"
        document.multi_cell(0, 6, latin(value or "-"), new_x="LMARGIN", new_y="NEXT")
    if item.results:
        document.ln(2)
        document.set_font("helvetica", "B", 11)
        document.multi_cell(
            0, 6, "Results of audits and evaluations", new_x="LMARGIN", new_y="NEXT"
        )
        document.set_font("helvetica", size=11)
        for result in item.results:
            issued = f", {result.issued_on:%d %B %Y}" if result.issued_on else ""
            document.multi_cell(
                0,
                6,
                latin(f"- {result.title} ({result.issuer}{issued})"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(document.output())


def file_statement(
    system: AISystem, store: ContentStore, uploader: User, actor: str, catalogue: Catalogue
) -> Evidence:
    """File the system's current public statement as public-communication evidence for the
    requirements that accept it; like any evidence it counts once the DPO accepts it."""
    if not system.published:
        raise Conflict(f"AI system {system.id} is not marked for publication; publish it first")
    result = completeness.for_system(system.id, date.today(), catalogue)
    requirement_ids = [
        item.requirement_id
        for item in result.items
        if STATEMENT_KIND in catalogue.requirements[item.requirement_id].evidence_kinds
    ]
    if not requirement_ids:
        raise Conflict(
            f"no requirement applicable to AI system {system.id} asks for a public communication"
        )
    data = statement_pdf(entry(system, _results([system.id])[system.id]))
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
