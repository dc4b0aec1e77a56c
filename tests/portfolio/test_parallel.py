"""A recompute spread over worker processes (tracker.portfolio.parallel) writes exactly the rows
one process writes, shows its progress, and stays in this process when workers could not do
its work."""

from __future__ import annotations

import os
import random
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.portfolio.writes import Writer
from tracker import db
from tracker.models import PortfolioRow
from tracker.portfolio import index, parallel

# computed_at is when a row was written: the one column two recomputes never share
COLUMNS = [f.name for f in PortfolioRow._meta.sorted_fields if f.name != "computed_at"]
HERE = str(os.getpid())


def rows(as_of: date) -> dict[int, tuple]:
    query = PortfolioRow.select().where(PortfolioRow.as_of == as_of)
    return {row.system_id: tuple(getattr(row, name) for name in COLUMNS) for row in query}


class Writers:
    """The processes that wrote chunks of rows: a worker's memory is its own, so each notes
    its id in a file."""

    def __init__(self, notes: Path) -> None:
        self.notes = notes

    def pids(self) -> set[str]:
        found = set(self.notes.read_text().split()) if self.notes.exists() else set()
        self.notes.unlink(missing_ok=True)
        return found


@pytest.fixture
def writers(tmp_path, monkeypatch) -> Writers:
    noted = Writers(tmp_path / "writers")
    original = index._write

    def noting(*args):
        with noted.notes.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return original(*args)

    monkeypatch.setattr(index, "_write", noting)
    return noted


@pytest.fixture
def varied(agency):
    """The demo agency after writes of every kind, so that rows differ in every column."""
    catalogue, store, legal, dpo = agency
    writer = Writer(random.Random(20261127), catalogue, store, legal, dpo)
    for kind in Writer.KINDS:
        getattr(writer, kind)()
    return catalogue


def test_workers_write_exactly_the_rows_one_process_writes(varied, writers, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 1)  # many chunks, shared by the workers
    today = date.today()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))

    for as_of in [today, today - timedelta(days=200), today + timedelta(days=45)]:
        done = index.refresh(as_of, varied, 30, workers=1)
        alone = rows(as_of)
        assert writers.pids() == {HERE}
        assert len(alone) == done >= 3
        PortfolioRow.delete().where(PortfolioRow.as_of == as_of).execute()
        seen.clear()
        shown = index.refresh(as_of, varied, 30, progress=progress, workers=2)
        assert shown == done and rows(as_of) == alone
        found = writers.pids()
        assert found and HERE not in found
        # progress after each chunk, as it is done, up to every system
        assert len(seen) == -(-done // parallel.CHUNK) and seen[-1] == (done, done)
        assert [count for count, _ in seen] == sorted({count for count, _ in seen})
        assert {total for _, total in seen} == {done}


def test_workers_replace_rows_another_recompute_wrote(varied, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 1)
    today = date.today()
    index.refresh(today, varied, 30, workers=1)
    before = rows(today)
    PortfolioRow.update(percent=-5.0, summary="{}").execute()  # wrong rows, as if outdated
    index.refresh(today, varied, 30, workers=2)
    assert rows(today) == before


def test_an_error_in_a_worker_is_raised_here_and_the_next_recompute_works(varied, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 1)
    original = index._write

    def failing(*args):
        raise RuntimeError(f"process {os.getpid()} failed")

    monkeypatch.setattr(index, "_write", failing)
    with pytest.raises(RuntimeError, match=r"process \d+ failed") as raised:
        index.refresh(date.today(), varied, 30, workers=2)
    assert f"process {HERE} " not in str(raised.value)  # a worker's error, raised here
    monkeypatch.setattr(index, "_write", original)
    assert index.refresh(date.today(), varied, 30, workers=2) == len(rows(date.today()))


def test_a_large_recompute_uses_every_core_unless_workers_could_not_do_it(
    varied, writers, monkeypatch
):
    monkeypatch.setattr(parallel, "FROM", 5)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    assert parallel.workers_for(4) == 1
    assert parallel.workers_for(5) == 2
    monkeypatch.setattr(parallel, "CHUNK", 1)
    done = index.refresh(date.today(), varied, 30)  # as many workers as cores, by itself
    found = writers.pids()
    assert found and HERE not in found
    # Only the main thread forks (another may share the process with threads holding locks).
    elsewhere: list[int] = []
    thread = threading.Thread(target=lambda: elsewhere.append(parallel.workers_for(5)))
    thread.start()
    thread.join(10)
    assert elsewhere == [1]
    with db.database.atomic():
        # Workers would not see this transaction's writes (and on SQLite would wait for its
        # lock): this process recomputes alone, even when asked for workers.
        assert not parallel.possible() and parallel.workers_for(5) == 1
        assert index.refresh(date.today(), varied, 30, workers=2) == done
    assert writers.pids() == {HERE}
