"""EU General Data Protection Regulation 2016/679: the agency's non-law-enforcement processing.

Processing for law-enforcement purposes falls under the Law Enforcement
Directive instead (GDPR Art 2(2)(d)), so these rules apply only to systems
with an administrative purpose.
"""

from plugins import translations_of
from tracker.plugin_api import EU_MEMBER_STATES, Citation, Jurisdiction, Requirement, hookimpl

GDPR = "Regulation (EU) 2016/679 (GDPR)"
URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
NON_LE = 'processes_personal_data and purpose_type == "administrative"'
# "Without undue delay" has no hours in the law; 72 h here, the supervisory authority's deadline.
UNDUE_DELAY = "without undue delay; the law sets no hours: 72 h here"
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
            territory=EU_MEMBER_STATES,
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
            "DPO's monitoring of staff awareness, training and the related audits",
            art(
                "Art 39(1)(a)-(b)",
                note="a task of the DPO, evidenced by training records and audits; "
                "no legal interval",
            ),
            ("record", "audit", "training_certificate"),
            applies_when=NON_LE,
            scope="agency",
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "eu-gdpr.breach_notification",
            "Personal data breach notified to the supervisory authority within 72 hours",
            art(
                "Art 33(1),(3)-(5)",
                note="unless unlikely to result in a risk (give reasons if late; phased "
                "information allowed); every breach is also documented (33(5)). A 96 h "
                "proposal is pending and not law (catalogue R13)",
            ),
            ("incident_report",),
            applies_when=NON_LE,
            owner="dpo",
            deadline_after_event=("personal_data_breach", 72),
        ),
        Requirement(
            "eu-gdpr.breach_data_subjects",
            "People told of a high-risk breach (or a public communication)",
            art(
                "Art 34(1)-(3)",
                note=f"only a breach likely to result in a high risk; {UNDUE_DELAY}",
            ),
            ("public_communication",),
            applies_when=NON_LE,
            owner="public_relations",
            deadline_after_event=("personal_data_breach", 72),
        ),
        Requirement(
            "eu-gdpr.dpo_designation",
            "Data protection officer designated, contact published and notified",
            art("Art 37(1)(a),(5),(7)", note="a public authority must designate one"),
            ("registration",),
            applies_when=f"public_authority and {NON_LE}",
            scope="agency",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-gdpr.dpo_position",
            "The DPO's position: involved in time, resourced, independent, reporting to the top",
            art("Art 38(1)-(6)"),
            ("policy",),
            applies_when=f"public_authority and {NON_LE}",
            scope="agency",
            due_before="deployment",
            owner="oversight_committee",
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
