"""Council of Europe Framework Convention on AI, Human Rights, Democracy and the Rule of Law (CETS 225).

Binds Parties, which implement it nationally (for the EU, through the AI Act).
Its entry into force is reported inconsistently (catalogue R11); content is
paraphrased from secondary sources and marked partly verified.
"""

from plugins import translations_of
from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl, uncertain

CETS = "Council of Europe Framework Convention on Artificial Intelligence (CETS No. 225)"
URL = "https://www.coe.int/en/web/conventions/full-list?module=treaty-detail&treatynum=225"


def art(article: str, status: str = "P", note: str = "") -> Citation:
    return Citation(CETS, article, URL, status, note)


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "coe-cets225",
            "Council of Europe AI Convention (CETS 225)",
            "Risk and impact management, transparency, accountability and remedies.",
            URL,
            territory=uncertain(
                "parties to CETS 225",
                URL,
                "binds only states that ratify it; whether it is in force is conflicting in the "
                "sources (R11: not in force as of Sept 2026 per two, since 1 Nov 2025 per one)",
            ),
        )
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            "coe-cets225.status",
            "Applicability memo: Party status and national implementation",
            art("Arts 30 and 3", "U", "entry into force reported inconsistently (R11)"),
            ("record",),
            scope="agency",
            due_before="development_or_procurement",
            owner="legal",
        ),
        Requirement(
            "coe-cets225.risk_impact_management",
            "Risk and impact assessment (e.g. HUDERIA)",
            art("Art 16(1)-(4)", note="testing before first use and when significantly modified"),
            ("impact_assessment",),
            applies_when='risk_level in ["medium", "high"]',
            due_before="deployment",
            owner="oversight_committee",
            renew_on_change=("version", "purpose"),
            also_satisfied_by=("eu-ai-act.fria",),
        ),
        Requirement(
            "coe-cets225.transparency_oversight",
            "Transparency and oversight policy",
            art("Art 8"),
            ("policy",),
            scope="agency",
            due_before="deployment",
            owner="oversight_committee",
        ),
        Requirement(
            "coe-cets225.accountability",
            "Accountability for adverse impacts (responsibility record)",
            art("Art 9"),
            ("record",),
            due_before="deployment",
            owner="oversight_committee",
        ),
        Requirement(
            "coe-cets225.remedies_documentation",
            "Information for affected persons and complaints procedure",
            art("Art 14"),
            ("record", "public_communication"),
            applies_when='risk_level == "high"',
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            "coe-cets225.interaction_notice",
            "Notice that people are interacting with an AI system",
            art("Art 15(1)-(2)"),
            ("public_communication",),
            applies_when="public_facing",
            due_before="deployment",
            owner="public_relations",
            also_satisfied_by=("eu-ai-act.transparency_art50",),
        ),
        Requirement(
            "coe-cets225.equality_reliability",
            "Equality, non-discrimination and reliability testing",
            art("Arts 10-12"),
            ("audit",),
            applies_when='risk_level in ["medium", "high"]',
            due_before="deployment",
            owner="technology",
        ),
    ]


@hookimpl
def tracker_translations():
    return translations_of(__name__)
