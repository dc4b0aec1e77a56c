"""tracker.serving.turns: requests take turns, first come first served, and step out to wait."""

from __future__ import annotations

import threading
import time

import pytest

from tracker.serving.turns import Gate

WAIT = 5  # seconds: a bound on hanging, not a timing being measured


class Visitor:
    """A thread that takes a turn at the gate and stays in until told to leave."""

    def __init__(self, gate: Gate, name: str, log: list[str]) -> None:
        self.inside = threading.Event()
        self.leave = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(gate, name, log), daemon=True)

    def _run(self, gate: Gate, name: str, log: list[str]) -> None:
        with gate.turn():
            log.append(name)
            self.inside.set()
            assert self.leave.wait(WAIT)

    def start(self) -> Visitor:
        self.thread.start()
        return self

    def done(self) -> None:
        self.leave.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


def waiting(gate: Gate, count: int) -> None:
    """Until ``count`` threads wait at the gate."""
    deadline = time.monotonic() + WAIT
    while len(gate._waiting) != count:
        assert time.monotonic() < deadline, f"{len(gate._waiting)} waiting, not {count}"
        time.sleep(0.001)


def test_one_at_a_time_in_the_order_they_came():
    gate, log = Gate(capacity=1, long_after=60), []
    first = Visitor(gate, "first", log).start()
    assert first.inside.wait(WAIT)
    later = []
    for n, name in enumerate(("second", "third", "fourth"), start=1):
        later.append(Visitor(gate, name, log).start())
        waiting(gate, n)  # each queues behind the ones before it
    assert log == ["first"]
    first.done()
    for visitor in later:
        assert visitor.inside.wait(WAIT)
        assert not any(v.inside.is_set() for v in later[later.index(visitor) + 1 :])
        visitor.done()
    assert log == ["first", "second", "third", "fourth"]


def test_a_capacity_of_two_lets_two_in():
    gate, log = Gate(capacity=2, long_after=60), []
    a, b = Visitor(gate, "a", log).start(), Visitor(gate, "b", log).start()
    assert a.inside.wait(WAIT) and b.inside.wait(WAIT)
    c = Visitor(gate, "c", log).start()
    waiting(gate, 1)
    b.done()
    assert c.inside.wait(WAIT)
    a.done()
    c.done()


def test_stepping_out_lets_the_next_in_and_comes_back_before_later_arrivals():
    gate, log = Gate(capacity=1, long_after=60), []
    out, back = threading.Event(), threading.Event()

    def slow_client() -> None:
        with gate.turn():
            log.append("uploader in")
            with gate.stepped_out():
                out.set()
                assert back.wait(WAIT)  # as if reading a body the client is slow to send
            log.append("uploader back")

    uploader = threading.Thread(target=slow_client, daemon=True)
    uploader.start()
    assert out.wait(WAIT)
    quick = Visitor(gate, "quick", log).start()
    assert quick.inside.wait(WAIT)  # its turn while the uploader waits on its client
    back.set()
    waiting(gate, 1)  # the uploader, at the front
    late = Visitor(gate, "late", log).start()
    waiting(gate, 2)
    quick.done()
    uploader.join(WAIT)
    assert late.inside.wait(WAIT)
    late.done()
    assert log == ["uploader in", "quick", "uploader back", "late"]


def test_stepping_out_outside_a_turn_does_nothing():
    gate = Gate(capacity=1)
    with gate.stepped_out():
        assert not gate.inside()
    with gate.turn():
        assert gate.inside()
        with gate.stepped_out():
            assert not gate.inside()
        assert gate.inside()
    assert not gate.inside() and gate._inside == {}


def test_a_long_request_stops_holding_the_others_up():
    gate, log = Gate(capacity=1, long_after=0.2), []
    slow = Visitor(gate, "slow", log).start()
    assert slow.inside.wait(WAIT)
    started = time.monotonic()
    quick = Visitor(gate, "quick", log).start()
    assert quick.inside.wait(WAIT)  # while "slow" is still inside
    assert time.monotonic() - started >= 0.15  # it waited its turn first
    quick.done()
    slow.done()
    assert log == ["slow", "quick"]


def test_a_failing_request_ends_its_turn():
    gate = Gate(capacity=1, long_after=60)
    with pytest.raises(RuntimeError), gate.turn():
        raise RuntimeError("the view failed")
    assert gate._inside == {}
    with gate.turn():  # not stuck
        pass


def test_a_gate_needs_room_for_one():
    with pytest.raises(ValueError):
        Gate(capacity=0)


def test_a_turn_taken_inside_a_turn_is_part_of_it():
    gate = Gate(capacity=1, long_after=60)
    with gate.turn():
        with gate.turn():  # e.g. a handler that takes a turn around a helper that takes one
            assert gate.inside()
        assert gate.inside()  # still in the outer turn
    assert gate._inside == {} and not gate._waiting
