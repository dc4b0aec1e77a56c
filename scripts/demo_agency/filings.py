"""The evidence the demo agency filed over the year, and what its DPO decided on each.

One line per document: which system it is for (None: agency-wide), how many days ago it was
uploaded and issued, what it answers, and the review. Most were accepted a few days after
upload; one DPIA was rejected and accepted in a second version; one vendor document was
rejected and is still waiting for a better one; three recent uploads wait for review. Validity
dates put some items out of date soon (and one certificate and two annual documents already).
Evidence answering one recorded event (an authorisation, a breach report) is filed with that
event, in ``story.py``.
"""

from __future__ import annotations

from typing import NamedTuple

FACE = "Post-event face search"
LIVE = "Live facial recognition on body-worn cameras"
HOTSPOT = "Crime hotspot forecasting"
RISK = "Re-offending risk score"
CHATBOT = "Crime report chatbot"
TRANSCRIPTION = "Interview transcription"
ROSTER = "Staff rostering assistant"


class Filing(NamedTuple):
    system: str | None  # None: agency-wide
    uploaded: int  # days ago
    issued: int  # days ago
    kind: str
    title: str
    requirements: tuple[str, ...]
    issuer: str
    text: str  # what the document says, in a sentence or two
    valid_until: int | None = None  # days from today (negative: already passed)
    certified_person: str = ""
    decision: str | None = "accepted"  # None: still waiting for the DPO
    reason: str = ""
    review_after: int = 2  # days between upload and decision
    file: str = "pdf"  # pdf, eml or csv
    new_version_of: str = ""  # the title of the item this supersedes


def certificate(
    system: str, person: str, requirement: str, uploaded: int, issued: int, valid_until: int
) -> Filing:
    """An operator's end-user training certificate, accepted the day after upload."""
    return Filing(
        system,
        uploaded,
        issued,
        "training_certificate",
        f"End-user training - {person}",
        (requirement,),
        "Police training college",
        f"This certifies that {person} completed the course and passed its assessment.",
        valid_until=valid_until,
        certified_person=person,
        review_after=1,
    )


# The three uploads waiting for the DPO, and the rejection still standing (tests name them).
BREACH_REPORT = "Breach notification to the supervisory authority (rostering)"
TRAINING_REGISTER = "Training register - chatbot supervisors"
CONSULTATION = "Prior consultation of the supervisory authority (acknowledgement)"
VENDOR_DOCUMENTATION = "Vendor technical documentation"
VENDOR_REJECTION = "Describes version 5.1; the deployed version is 5.2."

# fmt: off
FILINGS: list[Filing] = [
    # --- the agency as a whole ----------------------------------------------------------------
    Filing(None, 340, 360, "policy", "Responsible AI strategy 2026-2028",
           ("toolkit.responsible_ai_strategy",), "Chief of police", "Sets the agency's vision for "
           "responsible AI innovation, the principles every system must meet, and who is "
           "accountable.",
           valid_until=770),
    Filing(None, 330, 335, "policy", "Oversight committee mandate",
           ("toolkit.oversight_committee",), "Chief of police", "The committee advises on ethical "
           "and human-rights requirements throughout the life cycle of every AI system, including "
           "planning, procurement, use and monitoring."),
    Filing(None, 322, 325, "registration", "DPO designation notified to the supervisory authority",
           ("eu-led.dpo", "eu-gdpr.dpo_designation"), "Chief of police", "David Okafor is "
           "designated data protection officer; his contact details are published on the agency's "
           "website and were notified to the supervisory authority."),
    Filing(None, 300, 305, "record", "Appointment of the AI risk executive",
           ("toolkit.risk_executive",), "Chief of police", "The deputy chief of police is "
           "appointed risk executive for every AI system."),
    Filing(None, 275, 280, "audit", "Organisational readiness assessment",
           ("toolkit.readiness_assessment",), "Internal audit", "Skills, infrastructure and "
           "governance measured against the toolkit's readiness questions; eleven actions agreed."),
    Filing(None, 250, 255, "record", "Needs and capability assessment 2026",
           ("toolkit.needs_capability_assessment",), "Strategy unit", "Which problems AI could "
           "help with, which it should not, and the capabilities the agency has to run it "
           "responsibly."),
    Filing(None, 205, 210, "record", "Applicability memo - Council of Europe AI Convention",
           ("coe-cets225.status",), "Legal service", "The Framework Convention (CETS 225) binds "
           "the agency through the EU's ratification from 15 May 2026; national implementation "
           "follows the AI Act."),
    Filing(None, 185, 190, "policy", "AI transparency and oversight policy",
           ("coe-cets225.transparency_oversight",), "Chief of police", "What the agency publishes "
           "about each AI system, and how the oversight committee and the DPO check it."),
    Filing(None, 160, 165, "record", "NIS2 scope determination", ("nis2.scope",),
           "Information security office", "The agency's AI systems are not essential or important "
           "entities' network and information systems under the Belgian NIS2 law."),
    Filing(None, 120, 125, "policy", "DPO charter: position and resources",
           ("eu-gdpr.dpo_position",), "Chief of police", "The DPO is involved in time in every "
           "question on personal data, reports to the chief of police, and has a budget and two "
           "analysts."),
    Filing(None, 55, 60, "record", "Data protection awareness training 2026 - attendance",
           ("eu-gdpr.staff_training",), "DPO office", "Attendance of the annual awareness session "
           "by unit; 94% of staff attended.",
           file="csv"),
    # --- post-event face search: in use for years, documented over the year -------------------
    Filing(FACE, 352, 355, "record", "Purpose classification - post-event face search",
           ("eu-gdpr.scope_classification",), "Legal service", "Processing for the prevention and "
           "investigation of crime: the Law Enforcement Directive applies, not the GDPR."),
    Filing(FACE, 350, 710, "training_certificate", "Facial examiner certificate - Pieter de Vries",
           ("toolkit.facial_examiner_certification",), "Forensic training academy", "This "
           "certifies that Pieter de Vries completed facial comparison and review training to the "
           "FISWG standard.",
           valid_until=20, certified_person="Pieter de Vries", review_after=1),
    Filing(FACE, 345, 350, "record", "Record of processing - custody image comparison",
           ("eu-led.records",), "DPO office", "Categories of data, recipients, retention and the "
           "legal basis of the comparison."),
    Filing(FACE, 340, 372, "record", "Storage review 2025 - custody images",
           ("eu-led.storage_review",), "Forensic imaging unit", "Custody images of people not "
           "charged were deleted; the next review is due within a year."),
    Filing(FACE, 328, 330, "training_certificate", "Facial examiner certificate - Hana Novak",
           ("toolkit.facial_examiner_certification",), "Forensic training academy", "This "
           "certifies that Hana Novak completed facial comparison and review training to the "
           "FISWG standard.",
           valid_until=400, certified_person="Hana Novak", review_after=1),
    Filing(FACE, 325, 330, "record", "Processor agreement with FaceFind Inc.",
           ("eu-led.processor_contract",), "Procurement office", "FaceFind processes probe images "
           "only on the agency's instructions, in the EU."),
    Filing(FACE, 298, 300, "impact_assessment", "DPIA - post-event face search (LED Art 27)",
           ("eu-led.dpia",), "DPO office", "Necessity and proportionality: limited to serious "
           "crime; human review by certified facial examiners; candidate lists never used as sole "
           "evidence. Residual risk: medium after mitigation.",
           valid_until=65),
    Filing(FACE, 280, 282, "record", "Legal basis for processing biometric data",
           ("eu-led.special_categories",), "Legal service", "Strictly necessary for serious "
           "crime, with the safeguards of the national police act."),
    Filing(FACE, 262, 265, "record", "Access and consultation logging - configuration record",
           ("eu-led.logging",), "Information security office", "Every search logs who searched, "
           "when, why and which candidate list came back."),
    Filing(FACE, 198, 200, "record", "Prohibited-practice screening - post-event face search",
           ("eu-ai-act.prohibited_practices_screen",), "Legal service", "No untargeted scraping "
           "of facial images; searches are targeted and after the event."),
    Filing(FACE, 196, 200, "policy", "Security policy - forensic imaging systems",
           ("eu-led.security",), "Information security office", "Access control, encryption at "
           "rest and yearly penetration tests."),
    Filing(FACE, 150, 152, "impact_assessment", "Human rights impact assessment - face search",
           ("toolkit.hria",), "Oversight committee", "Effects on privacy, non-discrimination and "
           "the presumption of innocence, with the mitigations agreed."),
    Filing(FACE, 88, 90, "audit", "Accuracy and bias evaluation 2026",
           ("toolkit.audit_evaluation", "coe-cets225.equality_reliability"),
           "National forensic institute", "False match rates measured on 40,000 probe images "
           "across age, sex and skin-tone groups. Largest disparity within the vendor's stated "
           "tolerance.",
           valid_until=275),
    Filing(FACE, 60, 62, "record", "Success metrics - post-event face search",
           ("toolkit.success_metrics",), "Forensic imaging unit", "Share of searches giving an "
           "investigative lead, examiner agreement rate, time to result."),
    # --- interview transcription: one vendor document rejected --------------------------------
    Filing(TRANSCRIPTION, 348, 350, "record", "Purpose classification - interview transcription",
           ("eu-gdpr.scope_classification",), "Legal service", "Transcripts serve criminal "
           "investigations: the Law Enforcement Directive applies."),
    Filing(TRANSCRIPTION, 335, 340, "record", "Processor agreement with Scribe Analytics",
           ("eu-led.processor_contract",), "Procurement office", "Audio is processed in the "
           "agency's data centre; the vendor has no access to content."),
    Filing(TRANSCRIPTION, 315, 318, "record", "Record of processing - interview transcription",
           ("eu-led.records",), "DPO office", "Suspects', victims' and witnesses' interviews; "
           "transcripts kept with the case file."),
    certificate(TRANSCRIPTION, "Ruth Adeyemi", "toolkit.end_user_training", 290, 300, 430),
    certificate(TRANSCRIPTION, "Liam O'Connor", "toolkit.end_user_training", 290, 718, 12),
    Filing(TRANSCRIPTION, 268, 270, "impact_assessment", "DPIA - interview transcription",
           ("toolkit.dpia",), "DPO office", "Risks of wrong transcription of accents and names, "
           "mitigated by the interviewing officer's check of every transcript."),
    Filing(TRANSCRIPTION, 210, 212, "technical_documentation",
           "Data protection by design - transcription settings", ("eu-led.dp_by_design",),
           "Information security office", "Audio deleted after transcription; no vendor "
           "telemetry; speaker labels only."),
    Filing(TRANSCRIPTION, 30, 150, "technical_documentation", VENDOR_DOCUMENTATION,
           ("toolkit.monitoring_plan",), "Scribe Analytics", "Model description, word error rates "
           "by accent group, data retention settings.",
           decision="rejected", reason=VENDOR_REJECTION),
    # --- crime hotspot forecasting: its yearly evaluation has lapsed --------------------------
    Filing(HOTSPOT, 347, 350, "record", "Purpose classification - hotspot forecasting",
           ("eu-gdpr.scope_classification",), "Legal service", "Patrol planning from recorded "
           "crime: the Law Enforcement Directive applies."),
    Filing(HOTSPOT, 340, 380, "audit", "Annual evaluation 2025 - hotspot forecasting",
           ("toolkit.audit_evaluation",), "Analysis unit", "Forecast hit rate against the "
           "previous year's patrol plans; no displacement found."),
    Filing(HOTSPOT, 338, 351, "policy", "Security measures - analytics platform",
           ("eu-led.security",), "Information security office", "Role-based access, pseudonymised "
           "crime records, yearly review."),
    Filing(HOTSPOT, 300, 305, "record", "Record of processing - crime location data",
           ("eu-led.records",), "DPO office", "Crime locations and times from the crime recording "
           "system; no names."),
    Filing(HOTSPOT, 282, 285, "technical_documentation",
           "Data protection by design - aggregation to 250 m squares", ("eu-led.dp_by_design",),
           "Analysis unit", "Locations are aggregated before the model sees them."),
    Filing(HOTSPOT, 260, 262, "technical_documentation",
           "Categories of data subjects - crime location data", ("eu-led.data_subject_categories",),
           "Analysis unit", "Victims' addresses are the only personal data, and only until "
           "aggregation."),
    certificate(HOTSPOT, "Jonas Weber", "toolkit.end_user_training", 195, 200, 530),
    Filing(HOTSPOT, 198, 200, "record", "Prohibited-practice screening - hotspot forecasting",
           ("eu-ai-act.prohibited_practices_screen",), "Legal service", "Forecasts places, never "
           "persons: not a prohibited risk assessment of individuals."),
    Filing(HOTSPOT, 190, 192, "public_communication", "Notice to residents - hotspot forecasting",
           ("eu-led.information",), "Public relations office", "What the forecasts are, what data "
           "they use, and how to ask questions or complain."),
    Filing(HOTSPOT, 145, 147, "impact_assessment", "Risk assessment - monitoring stage",
           ("toolkit.risk_assessment",), "Oversight committee", "Risks of feedback loops between "
           "patrols and recorded crime, and how they are watched."),
    Filing(HOTSPOT, 140, 142, "record", "Monitoring plan - forecast accuracy and patrol impact",
           ("toolkit.monitoring_plan",), "Analysis unit", "Monthly accuracy report and a "
           "quarterly look at where patrols went."),
    # --- crime report chatbot: a DPIA rejected, then accepted in version 2 --------------------
    Filing(CHATBOT, 322, 325, "record", "Purpose classification - crime report chatbot",
           ("eu-gdpr.scope_classification",), "Legal service", "Crime reports from the public: "
           "the Law Enforcement Directive applies."),
    Filing(CHATBOT, 310, 315, "record", "Processor agreement with CivicBot GmbH",
           ("eu-led.processor_contract",), "Procurement office", "The vendor hosts the dialogue "
           "engine in the EU and sees no report content."),
    Filing(CHATBOT, 290, 292, "impact_assessment", "DPIA - crime report chatbot", ("toolkit.dpia",),
           "DPO office", "Risks for residents reporting crimes online, and the mitigations "
           "chosen.",
           decision="rejected",
           reason="It does not cover the free-text fields, where residents may write about their "
           "health or other special categories of data.",
           review_after=3),
    Filing(CHATBOT, 275, 276, "impact_assessment", "DPIA - crime report chatbot", ("toolkit.dpia",),
           "DPO office", "Version 2: adds the free-text fields, with automatic masking of health "
           "data and a 30-day limit on chat transcripts.",
           new_version_of="DPIA - crime report chatbot"),
    Filing(CHATBOT, 250, 252, "public_communication", "Public information statement - chatbot",
           ("eu-ai-act.transparency_art50", "toolkit.public_information_statement"),
           "Public relations office", "You are talking to an automated assistant; a police "
           "officer reviews every report. Reports go to the crime recording system; the vendor "
           "sees no content."),
    Filing(CHATBOT, 248, 250, "technical_documentation", "Data protection by design - chatbot",
           ("eu-led.dp_by_design",), "Contact centre", "Only the questions an officer would ask; "
           "no recording of IP addresses."),
    Filing(CHATBOT, 246, 248, "technical_documentation", "Data subject categories - chatbot",
           ("eu-led.data_subject_categories",), "Contact centre", "Victims, witnesses and "
           "suspects named in reports are kept apart."),
    certificate(CHATBOT, "Marek Nowak", "toolkit.end_user_training", 244, 400, -35),
    Filing(CHATBOT, 115, 118, "record", "Record of processing - online crime reports",
           ("eu-led.records",), "DPO office", "Reports stored in the case system for 6 years; "
           "chat transcripts deleted after 30 days."),
    certificate(CHATBOT, "Chloe Dubois", "toolkit.end_user_training", 98, 100, 265),
    Filing(CHATBOT, 85, 88, "record", "Logging of chatbot reports - agency log configuration",
           ("eu-led.logging",), "Information security office", "The agency's own log of each "
           "report received, consulted and passed on."),
    Filing(CHATBOT, 2, 30, "record", TRAINING_REGISTER, (), "Training department", "Chatbot "
           "supervision course: who completed it and until when it is valid.",
           decision=None, file="csv"),
    # --- live facial recognition: planned, procured, now piloted ------------------------------
    Filing(LIVE, 262, 265, "record", "Purpose classification - live facial recognition",
           ("eu-gdpr.scope_classification",), "Legal service", "Searches for wanted and missing "
           "persons: the Law Enforcement Directive applies."),
    Filing(LIVE, 238, 240, "record", "Prohibited-practice screening - live facial recognition",
           ("eu-ai-act.prohibited_practices_screen",), "Legal service", "Real-time remote "
           "biometric identification in public: allowed only for the Article 5(1)(h) objectives, "
           "with prior authorisation of each use."),
    Filing(LIVE, 226, 228, "impact_assessment", "Risk assessment - procurement stage",
           ("toolkit.risk_assessment",), "Oversight committee", "Risks to weigh before buying: "
           "accuracy in crowds, chilling effects, vendor lock-in."),
    Filing(LIVE, 205, 208, "record", "Legal basis in national law for real-time identification",
           ("eu-ai-act.rt_rbi_national_law",), "Legal service", "The national police act provides "
           "for real-time remote biometric identification under Article 5(3) and (5) of the AI "
           "Act."),
    Filing(LIVE, 170, 172, "record", "Processor agreement with Visionary Systems Ltd",
           ("eu-led.processor_contract",), "Procurement office", "The vendor maintains the "
           "cameras' software and never receives images."),
    Filing(LIVE, 125, 128, "technical_documentation",
           "Data protection by design - on-camera matching", ("eu-led.dp_by_design",),
           "Real-time intelligence centre", "Faces are compared on the camera and deleted within "
           "seconds unless they match."),
    Filing(LIVE, 112, 115, "technical_documentation", "Categories of data subjects - watch lists",
           ("eu-led.data_subject_categories",), "Real-time intelligence centre", "Wanted persons "
           "and missing persons at risk, on lists a court approved."),
    Filing(LIVE, 82, 85, "impact_assessment", "DPIA - live facial recognition pilot",
           ("eu-led.dpia",), "DPO office", "High residual risk for bystanders, reduced by "
           "on-camera deletion and a pilot limited to announced events.",
           review_after=4),
    Filing(LIVE, 72, 74, "impact_assessment", "Risk assessment - testing stage",
           ("toolkit.risk_assessment",), "Oversight committee", "The pilot's risks: false alerts "
           "at crowded events and officers' over-reliance."),
    certificate(LIVE, "Tom Becker", "toolkit.end_user_training", 70, 72, 658),
    certificate(LIVE, "Ines Duarte", "toolkit.end_user_training", 70, 72, 658),
    Filing(LIVE, 4, 10, "consultation", CONSULTATION, ("eu-led.prior_consultation",),
           "Supervisory authority", "We acknowledge receipt of your prior consultation request "
           "under Article 28 of Directive 2016/680 and will respond within six weeks.",
           decision=None, file="eml"),
    # --- re-offending risk score: in development ----------------------------------------------
    Filing(RISK, 175, 176, "record", "Purpose classification - re-offending risk score",
           ("eu-gdpr.scope_classification",), "Legal service", "Offender management is a "
           "law-enforcement purpose: the Law Enforcement Directive applies."),
    Filing(RISK, 170, 380, "policy", "Security policy - analytics development environment",
           ("eu-led.security",), "Information security office", "Access to training data on "
           "named accounts only, no copies outside the environment; reviewed yearly."),
    Filing(RISK, 160, 162, "record", "Needs statement and success metrics - risk score",
           ("toolkit.success_metrics",), "Offender management unit", "Better-targeted visits, "
           "measured against re-offending within a year; no decision about a person is made by "
           "the score."),
    Filing(RISK, 96, 98, "impact_assessment", "Risk assessment - development stage",
           ("toolkit.risk_assessment",), "Oversight committee", "Risks of bias against groups "
           "over-represented in past records, and the tests planned."),
    Filing(RISK, 62, 64, "record", "Prohibited-practice screening - re-offending risk score",
           ("eu-ai-act.prohibited_practices_screen",), "Legal service", "The score supports an "
           "officer's assessment based on objective facts and is never based on profiling alone "
           "(AI Act Article 5(1)(d))."),
    Filing(RISK, 40, 42, "technical_documentation",
           "Data protection by design - risk score features", ("eu-led.dp_by_design",),
           "Analysis unit", "No ethnicity, religion or address features; each feature justified."),
    # --- staff rostering assistant: registered this month -------------------------------------
    Filing(ROSTER, 20, 21, "record", "Purpose classification - staff rostering (GDPR)",
           ("eu-gdpr.scope_classification",), "Legal service", "Human resources processing: the "
           "GDPR applies, not the Law Enforcement Directive."),
]
# fmt: on
