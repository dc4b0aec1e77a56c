"""EU General Data Protection Regulation 2016/679: the agency's non-law-enforcement processing.

Processing for law-enforcement purposes falls under the Law Enforcement
Directive instead (GDPR Art 2(2)(d)), so these rules apply only to systems
with an administrative purpose.
"""

from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl

GDPR = "Regulation (EU) 2016/679 (GDPR)"
URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
NON_LE = 'processes_personal_data and purpose_type == "administrative"'
VENDOR = 'development_approach in ["external", "joint", "off_the_shelf"]'


def art(article: str, status: str = "V", note: str = "") -> Citation:
    return Citation(GDPR, article, URL, status, note)


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "eu-gdpr",
            "EU GDPR (non-law-enforcement processing)",
            "Applies to the agency's administrative processing of personal data.",
            URL,
        )
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            "eu-gdpr.scope_classification",
            "Purpose classification: GDPR or Law Enforcement Directive",
            art("Art 2(2)(d)"),
            ("record",),
            applies_when="processes_personal_data",
            due_before="development_or_procurement",
            owner="dpo",
            renew_on_change=("purpose_type",),
        ),
        Requirement(
            "eu-gdpr.accountability_policy",
            "Data protection policy and organisational measures",
            art("Art 24(1)-(2)"),
            ("policy",),
            applies_when=NON_LE,
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "eu-gdpr.dp_by_design",
            "Data protection by design and by default",
            art("Art 25(1)-(2)"),
            ("technical_documentation",),
            applies_when=NON_LE,
            due_before="testing",
            owner="technology",
        ),
        Requirement(
            "eu-gdpr.processor_contract",
            "Data processing agreement with the vendor",
            art("Art 28(1),(3),(9)"),
            ("record",),
            applies_when=f"{NON_LE} and {VENDOR}",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-gdpr.ropa",
            "Record of processing activities",
            art("Art 30(1),(3)-(5)"),
            ("record",),
            applies_when=NON_LE,
            due_before="deployment",
            owner="dpo",
            renew_on_change=("purpose",),
        ),
        Requirement(
            "eu-gdpr.special_category_basis",
            "Legal basis for biometric data (Art 9(2))",
            art("Art 9(1)-(2)", note="9(1) verified"),
            ("record",),
            applies_when=f'{NON_LE} and biometric_identification != "none"',
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-gdpr.security",
            "Security measures and their regular testing",
            art("Art 32(1)-(2),(4)"),
            ("audit", "policy"),
            applies_when=NON_LE,
            due_before="deployment",
            owner="technology",
            valid_for_months=12,
            recurrence="regularly (no interval in law; annual here)",
        ),
        Requirement(
            "eu-gdpr.dpia",
            "Data protection impact assessment (GDPR)",
            art("Art 35(1),(3),(7),(9),(11)"),
            ("impact_assessment",),
            applies_when=f'{NON_LE} and (risk_level == "high" or biometric_identification != "none")',
            due_before="deployment",
            owner="dpo",
            renew_on_change=("risk_level", "biometric_identification", "purpose"),
        ),
        Requirement(
            "eu-gdpr.dpia_dpo_advice",
            "DPO's advice on the DPIA",
            art("Art 35(2); Art 39(1)(c)"),
            ("record",),
            applies_when=f'{NON_LE} and (risk_level == "high" or biometric_identification != "none")',
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "eu-gdpr.prior_consultation",
            "Prior consultation of the supervisory authority",
            art("Art 36(1)-(3)", note="only where the DPIA shows residual high risk"),
            ("consultation",),
            applies_when=f'{NON_LE} and risk_level == "high"',
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "eu-gdpr.transparency_notice",
            "Privacy notice, including automated decision-making",
            art("Art 13(1)-(2); Art 14(1)-(3),(5)"),
            ("public_communication",),
            applies_when=NON_LE,
            due_before="deployment",
            owner="public_relations",
        ),
        Requirement(
            "eu-gdpr.adm_safeguards",
            "Safeguards for automated decisions",
            art("Art 22(1)-(4)"),
            ("policy",),
            applies_when=f'{NON_LE} and risk_level == "high"',
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-gdpr.staff_training",
            "Staff awareness and training on data protection",
            art("Art 39(1)(a)-(b)"),
            ("training_certificate",),
            applies_when=NON_LE,
            scope="operator",
            due_before="deployment",
            owner="training",
        ),
    ]
