"""Kept answers are exactly the engine's, and an answer is never read once what it was computed
from has changed: after writes of every kind, a system's kept answer is either absent or equal
to a fresh evaluation, and a refresh brings back every one. So is the answer kept for the
system page, in every language, with the operators it counted."""

from __future__ import annotations

import dataclasses
import random
import zlib
from datetime import date, timedelta
from typing import Any

import pytest

from tests.portfolio.writes import Writer, event_due_in_a_minute, read_in_chunks
from tracker import completeness, db, i18n
from tracker.completeness import history
from tracker.db import utcnow
from tracker.models import AISystem, KeptAnswer
from tracker.plugin_host import load_catalogue_for
from tracker.portfolio import answers, recompute


def computed(catalogue, today: date) -> dict[int, bytes]:
    """Each system's answer today, computed afresh as the API computes it."""
    return {
        system_id: answers.answer_json(completeness.for_system(system_id, today, catalogue))
        for (system_id,) in AISystem.select(AISystem.id).order_by(AISystem.id).tuples()
    }


def kept(catalogue, today: date) -> dict[int, bytes]:
    key = answers.answer_key(catalogue, 30)
    found = {
        system_id: answers.kept(system_id, today, key)
        for (system_id,) in AISystem.select(AISystem.id).order_by(AISystem.id).tuples()
    }
    return {system_id: body for system_id, body in found.items() if body is not None}


def readable(value: Any) -> Any:
    """Everything a page reads of an answer: every field, each text in English and in French."""
    if dataclasses.is_dataclass(value):
        return {f.name: readable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: readable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [readable(item) for item in value]
    if isinstance(value, str):
        with i18n.using("fr"):
            return (str.__str__(value), str(value))
    return value


def strings(value: Any) -> list[tuple[str, str]]:
    """Every (English, French) text :func:`readable` gave."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return [value]
    return []


def pages_replayed(catalogue, today: date) -> dict[int, Any]:
    """Each system's answer and operators today as its page replays them when none is kept."""
    found = {}
    for (system_id,) in AISystem.select(AISystem.id).order_by(AISystem.id).tuples():
        timeline = history.load_timeline(system_id, today, today, catalogue)
        result = history.evaluate_timeline(timeline, [today], catalogue, 30, [today])[today]
        found[system_id] = readable((result, history.operators_on(timeline, today)))
    return found


def pages_kept(catalogue, today: date) -> dict[int, Any]:
    key = answers.answer_key(catalogue, 30)
    found = {
        system_id: answers.kept_page(system_id, today, key)
        for (system_id,) in AISystem.select(AISystem.id).order_by(AISystem.id).tuples()
    }
    return {system_id: readable(page) for system_id, page in found.items() if page is not None}


@pytest.mark.parametrize("reading", ["in this process", "chunks of two systems, two workers"])
def test_kept_answers_equal_the_engines_after_random_writes(agency, reading, monkeypatch):
    if reading != "in this process":
        read_in_chunks(monkeypatch)
    catalogue, store, legal, dpo = agency
    today = date.today()
    written = answers.refresh(today, catalogue)
    truth = computed(catalogue, today)
    assert written == len(truth) >= 5
    assert kept(catalogue, today) == truth
    rng = random.Random(20261128)
    writer = Writer(rng, catalogue, store, legal, dpo)
    kinds = list(Writer.KINDS)
    rng.shuffle(kinds)
    pages = pages_replayed(catalogue, today)
    assert pages_kept(catalogue, today) == pages
    texts = {text for page in pages.values() for text in strings(page)}
    assert any(english != french for english, french in texts)  # read in French too
    for kind in kinds:
        what = getattr(writer, kind)()
        truth, pages = computed(catalogue, today), pages_replayed(catalogue, today)
        for system_id, body in kept(catalogue, today).items():
            # Either gone (stale) or still the engine's: a write never leaves a wrong answer.
            assert body == truth[system_id], what
        for system_id, page in pages_kept(catalogue, today).items():
            assert page == pages[system_id], what
        answers.refresh(today, catalogue)
        assert kept(catalogue, today) == truth, what
        assert pages_kept(catalogue, today) == pages, what


def test_a_write_makes_the_answers_of_the_systems_it_touches_stale_and_only_those(agency):
    catalogue, store, legal, dpo = agency
    today = date.today()
    key = answers.answer_key(catalogue, 30)
    writer = Writer(random.Random(7), catalogue, store, legal, dpo)
    for kind in Writer.KINDS:
        answers.refresh(today, catalogue)
        assert answers.stale(today, key) == [], kind
        registered = set(recompute.registered_by(today))
        getattr(writer, kind)()
        stale = set(answers.stale(today, key))
        if kind == "agency_wide":
            assert stale == registered
        else:  # registering one adds one with no answer yet
            assert 0 < len(stale) < len(registered), kind


def test_another_catalogue_lead_time_or_day_reads_no_answer_kept_for_this_one(agency, settings):
    catalogue = agency[0]
    today = date.today()
    answers.refresh(today, catalogue)
    fewer = load_catalogue_for(settings.with_overrides(jurisdictions=("eu-gdpr",)))
    system_id = recompute.registered_by(today)[0]
    assert answers.kept(system_id, today, answers.answer_key(fewer, 30)) is None
    assert answers.kept(system_id, today, answers.answer_key(catalogue, 60)) is None
    assert answers.kept(system_id, today, answers.answer_key(catalogue, 30)) is not None
    yesterday = today - timedelta(days=1)
    assert answers.kept(system_id, yesterday, answers.answer_key(catalogue, 30)) is None


def test_an_open_event_deadline_later_today_makes_the_answer_change_by_itself(agency):
    catalogue, _store, legal, _dpo = agency
    today = date.today()
    system, now, end_of_day = event_due_in_a_minute(catalogue, legal)
    system_id = system.id
    answers.refresh(today, catalogue)
    row = KeptAnswer.get_by_id(system_id)
    assert row.changes_at is not None and now < row.changes_at <= end_of_day
    key = answers.answer_key(catalogue, 30)
    assert answers.kept(system_id, today, key) is not None
    # Once the deadline has passed the answer is stale: the duty is overdue now.
    KeptAnswer.update(changes_at=utcnow() - timedelta(seconds=1)).where(
        KeptAnswer.system_id == system_id
    ).execute()
    assert answers.kept(system_id, today, key) is None
    assert system_id in answers.stale(today, key)


def test_only_one_day_is_kept_compressed_and_everything_recomputes_all(agency, monkeypatch):
    catalogue = agency[0]
    monkeypatch.setattr(answers, "AT_ONCE", 2)  # a large refresh, for the statistics
    today = date.today()
    first = answers.refresh(today, catalogue)
    assert answers.refresh(today, catalogue) == 0
    assert answers.refresh(today, catalogue, everything=True) == first
    tomorrow = today + timedelta(days=1)
    assert answers.refresh(tomorrow, catalogue) == len(recompute.registered_by(tomorrow))
    days = {day for (day,) in KeptAnswer.select(KeptAnswer.day).distinct().tuples()}
    assert {d if isinstance(d, date) else date.fromisoformat(d) for d in days} == {tomorrow}
    row = KeptAnswer.select().first()
    body = zlib.decompress(row.body)
    assert body.startswith(b'{"as_of":') and body.endswith(b"}\n")
    assert len(row.body) * 3 < len(body)
    if db.is_postgres():
        (estimated,) = db.database.execute_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'kept_answer'::regclass"
        ).fetchone()
        assert estimated == KeptAnswer.select().count() == first


def test_answers_kept_in_another_layout_are_stale_never_sent(agency, monkeypatch):
    catalogue = agency[0]
    today = date.today()
    assert answers.refresh(today, catalogue) > 0
    system_id = recompute.registered_by(today)[0]
    assert answers.kept(system_id, today, answers.answer_key(catalogue, 30)) is not None
    monkeypatch.setattr(answers, "FORMAT", answers.FORMAT + 1)
    catalogue.derived.pop(("answer-key", 30))
    key = answers.answer_key(catalogue, 30)
    assert answers.kept(system_id, today, key) is None
    assert answers.stale(today, key) == recompute.registered_by(today)
