"""A sweep builds one evaluator per process and evaluates every chunk with it: a fresh one per
chunk rebuilt every applicable set each time (tracker.reminders.sweeping._Sweep.evaluator)."""

from __future__ import annotations

from datetime import date

from tests.conftest import DEPLOYMENT
from tracker.plugin_host import load_catalogue
from tracker.reminders import sweeping


def test_a_serial_sweep_builds_one_evaluator_for_all_its_chunks(seeded, monkeypatch):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    built = []
    chunks = []

    class Counting(sweeping.Evaluator):
        def __init__(self, *args, **kwargs) -> None:
            built.append(self)
            super().__init__(*args, **kwargs)

    original = sweeping._Sweep.chunk

    def chunk(self, ids):
        chunks.append(ids)
        return original(self, ids)

    monkeypatch.setattr(sweeping, "Evaluator", Counting)
    monkeypatch.setattr(sweeping._Sweep, "chunk", chunk)
    monkeypatch.setattr(sweeping, "CHUNK", 2)
    result = sweeping.run(date.today(), catalogue, seeded, record=False, keep=False, workers=1)
    assert len(chunks) > 2  # several chunks, each evaluated
    assert result.item_count > 0
    assert len(built) == 1
