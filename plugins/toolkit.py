"""The INTERPOL/UNICRI Toolkit for Responsible AI Innovation in Law Enforcement (baseline).

Agency-wide foundations from the Organizational Roadmap, and per-system items
proportionate to the system's risk level. This is good-practice guidance, not
law: every citation is marked as such.
"""

from plugins import translations_of
from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl

ROADMAP = "INTERPOL/UNICRI Toolkit for Responsible AI Innovation in Law Enforcement: Organizational Roadmap (rev. Feb 2024)"
URL = "https://www.ai-lawenforcement.org/"
MEDIUM_OR_HIGH = 'risk_level in ["medium", "high"]'


def roadmap(section: str) -> Citation:
    return Citation(ROADMAP, section, URL, "guidance")


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "toolkit",
            "INTERPOL/UNICRI Responsible AI Innovation Toolkit",
            "Organisational baseline for responsible AI innovation in law enforcement.",
            URL,
        )
    ]


@hookimpl
def tracker_requirements():
    agency = dict(scope="agency", owner="oversight_committee")
    return [
        Requirement(
            "toolkit.responsible_ai_strategy",
            "Responsible AI strategy",
            roadmap("Processes: developing a responsible AI strategy; Annex"),
            ("policy",),
            due_before="development_or_procurement",
            **agency,
            description="The agency's vision, use cases, priorities, metrics for success and execution plan.",
        ),
        Requirement(
            "toolkit.risk_management_policy",
            "Risk management policy",
            roadmap("Processes: establishing a risk management policy"),
            ("policy",),
            due_before="development_or_procurement",
            **agency,
        ),
        Requirement(
            "toolkit.risk_executive",
            "Appointment of a risk executive",
            roadmap("Processes: establishing a risk management policy (appoint a risk executive)"),
            ("record",),
            due_before="development_or_procurement",
            **agency,
        ),
        Requirement(
            "toolkit.oversight_committee",
            "Responsible AI innovation oversight committee mandate",
            roadmap("Processes: establishing a responsible AI innovation oversight committee"),
            ("policy", "record"),
            due_before="development_or_procurement",
            **agency,
        ),
        Requirement(
            "toolkit.readiness_assessment",
            "Organisational readiness assessment",
            roadmap("Organizational Readiness Assessment Questionnaire"),
            ("audit", "record"),
            due_before="development_or_procurement",
            valid_for_months=24,
            **agency,
        ),
        Requirement(
            "toolkit.needs_capability_assessment",
            "Agency-wide needs and capability assessment",
            roadmap("Processes: carrying out an agency-wide needs and capability assessment"),
            ("record", "audit"),
            due_before="development_or_procurement",
            **agency,
        ),
        Requirement(
            "toolkit.risk_assessment",
            "Risk assessment for the current life-cycle stage",
            roadmap("Processes: risk management; revisit risk assessments at least at each stage"),
            ("impact_assessment",),
            due_before="development_or_procurement",
            renew_on_change=("lifecycle_stage",),
            owner="oversight_committee",
            description="Repeated at each stage of the life cycle and whenever circumstances change.",
        ),
        Requirement(
            "toolkit.hria",
            "Human rights impact assessment",
            roadmap("Oversight committee key activities: human rights impact assessments"),
            ("impact_assessment",),
            applies_when=MEDIUM_OR_HIGH,
            due_before="deployment",
            owner="oversight_committee",
            also_satisfied_by=("eu-ai-act.fria", "coe-cets225.risk_impact_management"),
        ),
        Requirement(
            "toolkit.dpia",
            "Data protection impact assessment",
            roadmap("Oversight committee key activities: data protection impact assessments"),
            ("impact_assessment",),
            applies_when="processes_personal_data",
            due_before="deployment",
            owner="dpo",
            also_satisfied_by=("eu-led.dpia", "eu-gdpr.dpia"),
        ),
        Requirement(
            "toolkit.end_user_training",
            "Training of every end user",
            roadmap("People and expertise: AI application competencies of end users"),
            ("training_certificate",),
            scope="operator",
            due_before="deployment",
            owner="training",
            description="One valid certificate of training in correct and responsible use per operator.",
        ),
        Requirement(
            "toolkit.facial_examiner_certification",
            "Certified facial examiners",
            roadmap(
                "Domain expertise: end users of facial recognition should be trained facial examiners"
            ),
            ("training_certificate",),
            applies_when='biometric_identification != "none"',
            scope="operator",
            due_before="deployment",
            owner="training",
        ),
        Requirement(
            "toolkit.public_information_statement",
            "Public information statement",
            roadmap(
                "Communication and public relations; transparency around the use of AI systems"
            ),
            ("public_communication",),
            applies_when=f"{MEDIUM_OR_HIGH} or public_facing",
            due_before="deployment",
            owner="public_relations",
            description="Purpose, name and version, authorised use cases, development, personal data "
            "handling, data-sharing policy, units with access, and audit results.",
        ),
        Requirement(
            "toolkit.public_engagement",
            "Public engagement",
            roadmap("Processes: laying the foundations for public engagement"),
            ("consultation", "record"),
            applies_when='risk_level == "high" or public_facing',
            due_before="deployment",
            owner="public_relations",
        ),
        Requirement(
            "toolkit.success_metrics",
            "Success metrics set for the system",
            roadmap("Prepare to back down: set metrics to determine the success of the system"),
            ("record", "technical_documentation"),
            applies_when=MEDIUM_OR_HIGH,
            due_before="deployment",
            owner="technology",
        ),
        Requirement(
            "toolkit.audit_evaluation",
            "Audit and evaluation against the success metrics",
            roadmap("Prepare to back down: continuous monitoring, internal and external audits"),
            ("audit",),
            applies_when=MEDIUM_OR_HIGH,
            due_before="monitoring",
            valid_for_months=12,
            recurrence="annual",
            owner="technology",
        ),
        Requirement(
            "toolkit.monitoring_plan",
            "Monitoring of performance and use",
            roadmap("Prepare to back down: continuous monitoring against the objective"),
            ("record", "technical_documentation"),
            due_before="deployment",
            owner="technology",
        ),
        Requirement(
            "toolkit.decommissioning_procedure",
            "Procedure to halt, recalibrate or decommission",
            roadmap("Prepare to back down: procedures to halt, recalibrate or decommission"),
            ("policy",),
            applies_when=MEDIUM_OR_HIGH,
            due_before="deployment",
            owner="oversight_committee",
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
