"""What is reminded, to whom: derived from completeness and dated facts."""

from datetime import date, timedelta

from tests.conftest import DEPLOYMENT
from tracker import accounts
from tracker.db import utcnow
from tracker.models import AISystem, Notification, SystemEvent
from tracker.plugin_host import load_catalogue
from tracker.reminders.items import collect, lead_bucket

TODAY = date.today()


def kinds_for(items, email):
    return sorted({i.kind for i in items if email in {r.email for r in i.recipients}})


def test_lead_buckets():
    assert [lead_bucket(d, (60, 30, 7)) for d in (90, 60, 45, 30, 8, 7, 0)] == [
        None,
        60,
        60,
        30,
        30,
        7,
        7,
    ]


def test_owners_operators_and_dpos_get_their_items(seeded):
    items = collect(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    assert "missing" in kinds_for(
        items, "lea.martin@police.example"
    )  # the legal team owns legal items
    assert "operator_certificate" in kinds_for(items, "pieter.de.vries@police.example")
    assert "operator_certificate" in kinds_for(
        items, "hana.novak@police.example"
    )  # the system contact too
    agency = [i for i in items if i.item_key == "agency:toolkit.risk_management_policy"]
    assert len(agency) == 1 and agency[0].system_id is None  # agency-wide items come once


def test_reviews_waiting_too_long_go_to_the_dpos(seeded):
    assert not [
        i
        for i in collect(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
        if i.kind == "review_overdue"
    ]
    later = collect(TODAY + timedelta(days=20), load_catalogue(deployment=DEPLOYMENT), seeded)
    overdue = [i for i in later if i.kind == "review_overdue"]
    assert {i.title for i in overdue} == {  # the demo's three unreviewed uploads
        "Training register - chatbot supervisors",
        "Prior consultation of the supervisory authority (acknowledgement)",
        "Breach notification to the supervisory authority (rostering)",
    }
    assert all({r.email for r in i.recipients} == {"dpo@police.example"} for i in overdue)


def test_a_waiver_about_to_end_goes_to_its_approver(seeded):
    items = collect(
        TODAY + timedelta(days=100), load_catalogue(deployment=DEPLOYMENT), seeded
    )  # it ends after 120 days
    ending = [i for i in items if i.kind == "waiver_expiring"]
    assert len(ending) == 1 and [r.email for r in ending[0].recipients] == ["dpo@police.example"]
    assert ending[0].window == "lead-30"


def test_expiring_evidence_is_reminded_at_each_lead_time(seeded):
    def dpia(as_of):
        return [
            i
            for i in collect(as_of, load_catalogue(deployment=DEPLOYMENT), seeded)
            if i.kind == "expiring" and i.requirement_id == "eu-led.dpia"
        ]

    assert dpia(TODAY) == []  # 65 days left
    assert dpia(TODAY + timedelta(days=10))[0].window.startswith("lead-60")
    assert dpia(TODAY + timedelta(days=40))[0].window.startswith("lead-30")
    expired = [
        i
        for i in collect(TODAY + timedelta(days=70), load_catalogue(deployment=DEPLOYMENT), seeded)
        if i.requirement_id == "eu-led.dpia" and i.system_name == "Post-event face search"
    ]
    assert expired and expired[0].kind == "expired"


def test_a_use_starts_a_deadline_for_its_authorisation(seeded):
    live = AISystem.get(AISystem.name == "Live facial recognition on body-worn cameras")
    use = SystemEvent.create(
        system=live,
        kind="use",
        occurred_at=utcnow() - timedelta(hours=2),
        description="Search at the stadium",
    )
    mine = f"event:{use.id}:"  # the demo records uses of its own; this test's use owes these
    due = [
        i
        for i in collect(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
        if i.kind == "event_deadline" and i.item_key.startswith(mine)
    ]
    # Each use owes the authorisation (within 24 h in urgency) and its notification (Art 5(3)-(4)).
    assert {i.requirement_id: i.status for i in due} == {
        "eu-ai-act.rt_rbi_authorisation": "open",  # the duty's status in completeness
        "eu-ai-act.rt_rbi_use_notification": "open",
    }
    assert {"lea.martin@police.example", "dpo@police.example"} <= {
        r.email for r in due[0].recipients
    }
    overdue = [
        i
        for i in collect(TODAY + timedelta(days=2), load_catalogue(deployment=DEPLOYMENT), seeded)
        if i.kind == "event_deadline" and i.item_key.startswith(mine)
    ]
    assert overdue[0].status == "overdue"


def test_repeated_reminders_with_no_change_escalate_to_the_dpo(seeded):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    items = collect(TODAY, catalogue, seeded)
    target = next(
        i
        for i in items
        if i.kind == "missing"
        and i.system_name == "Interview transcription"
        and "lea.martin@police.example" in {r.email for r in i.recipients}
    )
    for day in range(seeded.escalate_after * len(target.recipients)):
        Notification.create(
            key=f"x{day}",
            recipient="lea.martin@police.example",
            kind=target.kind,
            item_key=target.item_key,
            window=f"d{day}",
            sweep_date=TODAY - timedelta(days=day + 1),  # reminded on each of the days before
            payload=target.payload(),
            state="sent",
        )
    escalations = [i for i in collect(TODAY, catalogue, seeded) if i.kind == "escalation"]
    assert [i.item_key for i in escalations] == [f"escalation:{target.item_key}"]
    assert [r.email for r in escalations[0].recipients] == ["dpo@police.example"]


def test_an_inactive_user_is_not_reminded(seeded):
    user = accounts.get_user("l.martin")
    user.is_active = False
    user.save()
    items = collect(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded)
    assert "lea.martin@police.example" not in {r.email for i in items for r in i.recipients}
