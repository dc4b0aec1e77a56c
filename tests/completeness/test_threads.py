"""One evaluator serves every request thread of a server process: replaying many dates at once
from several threads must neither fail nor mix answers up."""

import sys
import threading
from datetime import timedelta

from tests.completeness.test_engine import (
    TODAY,
    catalogue_of,
    evidence,
    requirement,
    snapshot,
    system,
)
from tracker.completeness.engine import Evaluator


def test_threads_replaying_many_dates_share_one_evaluator():
    dpia = requirement()
    evaluator = Evaluator(catalogue_of(dpia), 30)
    item = evidence(valid_until=TODAY + timedelta(days=40))  # expiring, then expired
    expected = {}
    for offset in range(60):
        day = TODAY + timedelta(days=offset)
        expected[day] = (
            Evaluator(catalogue_of(dpia), 30)
            .evaluate(system(), snapshot(item, as_of=day), detail=False)
            .overall.counts
        )
    problems = []

    def replay(start: int) -> None:
        try:
            for round_ in range(20):
                for offset in range(start, 60, 3):
                    day = TODAY + timedelta(days=(offset + round_) % 60)
                    found = evaluator.evaluate(system(), snapshot(item, as_of=day), detail=False)
                    if found.overall.counts != expected[day]:
                        problems.append((day, found.overall.counts))
        except Exception as error:  # reported, whatever it is
            problems.append(repr(error))

    threads = [threading.Thread(target=replay, args=(n % 3,)) for n in range(8)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch every microsecond: races show at once
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert problems == []
    assert len({counts["expiring_soon"] for counts in expected.values()}) > 1  # dates differ
