"""Seed a believable demo agency: AI systems like those the INTERPOL/UNICRI toolkit discusses,
their operators, demo users for every role, and some evidence with real files.

Run by ``make run``. It seeds only an empty database (no AI system and no user): then it prints
a fresh sign-in password and API token for each demo user, with links built from
TRACKER_BASE_URL. A database that already holds anything is left exactly as it is, with one
line saying so, and the script still exits 0 so that ``make run`` goes on to serve it.

    python scripts/demo_data.py
"""

from __future__ import annotations

import io
import secrets
import sys
from datetime import date, timedelta
from typing import NamedTuple

from fpdf import FPDF

from evidence import ContentStore
from tracker import (
    accounts,
    config,
    db,
    evidence_items,
    register,
    reviews,
    schema,
    sign_in,
    waivers,
)
from tracker.db import utcnow
from tracker.evidence_items import IncomingFile
from tracker.models import AISystem, Evidence, User
from tracker.plugin_host import Catalogue, load_catalogue_for

ACTOR = "demo-seed"
AGENCY = "Northland Police Service"
TODAY = date.today()

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


def pdf(title: str, *paragraphs: str) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", "B", 15)
    document.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    document.set_font("helvetica", size=10)
    document.multi_cell(0, 6, f"{AGENCY} - {TODAY:%d %B %Y}", new_x="LMARGIN", new_y="NEXT")
    document.ln(4)
    document.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        document.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        document.ln(3)
    return bytes(document.output())


def email(subject: str, body: str) -> bytes:
    return (
        f"From: Supervisory Authority <cases@dpa.example>\r\nTo: DPO <dpo@police.example>\r\n"
        f"Subject: {subject}\r\nDate: {TODAY:%a, %d %b %Y} 09:30:00 +0000\r\n"
        f"Message-ID: <{abs(hash(subject))}@dpa.example>\r\n\r\n{body}\r\n"
    ).encode()


def add(
    store: ContentStore, uploader: User, files: list[tuple[bytes, str]], **metadata
) -> Evidence:
    incoming = [IncomingFile(store.put(io.BytesIO(data)), name) for data, name in files]
    return evidence_items.add_evidence(store, metadata, incoming, uploader, ACTOR)


# Titles of demo evidence the DPO has not reviewed yet, or rejected (with the reason).
BREACH_REPORT = "Breach notification to the supervisory authority (rostering)"
PENDING = {
    "Training register - chatbot supervisors",
    BREACH_REPORT,
    "Prior consultation of the supervisory authority (acknowledgement)",
}
REJECTED = {"Vendor technical documentation": "Describes version 5.1; the deployed version is 5.2."}


def seed_events(
    store: ContentStore, systems: dict[str, AISystem], legal: User, catalogue: Catalogue
) -> None:
    """Uses of the identification systems and one personal data breach, each owing its own
    duties: one use has its authorisation and notification on file, the newest has not yet."""
    now = utcnow().replace(microsecond=0)
    live = systems["Live facial recognition on body-worn cameras"]
    answered = register.record_event(
        live,
        "use",
        now - timedelta(days=3, hours=4),
        "Urgent search for a missing child at the central station",
        legal,
        ACTOR,
        catalogue,
    )
    for kind, title, requirement in (
        (
            "authorisation",
            "Investigating judge's authorisation of the urgent search",
            "eu-ai-act.rt_rbi_authorisation",
        ),
        (
            "record",
            "Notification of the use to the MSA and the DPA (notification)",
            "eu-ai-act.rt_rbi_use_notification",
        ),
    ):
        add(
            store,
            legal,
            [
                (
                    pdf(title, f"Use of {now - timedelta(days=3, hours=4):%d %B %Y %H:%M} UTC."),
                    f"{requirement.split('.')[1]}.pdf",
                )
            ],
            kind=kind,
            title=title,
            system_ids=[live.id],
            issued_on=(now - timedelta(days=3)).date().isoformat(),
            requirement_ids=[requirement],
            event_id=answered.id,
        )
    register.record_event(
        live,
        "use",
        now - timedelta(hours=5),
        "Search for a suspect in a knife attack, football stadium",
        legal,
        ACTOR,
        catalogue,
    )
    search = systems["Post-event face search"]
    for days_ago, description in ((9, "Burglary series, CCTV stills"), (1, "Armed robbery")):
        register.record_event(
            search, "use", now - timedelta(days=days_ago), description, legal, ACTOR, catalogue
        )
    rostering = systems["Staff rostering assistant"]
    breach = register.record_event(
        rostering,
        "personal_data_breach",
        now - timedelta(days=2, hours=6),
        "Shift schedules with home addresses e-mailed to a wrong distribution list",
        legal,
        ACTOR,
        catalogue,
    )
    add(
        store,
        legal,
        [
            (
                email(
                    BREACH_REPORT,
                    "Notification under Article 33 GDPR of a breach of "
                    "confidentiality affecting 212 staff members.",
                ),
                "breach-notification.eml",
            )
        ],
        kind="incident_report",
        title=BREACH_REPORT,
        system_ids=[rostering.id],
        issued_on=(now - timedelta(days=1)).date().isoformat(),
        requirement_ids=["eu-gdpr.breach_notification"],
        event_id=breach.id,
    )


def seed_reviews_and_waivers(
    dpo: User, legal: User, systems: dict[str, AISystem], catalogue: Catalogue
) -> None:
    """The DPO's decisions on the demo evidence, and one approved waiver."""
    for item in Evidence.select().order_by(Evidence.id):
        if item.title in PENDING:
            continue
        decision = "rejected" if item.title in REJECTED else "accepted"
        reviews.review_evidence(item, decision, REJECTED.get(item.title, ""), dpo, ACTOR)
    waiver = waivers.request_waiver(
        systems["Crime hotspot forecasting"],
        "toolkit.decommissioning_procedure",
        "Covered by the agency-wide procedure for retiring analytics models; a system-specific "
        "procedure follows at the 2027 review.",
        TODAY + timedelta(days=120),
        legal,
        ACTOR,
        catalogue,
    )
    waivers.approve_waiver(waiver, dpo, "Accepted until the 2027 review.", ACTOR)


def seed_evidence(store: ContentStore, systems: dict[str, AISystem], legal: User) -> None:
    days = lambda n: (TODAY + timedelta(days=n)).isoformat()  # noqa: E731
    add(
        store,
        legal,
        [
            (
                pdf(
                    "Responsible AI Strategy 2026-2028",
                    "Sets the agency's vision for responsible AI innovation, the principles every "
                    "system must meet, and who is accountable.",
                    "Approved by the chief of police and the oversight committee.",
                ),
                "responsible-ai-strategy.pdf",
            )
        ],
        kind="policy",
        title="Responsible AI strategy 2026-2028",
        agency_wide=True,
        issuer="Chief of police",
        issued_on=days(-200),
        valid_from=days(-200),
        valid_until=days(900),
        requirement_ids=["toolkit.responsible_ai_strategy"],
    )
    add(
        store,
        legal,
        [
            (
                pdf(
                    "Mandate of the Responsible AI Oversight Committee",
                    "The committee advises on ethical and human-rights requirements throughout the "
                    "life cycle of every AI system, including planning, procurement, use and monitoring.",
                ),
                "oversight-committee-mandate.pdf",
            )
        ],
        kind="policy",
        title="Oversight committee mandate",
        agency_wide=True,
        issuer="Chief of police",
        issued_on=days(-180),
        requirement_ids=["toolkit.oversight_committee"],
    )

    face = systems["Post-event face search"]
    add(
        store,
        legal,
        [
            (
                pdf(
                    "Data protection impact assessment - Post-event face search",
                    "Processing: comparison of probe images with custody images (biometric data).",
                    "Necessity and proportionality: limited to serious crime; human review by "
                    "certified facial examiners; candidate lists never used as sole evidence.",
                    "Residual risk: medium after mitigation.",
                ),
                "dpia-post-event-face-search.pdf",
            )
        ],
        kind="impact_assessment",
        title="DPIA - post-event face search (LED Art 27)",
        system_ids=[face.id],
        issuer="DPO office",
        issued_on=days(-300),
        valid_from=days(-300),
        valid_until=days(65),
        requirement_ids=["eu-led.dpia"],
    )
    add(
        store,
        legal,
        [
            (
                pdf(
                    "Accuracy and demographic bias evaluation",
                    "False match rates measured on 40,000 probe images across age, sex and skin-tone "
                    "groups. Largest disparity within the vendor's stated tolerance.",
                ),
                "bias-evaluation.pdf",
            )
        ],
        kind="audit",
        title="Accuracy and bias evaluation 2026",
        system_ids=[face.id],
        issuer="National forensic institute",
        issued_on=days(-90),
        valid_until=days(275),
        requirement_ids=["toolkit.audit_evaluation"],
    )
    for name, valid in (("Hana Novak", 400), ("Pieter de Vries", 20)):
        add(
            store,
            legal,
            [
                (
                    pdf(
                        "Certificate of competence - facial examiner",
                        f"This certifies that {name} completed facial comparison and review training "
                        "to the FISWG standard.",
                    ),
                    f"facial-examiner-{name.split()[-1].lower()}.pdf",
                )
            ],
            kind="training_certificate",
            title=f"Facial examiner certificate - {name}",
            system_ids=[face.id],
            certified_person=name,
            issuer="Forensic training academy",
            issued_on=days(valid - 730),
            valid_until=days(valid),
            requirement_ids=["toolkit.facial_examiner_certification"],
        )

    live = systems["Live facial recognition on body-worn cameras"]
    add(
        store,
        legal,
        [
            (
                email(
                    "Prior consultation - live facial recognition pilot",
                    "We acknowledge receipt of your prior consultation request under Article 28 of "
                    "Directive 2016/680 and will respond within six weeks.",
                ),
                "dpa-acknowledgement.eml",
            )
        ],
        kind="consultation",
        title="Prior consultation of the supervisory authority (acknowledgement)",
        system_ids=[live.id],
        issuer="Supervisory authority",
        issued_on=days(-10),
        requirement_ids=["eu-led.prior_consultation"],
    )

    chatbot = systems["Crime report chatbot"]
    add(
        store,
        legal,
        [
            (
                pdf(
                    "Public information statement - Crime report chatbot",
                    "What it is for: reporting minor crimes online. Name and version: CivicBot 3.0.",
                    "You are talking to an automated assistant; a police officer reviews every report.",
                    "How your data is handled: reports go to the crime recording system; the vendor "
                    "sees no content.",
                ),
                "chatbot-public-statement.pdf",
            )
        ],
        kind="public_communication",
        title="Public information statement - chatbot",
        system_ids=[chatbot.id],
        issuer="Public relations office",
        issued_on=days(-60),
        requirement_ids=["eu-ai-act.transparency_art50"],
    )
    add(
        store,
        legal,
        [
            (
                (
                    "operator,unit,course,completed_on,valid_until\n"
                    f"Chloe Dubois,Contact centre,Chatbot supervision,{days(-100)},{days(265)}\n"
                    f"Marek Nowak,Contact centre,Chatbot supervision,{days(-400)},{days(-35)}\n"
                ).encode(),
                "chatbot-training-register.csv",
            )
        ],
        kind="record",
        title="Training register - chatbot supervisors",
        system_ids=[chatbot.id],
        issuer="Training department",
        issued_on=days(-30),
    )

    transcription = systems["Interview transcription"]
    add(
        store,
        legal,
        [
            (
                pdf(
                    "Technical documentation - Scribe Analytics 5.2",
                    "Model description, word error rates by accent group, data retention settings.",
                ),
                "scribe-technical-documentation.pdf",
            )
        ],
        kind="technical_documentation",
        title="Vendor technical documentation",
        system_ids=[transcription.id],
        requirement_ids=["toolkit.monitoring_plan"],
        issuer="Scribe Analytics",
        issued_on=days(-150),
    )


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


def seed(settings: config.Settings) -> bool:
    """Create the demo agency unless the database already has systems; True when seeded.

    The building block for tests, which add their own users first; ``seed_empty_database``
    is what the script runs.
    """
    if AISystem.select().exists():
        return False
    catalogue = load_catalogue_for(settings)
    users = {
        username: accounts.create_user(username, role, ACTOR, full_name=name, email=mail)
        for username, role, name, mail in DEMO_USERS
    }
    systems = {}
    for spec in SYSTEMS:
        spec = dict(spec)
        operators = spec.pop("operators")
        system = register.create_system(spec, ACTOR, catalogue)
        for name, unit in operators:
            address = name.lower().replace(" ", ".").replace("'", "") + "@police.example"
            register.add_operator(system, {"name": name, "email": address, "unit": unit}, ACTOR)
        systems[system.name] = system
    for name, publication in PUBLISHED.items():
        register.update_system(systems[name], {**publication, "published": True}, ACTOR, catalogue)
    store = ContentStore(settings.evidence_dir)
    seed_evidence(store, systems, users["l.martin"])
    seed_events(store, systems, users["l.martin"], catalogue)
    seed_reviews_and_waivers(users["d.okafor"], users["l.martin"], systems, catalogue)
    return True


class DemoLogin(NamedTuple):
    """What a demo user signs in with: shown once, stored only as hashes."""

    username: str
    role: str
    password: str
    token: str


def existing_data() -> tuple[int, int]:
    """How many AI systems and users the database holds."""
    return AISystem.select().count(), User.select().count()


def seed_empty_database(settings: config.Settings) -> list[DemoLogin] | None:
    """Seed the demo into an empty database and give each demo user a password and a token.

    Returns None, touching nothing, when the database has any AI system or any user: the demo
    must never change real data (a real ``admin`` keeps its password and tokens).
    """
    # One transaction: a seed that fails half-way leaves the database empty, so a rerun can seed.
    with db.write_transaction():
        if any(existing_data()):
            return None
        seed(settings)
        logins = []
        for username, role, *_ in DEMO_USERS:
            user = accounts.get_user(username)
            password = secrets.token_urlsafe(12)
            sign_in.set_password(user, password, ACTOR)
            token = accounts.issue_token(user, "demo", ACTOR)[1]
            logins.append(DemoLogin(username, role, password, token))
    return logins


def report(settings: config.Settings, logins: list[DemoLogin] | None) -> str:
    """The text the script prints."""
    if logins is None:
        systems, users = existing_data()
        return (
            f"The database already has data ({systems} AI systems, {users} users): "
            "the demo was not seeded and nothing was changed."
        )
    lines = [
        f"Seeded the demo agency ({AGENCY}): {AISystem.select().count()} AI systems.",
        f"Sign in at {settings.base_url}/sign-in with (shown only now; "
        "`tracker users set-password NAME` sets a new one):",
        *(f"  {login.role:<8} {login.username:<10} {login.password}" for login in logins),
        "Demo API tokens (send as 'Authorization: Bearer <token>'):",
        *(f"  {login.role:<8} {login.username:<10} {login.token}" for login in logins),
        f"API documentation: {settings.base_url}/api/docs",
    ]
    return "\n".join(lines)


def main() -> int:
    try:
        settings = config.from_environ()
    except config.ConfigError as error:
        print(f"demo data: {error}", file=sys.stderr)
        return 1
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database)
        print(report(settings, seed_empty_database(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
