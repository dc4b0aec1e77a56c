"""A sweep spread over worker processes (tracker.reminders.sweeping, from sweeping.FROM systems)
records exactly the ledger rows one process records, in the same order within each system and
among the rows without a system, and closes the same rows waiting."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import DEPLOYMENT
from tracker.models import Notification
from tracker.plugin_host import load_catalogue
from tracker.reminders import ledger, sweeping
from tracker.reminders.delivery import deliver, sweep
from tracker.reminders.planning import load_preferences

TODAY = date.today()
HERE = str(os.getpid())
# When a row was written: the one column two sweeps never share (the id aside).
COLUMNS = [f.name for f in Notification._meta.sorted_fields if f.name not in ("id", "created_at")]


def recorded(day: date) -> tuple[list[tuple], dict[object, list[tuple]]]:
    """The rows of a sweep day: every one (sorted), and each system's in the ledger's order
    (None: those without a system), as an e-mail lists them."""
    rows = [
        (row.system_id, tuple(getattr(row, name) for name in COLUMNS))
        for row in Notification.select()
        .where(Notification.sweep_date == day)
        .order_by(Notification.id)
    ]
    per_system: dict[object, list[tuple]] = defaultdict(list)
    for system_id, row in rows:
        per_system[system_id].append(row)
    return sorted(map(repr, (row for _, row in rows))), dict(per_system)


def states() -> dict[int, str]:
    return dict(Notification.select(Notification.id, Notification.state).tuples())


def test_workers_record_exactly_the_rows_one_process_records(
    seeded, smtp, monkeypatch, tmp_path: Path
):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    for offset in range(4, 1, -1):  # a few days sent: escalations (agency-wide ones too)
        sweep(TODAY - timedelta(days=offset), catalogue, seeded)
        deliver(ledger.messages(load_preferences()), seeded, final_attempt=True)
    # Yesterday's recorded and left unsent: rows waiting, which today's sweep closes or keeps.
    sweep(TODAY - timedelta(days=1), catalogue, seeded)
    monkeypatch.setattr(sweeping, "CHUNK", 2)
    monkeypatch.setattr(sweeping, "WORKER_CHUNK", 1)  # many chunks, shared by the workers
    monkeypatch.setattr(sweeping, "FROM", 1)
    notes = tmp_path / "writers"
    original = ledger.record

    def noting(planned, sweep_date):  # a worker's memory is its own: each notes its id
        with notes.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return original(planned, sweep_date)

    monkeypatch.setattr(ledger, "record", noting)
    waiting = states()

    alone = sweeping.run(TODAY, catalogue, seeded, keep=False, workers=1)
    assert set(notes.read_text().split()) == {HERE}
    notes.unlink()
    alone_rows, alone_states = recorded(TODAY), states()
    # Back to before the sweep: its rows gone, the rows it closed waiting again.
    Notification.delete().where(Notification.sweep_date == TODAY).execute()
    for row_id, state in waiting.items():
        if alone_states[row_id] != state:
            Notification.update(state=state).where(Notification.id == row_id).execute()
    assert states() == waiting

    shared = sweeping.run(TODAY, catalogue, seeded, keep=False, workers=2)
    writers = set(notes.read_text().split())
    assert HERE in writers and len(writers) > 1  # workers recorded rows, this process too

    assert alone.closed > 0 and alone.new > 0
    assert (shared.new, shared.closed, shared.item_count, shared.planned_count) == (
        alone.new,
        alone.closed,
        alone.item_count,
        alone.planned_count,
    )
    shared_rows, shared_states = recorded(TODAY), states()
    assert shared_rows[0] == alone_rows[0]  # the same rows
    assert shared_rows[1] == alone_rows[1]  # in the same order within each system
    assert None in alone_rows[1] and len(alone_rows[1]) > 2
    assert {i: s for i, s in shared_states.items() if i in waiting} == {
        i: s for i, s in alone_states.items() if i in waiting
    }


def test_a_sweep_that_keeps_its_items_stays_in_this_process(seeded, monkeypatch):
    monkeypatch.setattr(sweeping, "CHUNK", 2)
    monkeypatch.setattr(sweeping, "FROM", 1)

    def forbidden(*args, **kwargs):
        raise AssertionError("no workers for a sweep that keeps its items")

    monkeypatch.setattr(sweeping.parallel, "run", forbidden)
    result = sweeping.run(TODAY, load_catalogue(deployment=DEPLOYMENT), seeded, record=False)
    assert result.items and len(result.planned) == result.planned_count
