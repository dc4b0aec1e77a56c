"""The closed vocabularies of the domain: choices a profile or evidence field may take.

Kept in one place so that models, API schemas, the CLI and plugins agree on them.
Each vocabulary maps a stable key (stored and sent over the API) to a label in English, marked
with ``N_`` for the message catalogue and translated where it is shown (the ``label`` filter on
pages, ``tracker.i18n.gettext`` in e-mails and the CLI).
"""

from __future__ import annotations

from tracker.i18n import N_

EVIDENCE_KINDS = {
    "impact_assessment": N_("Impact assessment"),
    "training_certificate": N_("Training certificate"),
    "public_communication": N_("Public communication"),
    "audit": N_("Audit or evaluation"),
    "policy": N_("Policy"),
    "record": N_("Record"),
    "registration": N_("Registration"),
    "consultation": N_("Consultation"),
    "authorisation": N_("Authorisation"),
    "incident_report": N_("Incident report"),
    "technical_documentation": N_("Technical documentation"),
}

DEVELOPMENT_APPROACHES = {
    "internal": N_("Internal development"),
    "external": N_("External development"),
    "joint": N_("Hybrid or joint development"),
    "off_the_shelf": N_("Procured off the shelf"),
}

# Ordered: a system moves forward through these stages.
LIFECYCLE_STAGES = {
    "planning": N_("Planning"),
    "development_or_procurement": N_("Development or procurement"),
    "testing": N_("Testing"),
    "deployment": N_("Deployment and use"),
    "monitoring": N_("Monitoring"),
    "decommissioned": N_("Decommissioned"),
}

RISK_LEVELS = {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High")}

PURPOSE_TYPES = {
    "law_enforcement": N_("Law-enforcement purpose (Law Enforcement Directive)"),
    "administrative": N_("Administrative purpose (GDPR)"),
}

BIOMETRIC_IDENTIFICATION = {
    "none": N_("No biometric identification"),
    "post_event": N_("Post-event remote biometric identification"),
    "real_time": N_("Real-time remote biometric identification in public spaces"),
}

# A set: an agency that builds a system in-house and uses it is both (AI Act Art 25(1), Art 3).
AI_ACT_ROLES = {
    "provider": N_("Provider (develops or puts into service under its own name)"),
    "deployer": N_("Deployer (uses it under its authority)"),
}

# The people whose data or lives the system's outputs concern; a set.
PEOPLE_AFFECTED = {
    "suspects": N_("Suspects"),
    "convicted": N_("Convicted persons"),
    "victims": N_("Victims"),
    "witnesses": N_("Witnesses"),
    "public": N_("The public (people in public spaces, people reporting to the agency)"),
    "staff": N_("The agency's own staff"),
    "applicants": N_("Applicants (for a job, a permit, a licence)"),
}

# AI Act Annex III areas, by point; a set. A system in an area is high-risk unless Art 6(3) applies.
ANNEX_III_AREAS = {
    "biometrics": N_("1. Biometrics (remote identification, categorisation, emotion recognition)"),
    "critical_infrastructure": N_("2. Critical infrastructure"),
    "education": N_("3. Education and vocational training"),
    "employment": N_("4. Employment and workers management"),
    "essential_services": N_("5. Essential private and public services"),
    "law_enforcement": N_("6. Law enforcement"),
    "migration_border": N_("7. Migration, asylum and border control"),
    "justice": N_("8. Administration of justice and democratic processes"),
}

ROLES = {
    "admin": N_("Administrator"),
    "legal": N_("Legal team"),
    "dpo": N_("Data protection officer"),
    "auditor": N_("Auditor (read-only, downloads, audit trail)"),
    "viewer": N_("Viewer (read-only metadata)"),
}


def next_stage(stage: str) -> str | None:
    """The life-cycle stage after ``stage``, or None at the end."""
    stages = list(LIFECYCLE_STAGES)
    position = stages.index(stage)
    return stages[position + 1] if position + 1 < len(stages) else None


PUBLICATION_LEVELS = {
    "public": N_("Public: shown in the transparency register"),
    "authority": N_("Authority only: oversight bodies and auditors, never the public"),
    "internal": N_("Internal: the agency's own staff"),
}


# The short words of a status badge (pages, e-mails): completeness statuses, event duties, review
# decisions and waiver states. Their meanings are in tracker.completeness.facts.STATUSES.
STATUS_WORDS = {
    "satisfied": N_("satisfied"),
    "expiring_soon": N_("expiring soon"),
    "pending_review": N_("pending review"),
    "expired": N_("expired"),
    "rejected": N_("rejected"),
    "missing": N_("missing"),
    "overdue": N_("overdue"),
    "waived": N_("waived"),
    "not_in_force": N_("not in force"),
    "not_triggered": N_("not triggered"),
    "open": N_("open"),
    "accepted": N_("accepted"),
    "requested": N_("requested"),
    "approved": N_("approved"),
    "revoked": N_("revoked"),
}
