"""Shares: how many connections each server worker holds, so that none holds more than its share.

Each worker listens on a socket of its own and the kernel spreads new connections over them by a
hash of their addresses (:mod:`tracker.serving.server`). A client keeps its connection alive (a
browser, a load tool, a proxy's pool of upstream connections), so an unlucky spread lasts: with
32 clients on 2 workers, 19 on one and 13 on the other is common, and the 19 then wait half as
long again for every answer as the 13 (one system's completeness on PostgreSQL: p95 51 ms,
against 43 when the spread was even). So each worker writes its number of open connections in
memory its siblings share; a worker holding more than an even share (rounded up) answers its
next request with ``Connection: close``. The client connects again, and the kernel spreads that
connection anew: the workers' numbers meet within a few requests.

The memory is made by the server before it forks its workers; a worker takes a free slot when it
starts, and the server frees a worker's slot when it ends (however it ends).
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os

LOCK_WAIT = 1.0  # seconds; the lock is only ever held for a loop over a few slots


class ConnectionShares:
    """Each worker's open connections, in memory shared by the server's processes."""

    def __init__(self, workers: int) -> None:
        # Twice the workers: a replacement may start before the server has seen its
        # predecessor end.
        self.slots = 2 * max(1, workers)
        self._pids = multiprocessing.RawArray(ctypes.c_long, self.slots)
        self._connections = multiprocessing.RawArray(ctypes.c_long, self.slots)
        self._lock = multiprocessing.Lock()

    def claim(self, pid: int | None = None) -> int | None:
        """A slot for the worker ``pid`` (default: this process); None when all are taken."""
        pid = os.getpid() if pid is None else pid
        if not self._lock.acquire(timeout=LOCK_WAIT):
            return None  # a sibling died holding it: this worker simply never sheds
        try:
            for slot in range(self.slots):
                if self._pids[slot] in (0, pid):
                    self._pids[slot] = pid
                    self._connections[slot] = 0
                    return slot
        finally:
            self._lock.release()
        return None

    def forget(self, pid: int) -> None:
        """Free the slot of a worker that has ended.

        A worker killed while it held the lock (claiming its slot) never gives it back: the
        server then frees the slot without it rather than wait for ever."""
        locked = self._lock.acquire(timeout=LOCK_WAIT)
        try:
            for slot in range(self.slots):
                if self._pids[slot] == pid:
                    self._pids[slot] = 0
                    self._connections[slot] = 0
        finally:
            if locked:
                self._lock.release()

    def record(self, slot: int | None, connections: int) -> None:
        """The worker in ``slot`` now holds ``connections`` (one word: no lock needed)."""
        if slot is not None:
            self._connections[slot] = connections

    def over_share(self, slot: int | None) -> bool:
        """Whether the worker in ``slot`` holds more connections than an even share, rounded up."""
        if slot is None:
            return False
        counts = [self._connections[n] for n in range(self.slots) if self._pids[n]]
        if len(counts) < 2:
            return False
        return self._connections[slot] > math.ceil(sum(counts) / len(counts))
