"""The closed vocabularies of the domain: choices a profile or evidence field may take.

Kept in one place so that models, API schemas, the CLI and plugins agree on them.
Each vocabulary maps a stable key (stored and sent over the API) to a label.
"""

from __future__ import annotations

EVIDENCE_KINDS = {
    "impact_assessment": "Impact assessment",
    "training_certificate": "Training certificate",
    "public_communication": "Public communication",
    "audit": "Audit or evaluation",
    "policy": "Policy",
    "record": "Record",
    "registration": "Registration",
    "consultation": "Consultation",
    "authorisation": "Authorisation",
    "incident_report": "Incident report",
    "technical_documentation": "Technical documentation",
}

DEVELOPMENT_APPROACHES = {
    "internal": "Internal development",
    "external": "External development",
    "joint": "Hybrid or joint development",
    "off_the_shelf": "Procured off the shelf",
}

# Ordered: a system moves forward through these stages.
LIFECYCLE_STAGES = {
    "planning": "Planning",
    "development_or_procurement": "Development or procurement",
    "testing": "Testing",
    "deployment": "Deployment and use",
    "monitoring": "Monitoring",
    "decommissioned": "Decommissioned",
}

RISK_LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}

PURPOSE_TYPES = {
    "law_enforcement": "Law-enforcement purpose (Law Enforcement Directive)",
    "administrative": "Administrative purpose (GDPR)",
}

BIOMETRIC_IDENTIFICATION = {
    "none": "No biometric identification",
    "post_event": "Post-event remote biometric identification",
    "real_time": "Real-time remote biometric identification in public spaces",
}

# A set: an agency that builds a system in-house and uses it is both (AI Act Art 25(1), Art 3).
AI_ACT_ROLES = {
    "provider": "Provider (develops or puts into service under its own name)",
    "deployer": "Deployer (uses it under its authority)",
}

# The people whose data or lives the system's outputs concern; a set.
PEOPLE_AFFECTED = {
    "suspects": "Suspects",
    "convicted": "Convicted persons",
    "victims": "Victims",
    "witnesses": "Witnesses",
    "public": "The public (people in public spaces, people reporting to the agency)",
    "staff": "The agency's own staff",
    "applicants": "Applicants (for a job, a permit, a licence)",
}

# AI Act Annex III areas, by point; a set. A system in an area is high-risk unless Art 6(3) applies.
ANNEX_III_AREAS = {
    "biometrics": "1. Biometrics (remote identification, categorisation, emotion recognition)",
    "critical_infrastructure": "2. Critical infrastructure",
    "education": "3. Education and vocational training",
    "employment": "4. Employment and workers management",
    "essential_services": "5. Essential private and public services",
    "law_enforcement": "6. Law enforcement",
    "migration_border": "7. Migration, asylum and border control",
    "justice": "8. Administration of justice and democratic processes",
}

ROLES = {
    "admin": "Administrator",
    "legal": "Legal team",
    "dpo": "Data protection officer",
    "auditor": "Auditor (read-only, downloads, audit trail)",
    "viewer": "Viewer (read-only metadata)",
}


def next_stage(stage: str) -> str | None:
    """The life-cycle stage after ``stage``, or None at the end."""
    stages = list(LIFECYCLE_STAGES)
    position = stages.index(stage)
    return stages[position + 1] if position + 1 < len(stages) else None


PUBLICATION_LEVELS = {
    "public": "Public: shown in the transparency register",
    "authority": "Authority only: oversight bodies and auditors, never the public",
    "internal": "Internal: the agency's own staff",
}
