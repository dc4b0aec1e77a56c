"""Turns: how many of a server process's requests compute at once, and in what order.

A process's request threads share one interpreter lock, and on the database's own machine they
also share its cores with the database. Requests that compute side by side only take turns at the
lock, and each hand-over (a query sent, its answer back) costs a switch: on 2 cores with 32
clients, four threads answering at once served one system's completeness 682 times a second
with a p95 of 66 ms on PostgreSQL, one at a time 815 with 47 ms. So a worker lets ``capacity``
requests (``TRACKER_SERVER_RUNNING``, 1 by default) compute at a time, in the order they came;
the others wait their turn. Its threads still matter, for the clients:

- a request whose client is slow to send its body or to take its answer *steps out* while it
  waits on the socket (:meth:`Gate.stepped_out`), so a slow link costs a thread, never the turn
  of everyone else, and steps back in ahead of the requests that have not started;
- a request that has computed for ``long_after`` seconds in one go (a large export, a slow
  query) stops counting: the quick ones then run beside it, as they would without turns, and
  never wait long behind it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Seconds of computing in one go after which a request no longer holds the others up: far above
# a page's or an answer's (milliseconds), far below what a person waits for.
LONG_AFTER = 0.25


@dataclass(eq=False)
class _Waiter:
    thread: int
    wake: threading.Lock = field(default_factory=threading.Lock)
    admitted: bool = False

    def __post_init__(self) -> None:
        self.wake.acquire()  # released when the gate lets this thread in


class Gate:
    """At most ``capacity`` threads inside at once, let in first come, first served; a thread
    inside for ``long_after`` seconds or more no longer counts (module docstring)."""

    def __init__(self, capacity: int = 1, long_after: float = LONG_AFTER) -> None:
        if capacity < 1:
            raise ValueError("a gate lets at least one request in")
        self.capacity = capacity
        self.long_after = long_after
        self._lock = threading.Lock()
        self._inside: dict[int, float] = {}  # thread id -> when it came in (monotonic)
        self._waiting: deque[_Waiter] = deque()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this thread's turn, and end it after the block (inside a turn already: the
        block is part of that one)."""
        if self.inside():
            yield
            return
        self._enter(first=False)
        try:
            yield
        finally:
            self._leave()

    @contextmanager
    def stepped_out(self) -> Iterator[None]:
        """Give this thread's turn to the next one during the block (waiting on a client), then
        come back in ahead of everyone who has not had a turn. Outside a turn, does nothing."""
        if threading.get_ident() not in self._inside:
            yield
            return
        self._leave()
        try:
            yield
        finally:
            self._enter(first=True)

    def inside(self) -> bool:
        """Whether this thread is in its turn."""
        return threading.get_ident() in self._inside

    def _counting(self, now: float) -> list[float]:
        """When each thread inside that still counts came in (under the lock)."""
        return [since for since in self._inside.values() if now - since < self.long_after]

    def _counted(self, now: float) -> int:
        return len(self._counting(now))

    def _let_in(self, now: float) -> None:
        """Let waiting threads in, oldest first, while there is room (under the lock)."""
        while self._waiting and self._counted(now) < self.capacity:
            waiter = self._waiting.popleft()
            self._inside[waiter.thread] = now
            waiter.admitted = True
            waiter.wake.release()

    def _until_room(self, now: float) -> float:
        """Seconds until the next counted thread inside stops counting (under the lock)."""
        return max(0.001, min(self._counting(now), default=now) + self.long_after - now)

    def _enter(self, first: bool) -> None:
        me = threading.get_ident()
        with self._lock:
            now = time.monotonic()
            if (first or not self._waiting) and self._counted(now) < self.capacity:
                self._inside[me] = now
                return
            waiter = _Waiter(me)
            if first:
                self._waiting.appendleft(waiter)
            else:
                self._waiting.append(waiter)
            timeout = self._until_room(now)
        while not waiter.wake.acquire(timeout=timeout):
            # Nobody left, but a thread inside may have been in long enough to stop counting.
            with self._lock:
                now = time.monotonic()
                self._let_in(now)
                if waiter.admitted:
                    return
                timeout = self._until_room(now)

    def _leave(self) -> None:
        with self._lock:
            del self._inside[threading.get_ident()]
            self._let_in(time.monotonic())
