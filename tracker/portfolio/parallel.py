"""A large recompute spread over the machine's cores: forked processes, each with a connection
of its own.

The completeness engine is plain Python: one process uses one core, and a full recompute of a
national agency (20,000 systems) is most of its time reading, evaluating and serialising. Here a
task (a chunk of systems) runs in one of a few worker processes forked from this one, so that
they start with everything this process has already built (the catalogue, its compiled rules),
which cannot be pickled; only the task's argument (a list of ids) and its result (a count) cross
between processes. Each worker writes its own rows in its own transactions: SQLite's writers
queue on its IMMEDIATE lock (WAL lets the others keep reading meanwhile), PostgreSQL's do not
meet at all (each row is written by one worker).

A worker never touches the connection it inherited (it is this process's socket or file: closing
it would end this process's session), and opens its own.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import util

from tracker import db

Task = Callable[[list[int]], int]

# Below this many systems a recompute runs in this process: forking and connecting cost a few
# tens of milliseconds a worker, and only a recompute of thousands of systems gains from more.
FROM = 6000
# A worker's share: small enough that the workers finish together (the last chunk runs alone),
# large enough that each chunk's queries (the agency-wide items, read again for every chunk)
# stay a small part of its time.
CHUNK = 1000

_task: Task | None = None  # what the workers run: set just before they are forked
_inherited: list[object] = []  # a worker's copy of this process's connection: never used


def workers_for(systems: int) -> int:
    """How many processes should recompute ``systems`` systems: 1 (this one) unless there are
    many, workers are :func:`possible`, and this process may run on more than one core."""
    return cores() if systems >= FROM and possible() else 1


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def possible() -> bool:
    """Whether workers could do this process's work now.

    Only from the main thread: another thread (a request's, a background refresh's) shares
    its process with threads that may hold locks a forked child would inherit held. They read
    and write through connections of their own, so not while this process is in a transaction
    (they would not see its writes, and on SQLite would wait for its lock), nor on an
    in-memory SQLite database (not shared)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    database = db.database.obj
    if database is None or db.database.in_transaction():
        return False
    if not db.is_postgres():
        if database.database in ("", ":memory:") or "mode=memory" in str(database.database):
            return False
        connection = None if database.is_closed() else database.connection()
        if connection is not None and connection.in_transaction:
            return False
    return True


def run(task: Task, chunks: Iterable[list[int]], workers: int) -> Iterator[int]:
    """Run ``task`` on each chunk in ``workers`` forked processes; yield each result as its
    chunk is done (in the order they finish). An error in a task is raised here, after the
    tasks not yet started are cancelled."""
    global _task
    if _task is not None:
        raise RuntimeError("a parallel recompute is already running in this process")
    _task = task
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start) as pool:
            pending = {pool.submit(_call, chunk) for chunk in chunks}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    finally:
        _task = None


def _start() -> None:
    """A worker's start: its own connection, and the signals a pool's worker expects."""
    # Ctrl-C reaches the whole process group: the parent stops the pool, a worker just ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The pool stops workers with SIGTERM; a server's handler inherited from the parent (which
    # would only ask the parent's loop to stop) must not keep them alive.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    database = db.database.obj
    state = database._state
    if state.conn is not None:
        # Held, never closed: closing it would end the parent's session (a PostgreSQL socket)
        # or drop its SQLite locks. A pooled database forgot its own at the fork (tracker.db).
        _inherited.append(state.conn)
    state.reset()
    database.connect()
    # Closed when the worker ends (it leaves through os._exit: no other clean-up runs).
    util.Finalize(None, _close, exitpriority=10)


def _close() -> None:
    database = db.database.obj
    if not database.is_closed():
        database.close()
    db.release_idle(database)


def _call(chunk: list[int]) -> int:
    return _task(chunk)
