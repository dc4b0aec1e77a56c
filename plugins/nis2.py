"""NIS2 Directive (EU) 2022/2555.

Public administration entities working in law enforcement are outside NIS2
(Art 2(7)); the scope determination is asked of every system, and the
security duties apply only where the agency answers that it is in scope
under national transposition (for example a unit or an administrative system).
"""

from tracker.plugin_api import Citation, Jurisdiction, ProfileQuestion, Requirement, hookimpl

NIS2 = "Directive (EU) 2022/2555 (NIS2)"
URL = "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"
IN_SCOPE = "nis2_in_scope"


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
    ]
