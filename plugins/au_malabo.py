"""African Union Convention on Cyber Security and Personal Data Protection (Malabo, 2014).

Binds ratifying states, which legislate; agencies are bound through national
data protection law. The full treaty text could not be retrieved, so most
paragraph-level duties are unverified and marked so: re-verify before relying
on them.
"""

from plugins import translations_of
from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl, uncertain

MALABO = "AU Convention on Cyber Security and Personal Data Protection (Malabo, 2014)"
URL = "https://au.int/en/treaties/african-union-convention-cyber-security-and-personal-data-protection"
PD = "processes_personal_data"


def art(article: str, status: str, note: str = "") -> Citation:
    return Citation(MALABO, article, URL, status, note)


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "au-malabo",
            "AU Malabo Convention (2014)",
            "Personal data protection duties in ratifying African Union states.",
            URL,
            territory=uncertain(
                "parties to the Malabo Convention",
                URL,
                "in force since 8 June 2023 for ratifying AU states (Art 36; V2, several secondary "
                "sources); which states have ratified, and since when, is not in this catalogue",
            ),
        )
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            "au-malabo.status",
            "Applicability memo: ratification and national law",
            art("Art 36", "V2"),
            ("record",),
            scope="agency",
            due_before="development_or_procurement",
            owner="legal",
        ),
        Requirement(
            "au-malabo.declaration",
            "Declaration of the processing to the protection authority",
            art("Art 10 (para. ~2)", "U"),
            ("registration",),
            applies_when=PD,
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "au-malabo.authorisation",
            "Prior authorisation by the protection authority",
            art("Art 10 (para. ~4)", "U", "offence data and biometric data are listed triggers"),
            ("authorisation",),
            applies_when=f'{PD} and (purpose_type == "law_enforcement" or biometric_identification != "none")',
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "au-malabo.state_processing_act",
            "Enabling act adopted after the authority's reasoned opinion",
            art("Art 10 (para. ~5-6)", "U"),
            ("consultation",),
            applies_when=f'{PD} and purpose_type == "law_enforcement"',
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "au-malabo.principles",
            "Data processing principles policy",
            art("Art 13", "P"),
            ("policy",),
            applies_when=PD,
            due_before="deployment",
            owner="dpo",
        ),
        Requirement(
            "au-malabo.sensitive_data_adm",
            "Sensitive data and automated decisions: legal basis",
            art("Art 14", "U"),
            ("policy",),
            applies_when=f'{PD} and (biometric_identification != "none" or risk_level == "high")',
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "au-malabo.information",
            "Prior information to data subjects",
            art("Art 16", "P"),
            ("public_communication",),
            applies_when=PD,
            due_before="deployment",
            owner="public_relations",
        ),
        Requirement(
            "au-malabo.security",
            "Security precautions",
            art("Art 21", "U"),
            ("policy", "audit"),
            applies_when=PD,
            due_before="deployment",
            owner="technology",
        ),
        Requirement(
            "au-malabo.storage_limitation",
            "Retention schedule",
            art("Art 22", "U"),
            ("record",),
            applies_when=PD,
            due_before="deployment",
            owner="dpo",
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
