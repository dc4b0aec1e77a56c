"""``tracker events add|list|kinds``: record events of a system and see what each one owes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import profile
from tracker import accounts, register
from tracker.models import AISystem, SystemEvent
from tracker.plugin_host import load_catalogue

AUTHORISATION = "eu-ai-act.rt_rbi_authorisation"  # within 24 hours of each use, in force
ESCAPES = "evil\x1b[2J\x07name"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def live(migrated) -> AISystem:
    accounts.create_user("legal-user", "legal", "test")
    body = profile(
        name="Live facial recognition",
        biometric_identification="real_time",
        jurisdictions=["eu-ai-act"],
    )
    system = register.create_system(body, "test", load_catalogue())
    AISystem.update(created_at=datetime(2025, 12, 1)).where(AISystem.id == system.id).execute()
    return AISystem.get_by_id(system.id)


def moment(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%d %H:%M")


def test_add_records_the_event_and_shows_the_duties_it_starts(runner, live):
    at = moment(30)
    result = runner.tracker(
        "events", "add", "Live facial recognition", "--kind", "use", "--at", at,
        "--description", "Stadium search", "--as", "legal-user",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    event = SystemEvent.get()
    assert (event.kind, event.description, event.recorded_by.username) == (
        "use",
        "Stadium search",
        "legal-user",
    )
    assert event.occurred_at.strftime("%Y-%m-%d %H:%M") == at
    lines = result.output.splitlines()
    assert lines[0] == (
        f"event {event.id} recorded: Use of the system of Live facial recognition "
        f"(system {live.id}) at {at} UTC"
    )
    deadline = (event.occurred_at + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
    assert (
        f"  owes {AUTHORISATION} (Prior judicial or independent authorisation of each use) "
        f"by {deadline} UTC: overdue"
    ) in lines


def test_an_offset_is_converted_to_utc(runner, live):
    result = runner.tracker(
        "events", "add", str(live.id), "--kind", "personal_data_breach",
        "--at", "2026-01-05T10:30+01:00", "--as", "legal-user",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert SystemEvent.get().occurred_at == datetime(2026, 1, 5, 9, 30)


def test_list_shows_each_event_with_its_duties_and_replays_a_date(runner, live):
    catalogue = load_catalogue()
    old = datetime(2026, 1, 5, 9, 30)
    register.record_event(live, "use", old, "First search", None, "test", catalogue, now=old)
    register.record_event(
        live,
        "use",
        old + timedelta(days=1),
        ESCAPES,
        None,
        "test",
        catalogue,
        now=old + timedelta(days=3),  # recorded two days late
    )
    today = runner.tracker("events", "list", str(live.id))
    assert today.exit_code == 0, today.output
    assert not CONTROL.search(today.output)
    lines = today.output.splitlines()
    assert lines[0].endswith("use                        evil\\x1b[2J\\x07name")
    assert lines[1].split() == [AUTHORISATION, "overdue", "deadline", "2026-01-07", "09:30", "UTC"]
    assert any("First search" in line for line in lines)
    replay = runner.tracker("events", "list", str(live.id), "--as-of", "2026-01-05")
    assert replay.exit_code == 0, replay.output
    assert "First search" in replay.output and "evil" not in replay.output  # recorded later
    assert f"{AUTHORISATION:<44} open" in replay.output  # its deadline had not passed
    before = runner.tracker("events", "list", str(live.id), "--as-of", "2026-01-01")
    assert before.output.strip() == "no events recorded for Live facial recognition by 2026-01-01"


def test_kinds_lists_the_core_kinds_with_what_their_time_means(runner, migrated):
    result = runner.tracker("events", "kinds")
    assert result.exit_code == 0, result.output
    assert (
        "personal_data_breach         Personal data breach (time recorded: when the agency "
        "became aware of the breach)"
    ) in result.output.splitlines()
    for kind in (
        "use",
        "serious_incident",
        "significant_cyber_incident",
        "substantial_modification",
    ):
        assert any(line.startswith(kind) for line in result.output.splitlines()), kind


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        (
            ["--kind", "data_breach", "--at", "2026-01-05 10:00"],
            1,
            "did you mean 'personal_data_breach'?",
        ),
        (
            ["--kind", "use", "--at", "2026-13-05 10:00"],
            2,
            "is not a moment: month must be in 1..12",
        ),
        (["--kind", "use", "--at", "yesterday"], 2, "is not a moment written YYYY-MM-DD HH:MM"),
        (["--kind", "use", "--at", "1800-01-01 10:00"], 2, "1800-01-01 is before 1900-01-01"),
        (
            ["--kind", "use", "--at", "2999-01-01 10:00"],
            1,
            "occurred_at: Must not be in the future",
        ),
        (["--kind", "use"], 2, "Missing option '--at'"),
    ],
)
def test_bad_input_is_one_plain_line(runner, live, args, status, fragment):
    result = runner.tracker("events", "add", str(live.id), *args, "--as", "legal-user")
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and fragment in last, result.output
    assert SystemEvent.select().count() == 0


def test_an_unknown_system_or_user_is_named(runner, live):
    unknown = runner.tracker("events", "list", "No such system")
    assert unknown.exit_code == 1 and "AI system 'No such system'" in unknown.output
    huge = runner.tracker("events", "list", "99999999999")
    assert huge.exit_code == 2 and "ids are a whole number from 1 to 2147483647" in huge.output
    nobody = runner.tracker(
        "events", "add", str(live.id), "--kind", "use", "--at", moment(1), "--as", "nobody"
    )
    assert nobody.exit_code == 1 and "nobody" in nobody.output
    assert SystemEvent.select().count() == 0


def test_completeness_shows_the_event_duties_to_act_on(runner, live):
    catalogue = load_catalogue()
    old = datetime(2026, 1, 5, 9, 30)
    event = register.record_event(live, "use", old, "Search", None, "test", catalogue, now=old)
    table = runner.tracker("completeness", str(live.id), "--as-of", "2026-01-10")
    assert table.exit_code == 0, table.output
    assert (
        f"  event {event.id} (use, 2026-01-05 09:30 UTC): {AUTHORISATION} OVERDUE, "
        "deadline 2026-01-06 09:30 UTC"
    ) in table.output.splitlines()
    as_json = json.loads(
        runner.tracker(
            "completeness", str(live.id), "--as-of", "2026-01-10", "--format", "json"
        ).output
    )
    duty = next(d for d in as_json["events"] if d["requirement_id"] == AUTHORISATION)
    assert (duty["event_id"], duty["status"], duty["deadline"]) == (
        event.id,
        "overdue",
        "2026-01-06T09:30:00.000000",
    )
    assert as_json["event_counts"]["overdue"] >= 1
    portfolio = runner.tracker("completeness", "--as-of", "2026-01-10").output.splitlines()
    assert portfolio[0].endswith("expired overdue")
