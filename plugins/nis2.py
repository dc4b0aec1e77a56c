"""NIS2 Directive (EU) 2022/2555.

Public administration entities working in law enforcement are outside NIS2
(Art 2(7)); the scope determination is asked of every system, and the
security duties apply only where the agency answers that it is in scope
under national transposition (for example a unit or an administrative system).
"""

from plugins import translations_of
from tracker.plugin_api import (
    EU_MEMBER_STATES,
    Citation,
    Jurisdiction,
    ProfileQuestion,
    Requirement,
    hookimpl,
)

NIS2 = "Directive (EU) 2022/2555 (NIS2)"
URL = "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"
IN_SCOPE = "nis2_in_scope"
INCIDENT = "significant_cyber_incident"


def art(article: str, status: str = "V", note: str = "") -> Citation:
    return Citation(NIS2, article, URL, status, note)


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "nis2",
            "EU NIS2 Directive 2022/2555",
            "Cybersecurity risk management and incident reporting, where in scope.",
            URL,
            territory=EU_MEMBER_STATES,
        )
    ]


@hookimpl
def tracker_profile_questions():
    return [
        ProfileQuestion(
            IN_SCOPE,
            "Is this system operated by an entity in NIS2 scope under national law?",
            "boolean",
            help="Law-enforcement public administration is excluded (Art 2(7)); "
            "answer yes only where national transposition brings it in.",
            default=False,
        )
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            "nis2.scope",
            "NIS2 scope determination",
            art("Art 2(1)-(2),(7)-(8)"),
            ("record",),
            scope="agency",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "nis2.governance_approval",
            "Management body approval of the security measures",
            art("Art 20(1)"),
            ("record",),
            applies_when=IN_SCOPE,
            due_before="deployment",
            owner="oversight_committee",
        ),
        Requirement(
            "nis2.management_training",
            "Cybersecurity training of the management body",
            art("Art 20(2)"),
            ("training_certificate",),
            applies_when=IN_SCOPE,
            scope="agency",
            due_before="deployment",
            owner="training",
        ),
        Requirement(
            "nis2.risk_measures",
            "Cybersecurity risk-management measures and their effectiveness",
            art("Art 21(1)-(2)(a)-(j)"),
            ("policy", "audit"),
            applies_when=IN_SCOPE,
            due_before="deployment",
            owner="technology",
            valid_for_months=12,
            recurrence="annual",
        ),
        Requirement(
            "nis2.supply_chain",
            "Supplier security assessment",
            art("Art 21(2)(d)"),
            ("record",),
            applies_when=f'{IN_SCOPE} and development_approach != "internal"',
            due_before="deployment",
            owner="technology",
        ),
        Requirement(
            "nis2.registration",
            "Entity registration with the national authority",
            art("Arts 3(3)-(4), 27", "P"),
            ("registration",),
            applies_when=IN_SCOPE,
            scope="agency",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "nis2.incident_early_warning",
            "Early warning of a significant incident to the CSIRT within 24 hours",
            art("Art 23(1),(4)(a)", note="say whether it is suspected malicious or cross-border"),
            ("incident_report",),
            applies_when=IN_SCOPE,
            owner="technology",
            deadline_after_event=(INCIDENT, 24),
        ),
        Requirement(
            "nis2.incident_notification",
            "Incident notification with an initial assessment within 72 hours",
            art("Art 23(4)(b)"),
            ("incident_report",),
            applies_when=IN_SCOPE,
            owner="technology",
            deadline_after_event=(INCIDENT, 72),
        ),
        Requirement(
            "nis2.incident_final_report",
            "Final (or progress) report within one month of the notification",
            art(
                "Art 23(4)(d)-(e)",
                note="one month after the 72-hour notification: 33 days from awareness here",
            ),
            ("incident_report",),
            applies_when=IN_SCOPE,
            owner="technology",
            deadline_after_event=(INCIDENT, 33 * 24),
        ),
        Requirement(
            "nis2.recipient_notice",
            "Recipients of the service told of the significant incident",
            art("Art 23(1)-(2)", note="without undue delay; the law sets no hours: 72 h here"),
            ("public_communication",),
            applies_when=IN_SCOPE,
            owner="public_relations",
            deadline_after_event=(INCIDENT, 72),
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
