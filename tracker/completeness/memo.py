"""Bounded memos for the long-lived evaluator of a server process.

The evaluator remembers, per distinct profile, which requirements apply and why. Within one
portfolio recompute that sharing is the point; across a server's life it is a leak: a worker
answering one system after another on a varied national agency met a new profile almost every
request, and each profile's reasons alone take ~80 KB (400 MiB after 4,000 systems, before
they were bounded). A memo here keeps its newest ``limit`` entries and forgets the oldest
first; what it forgets is worked out again if asked.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

# Distinct profiles whose applicable set a long-lived evaluator keeps; their reasons, much
# larger, are bounded apart (engine.WHYS_KEPT, 64).
PROFILES_KEPT = 2048


def remember(memo: dict[K, V], key: K, value: V, limit: int | None = None) -> V:
    """Store ``value`` under ``key`` in ``memo``, first forgetting the oldest entry when the
    memo holds ``limit`` (default :data:`PROFILES_KEPT`) already; returns ``value``. Safe from
    several threads: two may forget the same entry, or one more than needed, which only costs a
    recomputation."""
    limit = PROFILES_KEPT if limit is None else limit
    while len(memo) >= limit:
        try:
            memo.pop(next(iter(memo)), None)
        except (StopIteration, RuntimeError):  # emptied, or changed by another thread meanwhile
            break
    memo[key] = value
    return value
