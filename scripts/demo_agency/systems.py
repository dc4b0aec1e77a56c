"""The demo agency's AI systems as they stand today, how each got there, and who operates it.

Systems like those the INTERPOL/UNICRI toolkit discusses, at every stage of the life cycle and
every risk level. ``SYSTEMS`` is each profile today; ``HISTORY`` says when each was registered,
what its profile was then, and the changes since (a new stage, a new version), so the audit
trail and every replayed date show how the portfolio moved over the year.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# A European agency: every enabled framework but the AU Malabo Convention.
# Where the law applies comes from the agency's country (TRACKER_AGENCY_COUNTRIES, BE for the
# demo) and the EU's membership; one system shows an explicit override instead.
OVERRIDE_JURISDICTIONS = ["toolkit", "eu-gdpr", "eu-led", "eu-ai-act", "nis2", "coe-cets225"]

DEMO_USERS = [
    ("admin", "admin", "Sam Admin", "admin@police.example"),
    ("l.martin", "legal", "Lea Martin", "lea.martin@police.example"),
    ("d.okafor", "dpo", "David Okafor", "dpo@police.example"),
    ("a.berg", "auditor", "Astrid Berg", "astrid.berg@audit.example"),
    ("v.rossi", "viewer", "Vito Rossi", "vito.rossi@police.example"),
]

SYSTEMS = [
    {
        "name": "Live facial recognition on body-worn cameras",
        "version": "2.1",
        "vendor": "Visionary Systems Ltd",
        "purpose": "Alert officers in real time when a person on a court-approved watch list "
        "for serious crime passes a body-worn camera at a public event.",
        "authorised_use_cases": [
            "Search for persons wanted by a court for serious crime",
            "Search for missing persons at risk",
        ],
        "development_approach": "off_the_shelf",
        "lifecycle_stage": "testing",
        "risk_level": "high",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "real_time",
        "ai_act_roles": ["deployer"],
        "annex_iii_areas": ["biometrics"],
        "people_affected": ["public", "suspects"],
        "profiling": False,
        "public_facing": False,
        "units_with_access": ["Public order unit", "Real-time intelligence centre"],
        "data_sharing": "No sharing. Non-matching faces are deleted within seconds.",
        "contacts": [
            {
                "name": "Insp. Maria Keller",
                "email": "maria.keller@police.example",
                "role": "system owner",
            }
        ],
        "operators": [
            ("Tom Becker", "Public order unit"),
            ("Ines Duarte", "Public order unit"),
            ("Kofi Mensah", "Real-time intelligence centre"),
        ],
    },
    {
        "name": "Post-event face search",
        "version": "7.4",
        "vendor": "FaceFind Inc.",
        "purpose": "Compare a probe image from an investigation against the custody image database "
        "to produce candidate lists for trained facial examiners.",
        "authorised_use_cases": [
            "Identify suspects in serious crime investigations",
            "Identify deceased persons",
        ],
        "development_approach": "off_the_shelf",
        "lifecycle_stage": "deployment",
        "risk_level": "high",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "post_event",
        "ai_act_roles": ["deployer"],
        "annex_iii_areas": ["biometrics"],
        "people_affected": ["suspects"],
        "profiling": False,
        "public_facing": False,
        "units_with_access": ["Forensic imaging unit"],
        "data_sharing": "Candidate lists stay within the forensic imaging unit.",
        "contacts": [
            {"name": "Dr. Hana Novak", "email": "hana.novak@police.example", "role": "system owner"}
        ],
        "operators": [
            ("Hana Novak", "Forensic imaging unit"),
            ("Pieter de Vries", "Forensic imaging unit"),
        ],
    },
    {
        "name": "Crime hotspot forecasting",
        "version": "2026.1",
        "vendor": "",
        "purpose": "Forecast which street segments will see more burglary and vehicle crime in the "
        "coming week, to plan patrols. Assesses places, never individuals.",
        "authorised_use_cases": ["Weekly patrol planning"],
        "development_approach": "internal",
        "lifecycle_stage": "monitoring",
        "risk_level": "medium",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "none",
        "ai_act_roles": ["provider", "deployer"],
        "annex_iii_areas": [],
        "people_affected": [],
        "profiling": False,
        "public_facing": False,
        "units_with_access": ["Neighbourhood policing", "Analysis unit"],
        "data_sharing": "Aggregated maps shared with the city's community safety partnership.",
        "contacts": [
            {
                "name": "Jonas Weber",
                "email": "jonas.weber@police.example",
                "role": "data science lead",
            }
        ],
        "operators": [("Jonas Weber", "Analysis unit"), ("Amira Haddad", "Neighbourhood policing")],
    },
    {
        "name": "Re-offending risk score",
        "version": "0.9",
        "vendor": "",
        "purpose": "Estimate the risk that a person released on licence re-offends within a year, "
        "to prioritise offender-management visits. Advisory only.",
        "authorised_use_cases": ["Prioritising offender-management visits"],
        "development_approach": "internal",
        "lifecycle_stage": "development_or_procurement",
        "risk_level": "high",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "none",
        "ai_act_roles": ["provider", "deployer"],
        "annex_iii_areas": ["law_enforcement"],
        "people_affected": ["suspects", "convicted"],
        "profiling": True,
        "public_facing": False,
        "units_with_access": ["Offender management unit"],
        "data_sharing": "None outside the agency; probation service consulted on design.",
        "contacts": [
            {
                "name": "Jonas Weber",
                "email": "jonas.weber@police.example",
                "role": "data science lead",
            }
        ],
        "operators": [],
    },
    {
        "name": "Crime report chatbot",
        "version": "3.0",
        "vendor": "CivicBot GmbH",
        "purpose": "Let members of the public report minor crimes online in plain language and "
        "route the report to the right team.",
        "authorised_use_cases": [
            "Online reporting of minor crimes",
            "Answering questions on report status",
        ],
        "development_approach": "joint",
        "lifecycle_stage": "deployment",
        "risk_level": "low",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "none",
        "ai_act_roles": ["deployer"],
        "annex_iii_areas": [],
        "people_affected": ["public", "victims"],
        "profiling": False,
        "public_facing": True,
        "units_with_access": ["Contact centre"],
        "data_sharing": "Reports are passed to the crime recording system; the vendor sees no content.",
        "contacts": [
            {
                "name": "Chloe Dubois",
                "email": "chloe.dubois@police.example",
                "role": "service owner",
            }
        ],
        "jurisdictions": OVERRIDE_JURISDICTIONS,
        "operators": [("Chloe Dubois", "Contact centre"), ("Marek Nowak", "Contact centre")],
    },
    {
        "name": "Interview transcription",
        "version": "5.2",
        "vendor": "Scribe Analytics",
        "purpose": "Transcribe recorded suspect and witness interviews into text for case files; "
        "every transcript is checked by the interviewing officer.",
        "authorised_use_cases": ["Transcribing recorded interviews"],
        "development_approach": "off_the_shelf",
        "lifecycle_stage": "deployment",
        "risk_level": "medium",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "none",
        "ai_act_roles": ["deployer"],
        "annex_iii_areas": [],
        "people_affected": ["suspects", "victims", "witnesses"],
        "profiling": False,
        "public_facing": False,
        "units_with_access": ["Criminal investigation department"],
        "data_sharing": "Transcripts go to the prosecutor with the case file.",
        "contacts": [
            {"name": "Ruth Adeyemi", "email": "ruth.adeyemi@police.example", "role": "system owner"}
        ],
        "operators": [
            ("Ruth Adeyemi", "Criminal investigation department"),
            ("Liam O'Connor", "Criminal investigation department"),
        ],
    },
    {
        "name": "Staff rostering assistant",
        "version": "1.3",
        "vendor": "ShiftWise",
        "purpose": "Propose duty rosters from staff availability and leave requests (HR, not policing).",
        "authorised_use_cases": ["Drafting monthly duty rosters"],
        "development_approach": "external",
        "lifecycle_stage": "planning",
        "risk_level": "low",
        "processes_personal_data": True,
        "purpose_type": "administrative",
        "biometric_identification": "none",
        "ai_act_roles": ["deployer"],
        "annex_iii_areas": ["employment"],
        "people_affected": ["staff"],
        "profiling": False,
        "public_facing": False,
        "units_with_access": ["Human resources"],
        "data_sharing": "Vendor hosts the data under a data processing agreement.",
        "contacts": [
            {"name": "Olga Ivanova", "email": "olga.ivanova@police.example", "role": "HR lead"}
        ],
        "operators": [("Olga Ivanova", "Human resources")],
    },
]


# What the agency decided to publish in the transparency register, and how.
PUBLISHED = {
    "Crime report chatbot": {
        "usage_description": "Residents report minor crimes online; the chatbot asks the "
        "questions an officer would and files the report for a human to check.",
        "personal_data_handling": "Only what the resident types is collected. Reports are "
        "stored in the case system for 6 years; chat transcripts are deleted after 30 days.",
    },
    "Crime hotspot forecasting": {
        "usage_description": "Weekly maps of places where burglary is more likely guide "
        "patrol planning. The forecast never names or scores a person.",
        "personal_data_handling": "Uses recorded crime locations and times only, aggregated "
        "to 250 m squares; no personal data reaches the model.",
    },
    "Live facial recognition on body-worn cameras": {
        "usage_description": "Used only at announced public events, on a court-approved "
        "watch list; every alert is checked by a trained officer before any action.",
        "personal_data_handling": "Faces are compared on the camera and deleted within "
        "seconds unless they match the watch list.",
        # Which units run live operations is a restricted operational detail.
        "publication": {"units_with_access": "authority", "vendor": "authority"},
    },
}


class Past(NamedTuple):
    """How a system got to today's profile. Days are counted back from today."""

    registered: int
    initial: dict[str, Any]  # what differed from today's profile when it was registered
    changes: list[tuple[int, dict[str, Any]]]  # later profile changes, oldest first
    published: int | None = None  # when the agency put it in the public register
    operators_from: int | None = None  # when today's operators were authorised (else: registered)


HISTORY: dict[str, Past] = {
    # In use for years before the tracker came: documented from scratch over the year.
    "Post-event face search": Past(360, {"version": "7.3"}, [(200, {"version": "7.4"})]),
    "Interview transcription": Past(355, {"version": "5.1"}, [(45, {"version": "5.2"})]),
    "Crime hotspot forecasting": Past(
        350,
        {"version": "2025.2", "lifecycle_stage": "deployment"},
        [(150, {"lifecycle_stage": "monitoring", "version": "2026.1"})],
        published=145,
    ),
    # Tested when the tracker came, live since the spring.
    "Crime report chatbot": Past(
        330,
        {"version": "2.4", "lifecycle_stage": "testing"},
        [(240, {"lifecycle_stage": "deployment"}), (120, {"version": "3.0"})],
        published=238,
        operators_from=245,
    ),
    # A new project: planned, procured, now piloted.
    "Live facial recognition on body-worn cameras": Past(
        270,
        {"version": "2.0", "lifecycle_stage": "planning"},
        [
            (230, {"lifecycle_stage": "development_or_procurement"}),
            (75, {"lifecycle_stage": "testing", "version": "2.1"}),
        ],
        published=60,
        operators_from=75,
    ),
    "Re-offending risk score": Past(
        180,
        {"version": "0.5", "lifecycle_stage": "planning"},
        [(100, {"lifecycle_stage": "development_or_procurement"}), (30, {"version": "0.9"})],
    ),
    # Registered this month.
    "Staff rostering assistant": Past(25, {}, []),
}

# Operators whose authorisation ended during the year: (system, name, unit, days ago it ended).
FORMER_OPERATORS = [
    ("Interview transcription", "Jan Peeters", "Criminal investigation department", 90),
]


def operator_email(name: str) -> str:
    return name.lower().replace(" ", ".").replace("'", "") + "@police.example"
