"""tracker.serving.shares: each worker's connections, seen by its siblings."""

from __future__ import annotations

import os

from tracker.serving.shares import ConnectionShares


def test_each_worker_takes_a_slot_of_its_own_and_frees_it_when_it_ends():
    shares = ConnectionShares(workers=2)
    slots = [shares.claim(pid) for pid in (101, 102, 103, 104)]
    assert sorted(slots) == [0, 1, 2, 3]  # twice the workers: replacements fit
    assert shares.claim(105) is None  # all taken: that worker simply never sheds
    assert shares.claim(102) == slots[1]  # a worker asking again gets its own back
    shares.forget(103)
    assert shares.claim(106) == slots[2]


def test_a_worker_above_an_even_share_rounded_up_sheds():
    shares = ConnectionShares(workers=2)
    busy, quiet = shares.claim(101), shares.claim(102)
    shares.record(busy, 19)
    shares.record(quiet, 13)
    assert shares.over_share(busy) and not shares.over_share(quiet)  # 19 > 16
    shares.record(busy, 17)
    shares.record(quiet, 16)
    assert not shares.over_share(busy)  # 17 is 33 / 2 rounded up: as even as it gets
    shares.record(busy, 18)
    assert shares.over_share(busy)


def test_a_worker_alone_never_sheds_and_ended_workers_do_not_count():
    shares = ConnectionShares(workers=2)
    alone = shares.claim(101)
    shares.record(alone, 50)
    assert not shares.over_share(alone)
    ended = shares.claim(102)
    shares.record(ended, 0)
    assert shares.over_share(alone)
    shares.forget(102)
    assert not shares.over_share(alone)
    assert not shares.over_share(None)  # a worker without a slot


def test_a_forked_worker_writes_where_its_siblings_read():
    shares = ConnectionShares(workers=2)
    parent = shares.claim()
    child = os.fork()
    if child == 0:
        try:
            slot = shares.claim()
            shares.record(slot, 10)
            os._exit(0 if slot != parent else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    shares.record(parent, 40)
    assert shares.over_share(parent)  # it sees the child's 10 (alone, it would never shed)
    shares.forget(child)
    assert not shares.over_share(parent)


def test_a_lock_left_held_by_a_killed_worker_never_hangs_the_server(monkeypatch):
    from tracker.serving import shares as module

    monkeypatch.setattr(module, "LOCK_WAIT", 0.05)
    shares = ConnectionShares(workers=2)
    slot = shares.claim(101)
    shares._lock.acquire()  # as if a worker died in claim(), holding it
    assert shares.claim(102) is None  # that worker goes without a slot
    shares.forget(101)  # the server still frees the dead worker's slot
    assert not shares.over_share(slot)
    assert shares._pids[slot] == 0
