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

AI_ACT_ROLES = {
    "provider": "Provider (develops or puts into service under its own name)",
    "deployer": "Deployer (procures and uses)",
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
