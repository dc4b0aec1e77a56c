"""What happened to the demo's systems: uses of the identification systems, about one a
month, and two personal data breaches, each with the duties it started and the evidence
that answered them (one authorisation and one breach report filed after their deadlines).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from demo_agency import LEGAL, documents
from demo_agency.filings import BREACH_REPORT, FACE, LIVE, ROSTER, TRANSCRIPTION
from tracker import register

if TYPE_CHECKING:
    from demo_agency.story import Story

# Uses of post-event face search, about one a month: (days ago, hour, what was searched).
FACE_SEARCHES = [
    (340, 11, "Street robbery, CCTV still from a tram"),
    (311, 15, "Identification of a deceased person"),
    (283, 10, "Aggravated burglary, doorbell camera"),
    (251, 14, "Assault outside a nightclub"),
    (222, 9, "Fraud at cash machines, bank camera stills"),
    (190, 16, "Arson of vehicles"),
    (161, 11, "Sexual assault, witness photograph"),
    (131, 13, "Hit and run, petrol station camera"),
    (99, 10, "Armed robbery of a jeweller"),
    (70, 15, "Child abuse material, identification of the offender"),
    (41, 11, "Attempted murder, phone video"),
    (9, 14, "Burglary series, CCTV stills"),
    (1, 9, "Armed robbery"),
]


def uses_and_breaches(story: Story) -> None:
    """Uses of the identification systems, and two personal data breaches with their duties."""
    for ago, hour, description in FACE_SEARCHES:
        event(
            story, FACE, "use", story.day(ago, hour), description, recorded_after=timedelta(hours=1)
        )
    # The pilot's first use: notified in time, but the judge's authorisation was filed late.
    first = story.day(6, 18, 40)
    event(
        story, LIVE, "use", first, "Search for a missing person at risk, Nordville central station"
    )
    answer(
        story,
        LIVE,
        first + timedelta(hours=20),
        "record",
        "Notification of the use to the MSA and the DPA (station search)",
        "eu-ai-act.rt_rbi_use_notification",
        first,
    )
    answer(
        story,
        LIVE,
        first + timedelta(hours=38),
        "authorisation",
        "Investigating judge's authorisation of the station search",
        "eu-ai-act.rt_rbi_authorisation",
        first,
    )
    # Then one answered in time, and one from this morning still open.
    second = (story.now - timedelta(days=3, hours=4)).replace(second=0, microsecond=0)
    event(story, LIVE, "use", second, "Urgent search for a missing child at the central station")
    answer(
        story,
        LIVE,
        second + timedelta(hours=6),
        "authorisation",
        "Investigating judge's authorisation of the urgent search",
        "eu-ai-act.rt_rbi_authorisation",
        second,
    )
    answer(
        story,
        LIVE,
        second + timedelta(hours=8),
        "record",
        "Notification of the use to the MSA and the DPA (notification)",
        "eu-ai-act.rt_rbi_use_notification",
        second,
    )
    latest = (story.now - timedelta(hours=5)).replace(second=0, microsecond=0)
    event(story, LIVE, "use", latest, "Search for a suspect in a knife attack, football stadium")
    # A breach reported to the supervisory authority after its 72 hours.
    aware = story.day(130, 9, 15)
    event(
        story,
        TRANSCRIPTION,
        "personal_data_breach",
        aware,
        "Transcript of a witness interview filed in the wrong case file and disclosed to the defence",
    )
    answer(
        story,
        TRANSCRIPTION,
        aware + timedelta(hours=48),
        "record",
        "Decision on informing the witness of the breach",
        "eu-led.breach_data_subjects",
        aware,
    )
    answer(
        story,
        TRANSCRIPTION,
        aware + timedelta(hours=100),
        "incident_report",
        "Breach notification to the supervisory authority (transcription)",
        "eu-led.breach_notification",
        aware,
    )
    # This week's breach: reported in time, waiting for the DPO's review.
    breach = (story.now - timedelta(days=2, hours=6)).replace(second=0, microsecond=0)
    event(
        story,
        ROSTER,
        "personal_data_breach",
        breach,
        "Shift schedules with home addresses e-mailed to a wrong distribution list",
    )
    answer(
        story,
        ROSTER,
        breach + timedelta(hours=30),
        "incident_report",
        BREACH_REPORT,
        "eu-gdpr.breach_notification",
        breach,
        file="eml",
        review=False,
    )


def event(
    story: Story,
    system: str,
    kind: str,
    occurred: datetime,
    description: str,
    recorded_after: timedelta = timedelta(minutes=30),
) -> None:
    def record() -> None:
        story.events[f"{system}|{occurred}"] = register.record_event(
            story.systems[system],
            kind,
            occurred,
            description,
            story.users[LEGAL],
            LEGAL,
            story.catalogue,
        )

    story.at(occurred + recorded_after, record)


def answer(
    story: Story,
    system: str,
    moment: datetime,
    kind: str,
    title: str,
    requirement: str,
    occurred: datetime,
    file: str = "pdf",
    review: bool = True,
) -> None:
    """Evidence for one event's duty, uploaded at ``moment`` and (unless not yet) accepted."""

    def upload() -> None:
        text = f"About the event of {occurred:%d %B %Y %H:%M} UTC."
        if file == "eml":
            body = (
                "Notification under Article 33 GDPR of a breach of confidentiality affecting "
                "212 staff members."
            )
            files = [
                (
                    documents.email(title, body, "DPO <dpo@police.example>", moment.date()),
                    "breach-notification.eml",
                )
            ]
        else:
            files = [
                (
                    documents.pdf(title, "", moment.date(), text),
                    f"{requirement.split('.')[1]}.pdf",
                )
            ]
        story.upload(
            files,
            {
                "kind": kind,
                "title": title,
                "system_ids": [story.systems[system].id],
                "issued_on": moment.date().isoformat(),
                "requirement_ids": [requirement],
                "event_id": story.events[f"{system}|{occurred}"].id,
            },
        )

    story.at(moment, upload)
    if review:  # the DPO decides the next morning
        decided = datetime.combine(moment.date() + timedelta(days=1), time(11, 15))
        story.at(decided, lambda: story.decide(title, "accepted"))
