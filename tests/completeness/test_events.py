"""Events with their own deadlines, in completeness, on both databases.

Each recorded event owes its own evidence, linked to it, by its own deadline: a duty satisfied
only by accepted evidence linked to that event, pending while such evidence waits for review,
open until the deadline and overdue after it. Replays leave out events recorded later. A
substantial modification makes evidence of requirements with renew_on_change stale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.factories import profile
from tests.web.queries import counted
from tracker import accounts, completeness, register
from tracker.completeness.loader import load_snapshot
from tracker.models import AISystem, Evidence, EvidenceReview, EvidenceSystem, Waiver
from tracker.plugin_host import Catalogue
from tracker.requirements import Citation, Jurisdiction, Requirement, compile_rule

BASE = datetime(2026, 3, 2, 10, 0)  # a use on a Monday morning, long past
DAY = BASE.date()
CITE = Citation("Test Act", "Art 5", "https://law.example/act", "V")


def requirement(rid: str, kinds: tuple[str, ...], **fields) -> Requirement:
    return Requirement(rid, fields.pop("title", rid), CITE, kinds, **fields)


REQUIREMENTS = [
    requirement(
        "test.use_authorisation",
        ("authorisation",),
        title="Authorisation of each use",
        due_before="deployment",
        deadline_after_event=("use", 48),
    ),
    requirement(
        "test.use_notice",
        ("record",),
        title="Notice of each use",
        deadline_after_event=("use", 168),
    ),
    requirement(
        "test.breach_notification",
        ("incident_report",),
        deadline_after_event=("personal_data_breach", 72),
    ),
    requirement(
        "test.breach_report",
        ("incident_report",),
        deadline_after_event=("personal_data_breach", 720),
    ),
    requirement(
        "test.later_rule",
        ("record",),
        in_force_from=DAY + timedelta(days=3),
        deadline_after_event=("use", 24),
    ),
    requirement("test.dpia", ("impact_assessment",), renew_on_change=("purpose",)),
    requirement("test.conformity", ("audit",), renew_on_change=("substantial_modification",)),
    requirement("test.policy", ("policy",)),
]


def make_catalogue(*requirements: Requirement) -> Catalogue:
    catalogue = Catalogue(
        jurisdictions={"test": Jurisdiction("test", "Test Act")},
        requirements={r.id: r for r in requirements},
    )
    catalogue.rules = {r.id: compile_rule(r.applies_when) for r in requirements}
    return catalogue


@pytest.fixture
def catalogue() -> Catalogue:
    return make_catalogue(*REQUIREMENTS)


@pytest.fixture
def dpo(migrated):
    return accounts.create_user("dpo", "dpo", "test")


@pytest.fixture
def system(catalogue, migrated) -> AISystem:
    created = register.create_system(
        profile(jurisdictions=["test"], lifecycle_stage="deployment"), "test", catalogue
    )
    # Registered before anything happened to it, so that every replay below sees it.
    AISystem.update(created_at=BASE - timedelta(days=30)).where(AISystem.id == created.id).execute()
    return AISystem.get_by_id(created.id)


def record(system, catalogue, at: datetime, kind: str = "use", recorded: datetime | None = None):
    """An event, recorded an hour after it happened unless said otherwise."""
    return register.record_event(
        system,
        kind,
        at,
        f"{kind} at {at:%H:%M}",
        None,
        "test",
        catalogue,
        now=recorded or at + timedelta(hours=1),
    )


def evidence(
    system, dpo, requirement_ids, kind, *, event=None, at=BASE, decision="accepted", issued_on=None
):
    """Evidence uploaded at ``at`` for the system (and the event), decided an hour later."""
    item = Evidence.create(
        lineage=0,
        kind=kind,
        title=f"{kind} {at:%Y-%m-%d %H:%M}",
        requirement_ids=list(requirement_ids),
        issued_on=issued_on,
        event=event,
        created_at=at,
    )
    Evidence.update(lineage=item.id).where(Evidence.id == item.id).execute()
    EvidenceSystem.create(evidence=item, system=system)
    if decision:
        EvidenceReview.create(
            evidence=item, decision=decision, reviewer=dpo, decided_at=at + timedelta(hours=1)
        )
    return item


def answer(system, catalogue, day: date):
    return completeness.for_system(system.id, day, catalogue)


def row(result, requirement_id):
    return next(item for item in result.items if item.requirement_id == requirement_id)


def duties(result, requirement_id):
    return {d.event_id: d for d in result.events if d.requirement_id == requirement_id}


def test_each_use_owes_its_own_authorisation_and_evidence_of_another_use_never_counts(
    system, catalogue, dpo
):
    first = record(system, catalogue, BASE)
    second = record(system, catalogue, BASE + timedelta(days=1))
    evidence(system, dpo, ["test.use_authorisation"], "authorisation", event=first)
    # The bug the issue names: one accepted authorisation, linked to no use, covered every use.
    general = evidence(system, dpo, ["test.use_authorisation"], "authorisation")

    result = answer(system, catalogue, DAY + timedelta(days=5))

    by_event = duties(result, "test.use_authorisation")
    assert by_event[first.id].status == "satisfied" and not by_event[first.id].late
    assert [ref.title for ref in by_event[first.id].evidence] == [
        f"authorisation {BASE:%Y-%m-%d %H:%M}"
    ]
    assert by_event[second.id].status == "overdue"
    assert by_event[second.id].deadline == BASE + timedelta(days=1, hours=48)
    authorisation = row(result, "test.use_authorisation")
    assert authorisation.status == "overdue" and authorisation.blocking
    assert authorisation.detail.startswith("2 events 'Use of the system': 1 satisfied, 1 overdue")
    assert [(ref.id, ref.note) for ref in authorisation.evidence] == [
        (general.id, "not linked to an event: it counts for none of them")
    ]
    assert result.ready is False
    assert any(
        reason.startswith("test.use_authorisation (Authorisation of each use) is overdue: 2 events")
        for reason in result.reasons
    )
    assert result.overall.counts["overdue"] == 1
    # Each use also owes its notice, within a week: open on the fifth day.
    assert result.event_counts == {
        "satisfied": 1,
        "pending_review": 0,
        "open": 2,
        "overdue": 1,
        "waived": 0,
    }


def test_a_duty_is_open_until_its_deadline_and_overdue_after_it(system, catalogue):
    use = record(system, catalogue, BASE)
    for offset, expected in ((0, "open"), (1, "open"), (2, "overdue")):
        result = answer(system, catalogue, DAY + timedelta(days=offset))
        assert duties(result, "test.use_authorisation")[use.id].status == expected, offset
    result = answer(system, catalogue, DAY + timedelta(days=1))
    authorisation = row(result, "test.use_authorisation")
    assert authorisation.status == "missing" and authorisation.blocking
    assert authorisation.detail.endswith("next deadline 2026-03-04 10:00 UTC")
    assert result.event_counts == {
        "satisfied": 0,
        "pending_review": 0,
        "open": 2,
        "overdue": 0,
        "waived": 0,
    }


def test_linked_evidence_waiting_for_review_is_pending_and_rejected_evidence_does_not_count(
    system, catalogue, dpo
):
    waiting = record(system, catalogue, BASE)
    refused = record(system, catalogue, BASE + timedelta(hours=2))
    evidence(system, dpo, ["test.use_authorisation"], "authorisation", event=waiting, decision=None)
    evidence(
        system, dpo, ["test.use_authorisation"], "authorisation", event=refused, decision="rejected"
    )
    result = answer(system, catalogue, DAY + timedelta(days=10))
    by_event = duties(result, "test.use_authorisation")
    assert by_event[waiting.id].status == "pending_review"  # the agency acted; the DPO is next
    assert by_event[refused.id].status == "overdue"
    assert by_event[refused.id].detail == "the evidence linked to it was rejected"
    assert row(result, "test.use_authorisation").status == "overdue"


def test_evidence_filed_after_the_deadline_satisfies_the_duty_and_says_it_was_late(
    system, catalogue, dpo
):
    use = record(system, catalogue, BASE)
    evidence(
        system,
        dpo,
        ["test.use_authorisation"],
        "authorisation",
        event=use,
        at=BASE + timedelta(days=4),
    )
    on_time = record(system, catalogue, BASE + timedelta(hours=1))
    evidence(
        system,
        dpo,
        ["test.use_authorisation"],
        "authorisation",
        event=on_time,
        at=BASE + timedelta(days=4),
        issued_on=DAY,  # requested in time, uploaded later
    )
    by_event = duties(answer(system, catalogue, DAY + timedelta(days=5)), "test.use_authorisation")
    assert (by_event[use.id].status, by_event[use.id].late) == ("satisfied", True)
    assert by_event[use.id].detail == "filed after the deadline"
    assert (by_event[on_time.id].status, by_event[on_time.id].late) == ("satisfied", False)


def test_a_replay_leaves_out_events_recorded_or_happening_after_the_date(system, catalogue):
    late_entry = record(system, catalogue, BASE, recorded=BASE + timedelta(days=10))
    record(system, catalogue, BASE + timedelta(days=20))
    before = answer(system, catalogue, DAY + timedelta(days=5))
    assert before.events == []
    assert row(before, "test.use_authorisation").status == "not_triggered"
    after = answer(system, catalogue, DAY + timedelta(days=10))
    assert [(d.event_id, d.status) for d in duties(after, "test.use_authorisation").values()] == [
        (late_entry.id, "overdue")
    ]
    # Both uses owe an authorisation and a notice; the second also the rule in force by then.
    assert len(answer(system, catalogue, DAY + timedelta(days=20)).events) == 5


def test_nothing_is_owed_for_an_event_before_the_requirement_applied(system, catalogue):
    record(system, catalogue, BASE)
    later = record(system, catalogue, BASE + timedelta(days=4))
    result = answer(system, catalogue, DAY + timedelta(days=4))
    assert list(duties(result, "test.later_rule")) == [later.id]
    before = answer(system, catalogue, DAY + timedelta(days=2))
    assert row(before, "test.later_rule").status == "not_in_force"
    assert duties(before, "test.later_rule") == {}


def test_one_event_kind_owes_several_duties_with_their_own_deadlines(system, catalogue, dpo):
    breach = record(system, catalogue, BASE, kind="personal_data_breach")
    evidence(system, dpo, ["test.breach_notification"], "incident_report", event=breach)
    result = answer(system, catalogue, DAY + timedelta(days=5))
    notification = duties(result, "test.breach_notification")[breach.id]
    report = duties(result, "test.breach_report")[breach.id]
    assert (notification.status, notification.deadline) == ("satisfied", BASE + timedelta(hours=72))
    assert (report.status, report.deadline) == ("open", BASE + timedelta(days=30))
    # A breach owes nothing that is counted from a use.
    assert duties(result, "test.use_authorisation") == {}
    overdue = answer(system, catalogue, DAY + timedelta(days=31))
    assert duties(overdue, "test.breach_report")[breach.id].status == "overdue"
    assert row(overdue, "test.breach_report").status == "overdue"
    assert row(overdue, "test.breach_notification").status == "satisfied"


def test_a_waiver_waives_the_unmet_duties_and_leaves_the_met_ones(system, catalogue, dpo):
    met = record(system, catalogue, BASE)
    unmet = record(system, catalogue, BASE + timedelta(hours=3))
    evidence(system, dpo, ["test.use_authorisation"], "authorisation", event=met)
    Waiver.create(
        system=system,
        requirement_id="test.use_authorisation",
        justification="Covered by the court's standing order.",
        requested_by=dpo,
        expires_on=DAY + timedelta(days=60),
        state="approved",
        decided_by=dpo,
        decided_at=BASE,
    )
    result = answer(system, catalogue, DAY + timedelta(days=5))
    by_event = duties(result, "test.use_authorisation")
    assert by_event[met.id].status == "satisfied"
    assert by_event[unmet.id].status == "waived" and by_event[unmet.id].waiver_id
    authorisation = row(result, "test.use_authorisation")
    assert authorisation.status == "waived" and not authorisation.blocking


def test_with_no_event_nothing_is_owed_and_nothing_is_counted(system, catalogue, dpo):
    evidence(system, dpo, ["test.policy"], "policy")
    result = answer(system, catalogue, DAY)
    assert row(result, "test.use_authorisation").status == "not_triggered"
    assert row(result, "test.use_authorisation").detail == (
        "owed after each event 'Use of the system'; none is recorded"
    )
    assert not row(result, "test.use_authorisation").blocking
    # Four requirements are counted from events; of the four others, one is met.
    assert (result.overall.applicable, result.overall.met) == (3, 1)
    assert result.overall.counts["not_triggered"] == 4


@pytest.mark.parametrize("offset", [0, 1, 2, 5, 40])
def test_portfolio_summaries_equal_the_detailed_answers_with_events(system, catalogue, dpo, offset):
    other = register.create_system(
        profile(name="Second system", jurisdictions=["test"], lifecycle_stage="testing"),
        "test",
        catalogue,
    )
    AISystem.update(created_at=BASE - timedelta(days=30)).where(AISystem.id == other.id).execute()
    first = record(system, catalogue, BASE)
    record(system, catalogue, BASE + timedelta(days=1))
    record(other, catalogue, BASE + timedelta(hours=5), kind="personal_data_breach")
    evidence(system, dpo, ["test.use_authorisation"], "authorisation", event=first)
    evidence(system, dpo, ["test.use_authorisation"], "authorisation")
    day = DAY + timedelta(days=offset)
    detailed = completeness.for_portfolio(day, catalogue, detail=True)
    summaries = completeness.for_portfolio(day, catalogue, detail=False)
    for full, summary in zip(detailed, summaries, strict=True):
        assert summary.overall.counts == full.overall.counts
        assert summary.event_counts == full.event_counts
        assert (summary.ready, summary.reasons) == (full.ready, full.reasons)
        assert summary.events == []
    # The first deadlines left unmet pass on the third day.
    assert any(r.event_counts["overdue"] for r in detailed) == (offset >= 5)


def test_a_substantial_modification_makes_renew_on_change_evidence_stale(system, catalogue, dpo):
    evidence(system, dpo, ["test.dpia"], "impact_assessment", issued_on=DAY)
    evidence(system, dpo, ["test.conformity"], "audit", issued_on=DAY)
    evidence(system, dpo, ["test.policy"], "policy", issued_on=DAY)
    modified = BASE + timedelta(days=10)
    record(system, catalogue, modified, kind="substantial_modification")

    before = answer(system, catalogue, DAY + timedelta(days=5))
    assert {rid: row(before, rid).status for rid in ("test.dpia", "test.conformity")} == {
        "test.dpia": "satisfied",
        "test.conformity": "satisfied",
    }
    after = answer(system, catalogue, DAY + timedelta(days=12))
    for rid in ("test.dpia", "test.conformity"):
        item = row(after, rid)
        assert item.status == "expired", rid
        assert (
            "a substantial modification was put into service" in item.evidence[0].note
            and "2026-03-12" in item.evidence[0].note
        )
    assert row(after, "test.policy").status == "satisfied"  # it renews on nothing
    evidence(
        system,
        dpo,
        ["test.dpia"],
        "impact_assessment",
        at=modified + timedelta(days=1),
        issued_on=DAY + timedelta(days=11),
    )
    assert (
        row(answer(system, catalogue, DAY + timedelta(days=12)), "test.dpia").status == "satisfied"
    )


def test_the_loader_reads_events_and_their_evidence_in_a_fixed_number_of_queries(
    system, catalogue, dpo, migrated
):
    def queries_for_snapshot() -> int:
        with counted(migrated) as sent:
            snapshot = load_snapshot(DAY + timedelta(days=40), catalogue)
        return len(sent), snapshot

    use = record(system, catalogue, BASE)
    evidence(system, dpo, ["test.use_authorisation"], "authorisation", event=use)
    # No requirement here counts from a serious incident: such an event is not even read.
    record(system, catalogue, BASE, kind="serious_incident")
    few, snapshot = queries_for_snapshot()
    assert [e.id for e in snapshot.event_evidence[use.id]] and len(snapshot.events[system.id]) == 1
    for hour in range(1, 30):
        more = record(system, catalogue, BASE + timedelta(hours=hour))
        evidence(system, dpo, ["test.use_authorisation"], "authorisation", event=more)
    many, snapshot = queries_for_snapshot()
    assert len(snapshot.events[system.id]) == 30
    assert many == few


def test_an_event_after_retirement_or_in_the_future_or_of_an_unknown_kind_is_refused(
    system, catalogue
):
    from tracker.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as unknown:
        record(system, catalogue, BASE, kind="data_breach")
    assert unknown.value.errors["kind"][0].startswith(
        "'data_breach' is not a known event kind (did you mean 'personal_data_breach'?)"
    )
    with pytest.raises(ValidationFailed) as future:
        record(system, catalogue, BASE, recorded=BASE - timedelta(hours=1))
    assert future.value.errors["occurred_at"][0].startswith("Must not be in the future")
    register.retire_system(system, "Replaced by a new system.", "test")
    retired = AISystem.get_by_id(system.id)
    with pytest.raises(ValidationFailed) as late:
        record(retired, catalogue, retired.retired_at + timedelta(hours=1))
    assert late.value.errors["occurred_at"][0].startswith("Must be before the system was retired")
    record(retired, catalogue, BASE)  # what happened while it ran can still be recorded
