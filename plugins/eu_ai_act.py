"""EU AI Act, Regulation (EU) 2024/1689 as amended by Regulation (EU) 2026/1744.

High-risk duties attach to Annex III point 1 (biometrics) and point 6 (law
enforcement). Under amended Art 113, Chapter III Sections 1-3 apply to Annex
III systems from 2 Dec 2027; registration (Section 5) has no deferral in the
literal text, which the catalogue flags as an interpretation: its date here
follows the classification date and is configurable (TRACKER_IN_FORCE_FROM).
"""

from datetime import date

from plugins import translations_of
from tracker.i18n import N_
from tracker.plugin_api import (
    EU_MEMBER_STATES,
    Citation,
    EventKind,
    Jurisdiction,
    Requirement,
    hookimpl,
)

AI_ACT = "Regulation (EU) 2024/1689 (AI Act) as amended by Regulation (EU) 2026/1744"
URL = "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"

CHAPTERS_I_II = date(2025, 2, 2)
GENERAL = date(2026, 8, 2)
NEW_PROHIBITIONS = date(2026, 12, 2)
ANNEX_III = date(2027, 12, 2)

ANNEX_III_1 = '"biometrics" in annex_iii_areas'
# A system in an Annex III area is high-risk (an Art 6(3) derogation is recorded in the
# classification memo, which a provider must write anyway).
HIGH_RISK = "annex_iii_areas.length > 0"
PROVIDER = f'"provider" in ai_act_roles and {HIGH_RISK}'
DEPLOYER = f'"deployer" in ai_act_roles and {HIGH_RISK}'
# The FRIA: bodies governed by public law, every Annex III area but point 2 (Art 27(1)).
FRIA_AREAS = " or ".join(
    f'"{area}" in annex_iii_areas'
    for area in (
        "biometrics",
        "education",
        "employment",
        "essential_services",
        "law_enforcement",
        "migration_border",
        "justice",
    )
)
R5 = (
    "the article is verified (V); its date, 2 Dec 2027 with the Annex III classification, is "
    "the compiler's interpretation of Art 113(c) (catalogue R5): set TRACKER_IN_FORCE_FROM"
)

RT_RBI = 'biometric_identification == "real_time" and purpose_type == "law_enforcement"'
# Art 26(10) governs post-remote RBI "for the purpose of the search for a person suspected or
# convicted": law-enforcement use only.
POST_RBI = 'biometric_identification == "post_event" and purpose_type == "law_enforcement"'


def art(article: str, status: str = "V", note: str = "") -> Citation:
    return Citation(AI_ACT, article, URL, status, note)


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "eu-ai-act",
            "EU AI Act 2024/1689 (as amended by 2026/1744)",
            "High-risk duties for Annex III points 1 and 6, prohibited practices, transparency.",
            URL,
            territory=EU_MEMBER_STATES,
        )
    ]


DEATH = "serious_incident_death"
WIDESPREAD = "serious_incident_widespread"


@hookimpl
def tracker_event_kinds():
    counted = N_("when the agency became aware of the incident")
    return [
        EventKind(
            "non_conformity",
            N_("Non-conformity of a high-risk system"),
            "The provider considers or has reason to consider that the system is not in "
            "conformity with the AI Act (Art 20(1)).",
            N_("when the provider found it"),
        ),
        EventKind(
            DEATH,
            N_("Serious incident: a death"),
            "A serious incident in which a person died, or may have died (Art 73(4)).",
            counted,
        ),
        EventKind(
            WIDESPREAD,
            N_("Serious incident: widespread infringement or critical infrastructure"),
            "A widespread infringement, or a serious and irreversible disruption of critical "
            "infrastructure (Art 73(3)).",
            counted,
        ),
    ]


@hookimpl
def tracker_requirements():
    annex_iii = dict(in_force_from=ANNEX_III)
    return [
        # Every AI system
        Requirement(
            "eu-ai-act.ai_literacy",
            "AI literacy of staff operating the system",
            art("Art 4 (amended)"),
            ("training_certificate",),
            scope="operator",
            due_before="deployment",
            owner="training",
            in_force_from=CHAPTERS_I_II,
        ),
        Requirement(
            "eu-ai-act.prohibited_practices_screen",
            "Prohibited-practice screening",
            art("Art 5(1)"),
            ("record", "policy"),
            due_before="development_or_procurement",
            owner="legal",
            in_force_from=CHAPTERS_I_II,
            renew_on_change=("purpose", "biometric_identification"),
        ),
        Requirement(
            "eu-ai-act.transparency_art50",
            "Transparency: people are told they interact with AI",
            art(
                "Art 50(1),(3)-(5)",
                note="the law-enforcement exemption does not cover systems the "
                "public uses to report a crime",
            ),
            ("public_communication",),
            applies_when="public_facing",
            due_before="deployment",
            owner="public_relations",
            in_force_from=GENERAL,
        ),
        # Real-time remote biometric identification for law enforcement (Art 5)
        Requirement(
            "eu-ai-act.rt_rbi_national_law",
            "National law providing for real-time RBI",
            art("Art 5(5)"),
            ("record",),
            applies_when=RT_RBI,
            due_before="testing",
            owner="legal",
            in_force_from=CHAPTERS_I_II,
        ),
        Requirement(
            "eu-ai-act.rt_rbi_fria_and_registration",
            "FRIA and EU-database registration before real-time RBI",
            art("Art 5(2)"),
            ("impact_assessment", "registration"),
            applies_when=RT_RBI,
            due_before="deployment",
            owner="legal",
            in_force_from=CHAPTERS_I_II,
            also_satisfied_by=("eu-ai-act.fria",),
        ),
        Requirement(
            "eu-ai-act.rt_rbi_authorisation",
            "Prior judicial or independent authorisation of each use",
            art("Art 5(3)", note="in urgency, request within 24 hours"),
            ("authorisation",),
            applies_when=RT_RBI,
            due_before="deployment",
            owner="legal",
            in_force_from=CHAPTERS_I_II,
            deadline_after_event=("use", 24),
        ),
        Requirement(
            "eu-ai-act.rt_rbi_use_notification",
            "Notification of each use to the MSA and DPA",
            art(
                "Art 5(4)",
                note="each use, per national rules; the law sets no hours: 24 h here, with the "
                "urgent authorisation request",
            ),
            ("record",),
            applies_when=RT_RBI,
            deadline_after_event=("use", 24),
            owner="legal",
            in_force_from=CHAPTERS_I_II,
        ),
        # Provider duties (in-house development, rebranding, substantial modification)
        Requirement(
            "eu-ai-act.classification",
            "Classification and any Art 6(3) assessment",
            art("Art 6(2)-(4); Annex III"),
            ("technical_documentation",),
            applies_when='"provider" in ai_act_roles',
            due_before="testing",
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.risk_management",
            "Risk management system",
            art("Art 9(1)-(9)"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="testing",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.data_governance",
            "Data governance and bias examination",
            art("Art 10(1)-(4),(6)"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="testing",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.technical_documentation",
            "Annex IV technical documentation",
            art("Art 11(1); Annex IV"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            renew_on_change=("version",),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.logging_capability",
            "Automatic event logging",
            art("Art 12(1)-(3)"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.instructions_for_use",
            "Instructions for use",
            art("Art 13(2)-(3)"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.human_oversight_design",
            "Human oversight design (two-person check for RBI)",
            art("Art 14(1)-(5)"),
            ("technical_documentation", "policy"),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.accuracy_robustness_security",
            "Accuracy, robustness and cybersecurity testing",
            art("Art 15(1)-(5)"),
            ("audit",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            renew_on_change=("version",),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.quality_management",
            "Quality management system",
            art("Art 17(1)-(2)"),
            ("policy",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="oversight_committee",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.conformity_assessment",
            "Conformity assessment",
            art(
                "Art 43(1)-(2),(4)",
                "interpretation",
                "point 1 for law enforcement: Annex VII with the MSA acting as notified body "
                "(internal control, Annex VI, where harmonised standards are fully applied); "
                "points 2-8, law enforcement (point 6) included: internal control, Annex VI, no "
                f"notified body; a new assessment on substantial modification. {R5}",
            ),
            ("audit",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="legal",
            renew_on_change=("version", "substantial_modification"),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.declaration_of_conformity",
            "EU declaration of conformity",
            art("Art 47(1)-(4); Annex V", "interpretation", f"kept 10 years. {R5}"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.registration_provider",
            "Registration in the EU database (non-public section)",
            art(
                "Art 49(1),(2),(4); Annex VIII",
                "interpretation",
                "date follows the Annex III classification date; the literal text may apply it "
                "from 2 Aug 2026 (catalogue R5)",
            ),
            ("registration",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.post_market_monitoring",
            "Post-market monitoring plan",
            art(
                "Art 72(1)-(3)",
                "interpretation",
                f"does not cover sensitive operational data of LE deployers. {R5}",
            ),
            ("technical_documentation", "record"),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        # Deployer duties (bind public bodies that use a high-risk system, including ones they built)
        Requirement(
            "eu-ai-act.use_per_instructions",
            "Use in accordance with the instructions for use",
            art("Art 26(1),(3)"),
            ("policy",),
            applies_when=DEPLOYER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.human_oversight_assignment",
            "Human oversight assigned to trained, competent people",
            art("Art 26(2)"),
            ("training_certificate",),
            applies_when=DEPLOYER,
            scope="operator",
            due_before="deployment",
            owner="training",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.deployer_logs",
            "Logs kept at least six months",
            art("Art 26(6)"),
            ("record",),
            applies_when=DEPLOYER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.deployer_registration",
            "Deployer registration of the use in the EU database",
            art(
                "Art 26(8); Art 49(3)-(4); Annex VIII Sec C",
                "interpretation",
                "date follows the Annex III classification date (catalogue R5)",
            ),
            ("registration",),
            applies_when=DEPLOYER,
            due_before="deployment",
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.dpia_using_provider_info",
            "DPIA using the provider's information",
            art("Art 26(9)"),
            ("impact_assessment",),
            applies_when=f"{DEPLOYER} and processes_personal_data",
            due_before="deployment",
            owner="dpo",
            also_satisfied_by=("eu-led.dpia", "eu-gdpr.dpia"),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.fria",
            "Fundamental rights impact assessment",
            art("Art 27(1)-(2),(4)-(5)"),
            ("impact_assessment",),
            applies_when=f"{DEPLOYER} and public_authority and ({FRIA_AREAS})",
            due_before="deployment",
            owner="legal",
            renew_on_change=("purpose", "authorised_use_cases", "units_with_access"),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.fria_notification",
            "FRIA results notified to the market surveillance authority",
            art("Art 27(3)"),
            ("registration", "record"),
            applies_when=f"{DEPLOYER} and public_authority and ({FRIA_AREAS})",
            due_before="deployment",
            owner="legal",
            **annex_iii,
        ),
        # Post-event remote biometric identification (Art 26(10))
        Requirement(
            "eu-ai-act.post_rbi_authorisation",
            "Authorisation of targeted post-event RBI searches",
            art("Art 26(10) para 1-3", note="ex ante, or requested within 48 hours"),
            ("authorisation",),
            applies_when=POST_RBI,
            due_before="deployment",
            owner="legal",
            deadline_after_event=("use", 48),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.post_rbi_police_file",
            "Each post-event RBI use documented in the police file",
            art(
                "Art 26(10) para 5",
                note="each use; the law sets no hours: 48 h here, with the authorisation request",
            ),
            ("record",),
            applies_when=POST_RBI,
            deadline_after_event=("use", 48),
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.post_rbi_annual_report",
            "Annual report on post-event RBI use to the MSA and DPA",
            art("Art 26(10) para 6"),
            ("record", "audit"),
            applies_when=POST_RBI,
            due_before="monitoring",
            owner="dpo",
            valid_for_months=12,
            recurrence="annual",
            **annex_iii,
        ),
        # Provider duties added from the catalogue (section 4a)
        Requirement(
            "eu-ai-act.provider_duties",
            "Provider compliance checklist (Art 16 obligations)",
            art("Art 16(a)-(l)"),
            ("record",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.documentation_retention",
            "Documentation kept ten years for the authorities",
            art("Art 18(1)", note="technical and QMS documentation, notified-body decisions, DoC"),
            ("record",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            recurrence="kept 10 years after putting into service",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.provider_logs",
            "Logs under the provider's control kept at least six months",
            art("Art 19(1)", note="unless other law, such as the LED's retention, says otherwise"),
            ("record",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.corrective_action",
            "Corrective action on a non-conformity, deployers and the MSA informed",
            art(
                "Art 20(1)-(2)",
                note="immediately; the law sets no hours: 24 h here",
            ),
            ("incident_report", "record"),
            applies_when=PROVIDER,
            owner="technology",
            deadline_after_event=("non_conformity", 24),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.ce_marking",
            "CE marking",
            art("Art 48", "interpretation", f"digital for digitally provided systems. {R5}"),
            ("technical_documentation",),
            applies_when=PROVIDER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.serious_incident_report",
            "Serious incident reported to the MSA within 15 days",
            art(
                "Art 73(1)-(2),(6); Art 3(49)",
                "interpretation",
                f"an incomplete initial report is allowed; investigate without altering the system. {R5}",
            ),
            ("incident_report",),
            applies_when=PROVIDER,
            owner="technology",
            deadline_after_event=("serious_incident", 15 * 24),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.serious_incident_report_death",
            "Serious incident involving a death reported within 10 days",
            art("Art 73(4)", "interpretation", R5),
            ("incident_report",),
            applies_when=PROVIDER,
            owner="technology",
            deadline_after_event=(DEATH, 10 * 24),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.serious_incident_report_widespread",
            "Widespread infringement or critical-infrastructure incident reported within 2 days",
            art("Art 73(3)", "interpretation", R5),
            ("incident_report",),
            applies_when=PROVIDER,
            owner="technology",
            deadline_after_event=(WIDESPREAD, 2 * 24),
            **annex_iii,
        ),
        # Deployer duties added from the catalogue (section 4b)
        Requirement(
            "eu-ai-act.input_data_quality",
            "Input data relevant and sufficiently representative",
            art("Art 26(4)", note="where the deployer controls the input data"),
            ("record",),
            applies_when=DEPLOYER,
            due_before="deployment",
            owner="technology",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.deployer_serious_incident",
            "Serious incident: provider, then importer or distributor and MSA informed",
            art(
                "Art 26(5)",
                note="immediately; the law sets no hours: 24 h here. LE sensitive operational "
                "data is excluded",
            ),
            ("incident_report",),
            applies_when=DEPLOYER,
            owner="technology",
            deadline_after_event=("serious_incident", 24),
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.workers_information",
            "Workers and their representatives informed before use at the workplace",
            art("Art 26(7)"),
            ("public_communication",),
            applies_when=f'{DEPLOYER} and "staff" in people_affected',
            due_before="deployment",
            owner="public_relations",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.inform_affected_persons",
            "People subject to decisions it makes or assists are informed",
            art("Art 26(11)", note="for law-enforcement systems LED Art 13 applies instead"),
            ("public_communication",),
            applies_when=f'{DEPLOYER} and purpose_type != "law_enforcement"',
            due_before="deployment",
            owner="public_relations",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.cooperate_authorities",
            "Cooperation with the competent authorities (correspondence log)",
            art("Art 26(12)"),
            ("record",),
            applies_when=DEPLOYER,
            due_before="monitoring",
            owner="legal",
            **annex_iii,
        ),
        Requirement(
            "eu-ai-act.explanation_procedure",
            "Explanations of individual decisions given on request",
            art(
                "Art 86(1)-(3)",
                "interpretation",
                "not for point 2; the literal date is 2 Aug 2026 but the right attaches to "
                "Annex III high-risk status (catalogue R5)",
            ),
            ("public_communication", "record"),
            applies_when=f'{DEPLOYER} and not (annex_iii_areas == ["critical_infrastructure"])',
            due_before="deployment",
            owner="dpo",
            **annex_iii,
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
