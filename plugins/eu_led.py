"""EU Law Enforcement Directive 2016/680: processing for law-enforcement purposes.

Duties reach agencies through national transposition, which can add to them.
Statuses follow the obligations catalogue; several timings are only partly verified.
"""

from plugins import translations_of
from tracker.plugin_api import EU_MEMBER_STATES, Citation, Jurisdiction, Requirement, hookimpl

LED = "Directive (EU) 2016/680 (Law Enforcement Directive)"
URL = "https://eur-lex.europa.eu/eli/dir/2016/680/oj"
LE = 'processes_personal_data and purpose_type == "law_enforcement"'
BIOMETRIC = 'biometric_identification != "none"'
VENDOR = 'development_approach in ["external", "joint", "off_the_shelf"]'


def art(article: str, status: str, note: str = "") -> Citation:
    return Citation(LED, article, URL, status, note)


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "eu-led",
            "EU Law Enforcement Directive 2016/680",
            "Personal data processed to prevent, investigate, detect or prosecute crime.",
            URL,
            territory=EU_MEMBER_STATES,
        )
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            "eu-led.storage_review",
            "Retention limits or periodic storage review",
            art("Art 5", "P"),
            ("record",),
            applies_when=LE,
            due_before="deployment",
            owner="dpo",
            valid_for_months=12,
            recurrence="periodic (interval set by national law; annual here)",
        ),
        Requirement(
            "eu-led.data_subject_categories",
            "Categories of data subjects distinguished",
            art("Art 6", "P"),
            ("technical_documentation",),
            applies_when=LE,
            due_before="testing",
            owner="technology",
        ),
        Requirement(
            "eu-led.special_categories",
            "Legal basis for biometric (special category) data",
            art("Art 10", "P", "number confirmed by AI Act Art 26(10)"),
            ("record",),
            applies_when=f"{LE} and {BIOMETRIC}",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-led.adm",
            "Automated decisions and profiling: legal basis and human intervention",
            art("Art 11(1)-(3)", "V2"),
            ("policy",),
            applies_when=f"{LE} and profiling",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-led.information",
            "Information to data subjects (or documented restriction)",
            art("Art 13(1)-(3)", "P", "applied to high-risk LE systems by AI Act Art 26(11)"),
            ("public_communication",),
            applies_when=LE,
            due_before="deployment",
            owner="public_relations",
        ),
        Requirement(
            "eu-led.controller_policies",
            "Law-enforcement data protection policy",
            art("Art 19(1)-(2)", "V2"),
            ("policy",),
            applies_when=LE,
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "eu-led.dp_by_design",
            "Data protection by design and by default",
            art("Art 20", "V2"),
            ("technical_documentation",),
            applies_when=LE,
            due_before="testing",
            owner="technology",
        ),
        Requirement(
            "eu-led.processor_contract",
            "Processor contract with the vendor",
            art("Art 22", "P"),
            ("record",),
            applies_when=f"{LE} and {VENDOR}",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-led.records",
            "Record of processing, including profiling and legal basis",
            art("Art 24", "P"),
            ("record",),
            applies_when=LE,
            due_before="deployment",
            owner="dpo",
            renew_on_change=("purpose",),
        ),
        Requirement(
            "eu-led.logging",
            "Logging of collection, consultation, disclosure and erasure",
            art("Art 25(1)-(3)", "V2", "25(1) verbatim; 25(2)-(3) partly verified"),
            ("record",),
            applies_when=LE,
            due_before="deployment",
            owner="technology",
        ),
        Requirement(
            "eu-led.dpia",
            "Data protection impact assessment (LED)",
            art("Art 27(1)-(2)", "V"),
            ("impact_assessment",),
            applies_when=f'{LE} and (risk_level == "high" or {BIOMETRIC})',
            due_before="deployment",
            owner="dpo",
            renew_on_change=("risk_level", "biometric_identification", "purpose"),
        ),
        Requirement(
            "eu-led.prior_consultation",
            "Prior consultation of the supervisory authority",
            art("Art 28(1)-(5)", "P", "timings from the compiler's knowledge"),
            ("consultation",),
            applies_when=f'{LE} and (risk_level == "high" or {BIOMETRIC})',
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "eu-led.security",
            "Security of processing",
            art("Art 29(1)-(2)", "P"),
            ("policy", "audit"),
            applies_when=LE,
            due_before="deployment",
            owner="technology",
            valid_for_months=12,
            recurrence="annual review",
        ),
        Requirement(
            "eu-led.dpo",
            "Data protection officer designated and notified",
            art("Arts 32-34", "P"),
            ("registration",),
            applies_when=LE,
            scope="agency",
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "eu-led.breach_notification",
            "Personal data breach notified to the supervisory authority within 72 hours",
            art(
                "Art 30",
                "P",
                "where feasible within 72 h; document every breach; tell the other Member "
                "State's controller where data was exchanged",
            ),
            ("incident_report",),
            applies_when=LE,
            owner="dpo",
            deadline_after_event=("personal_data_breach", 72),
        ),
        Requirement(
            "eu-led.breach_data_subjects",
            "People told of a high-risk breach (or a documented restriction)",
            art(
                "Art 31",
                "P",
                "only a breach likely to result in a high risk; may be delayed, restricted or "
                "omitted on Art 13(3) grounds; without undue delay: 72 h here",
            ),
            ("public_communication", "record"),
            applies_when=LE,
            owner="public_relations",
            deadline_after_event=("personal_data_breach", 72),
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
