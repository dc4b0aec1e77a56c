"""The daily sweep in chunks of systems, so that its memory does not grow with the agency.

A sweep evaluates every system's completeness in detail, derives the reminder items, plans
them per person and records them. Done for the whole agency at once, the detailed answers alone
take ~170 KB a system (3.4 GB at 20,000 systems). Here each chunk of ``CHUNK`` systems is
evaluated (completeness.load_snapshot restricted to the chunk, by the process's one evaluator,
kept across its chunks, as the portfolio index does), turned into items, planned and recorded,
then dropped; what is kept across chunks is small: the evaluator (its applicable sets and the
reach of the day), the escalation history (one count per item and status), the rows waiting to
be sent (a handful), and the items without a system (agency-wide, reviews waiting).

The outcome is exactly that of ``items.collect`` followed by ``planning.plan`` for the whole
agency: the same items, recipients, keys and escalations, and in each e-mail the same order
(items of a system in the order they were derived: requirements, waivers ending, event duties,
escalations). Only the order of rows between systems in the ledger differs, which nothing reads.

Thousands of systems (:data:`FROM`) are swept by worker processes, one per core, forked as the
portfolio's recompute forks them (tracker.portfolio.parallel), when the sweep keeps nothing: each
worker derives, plans and records the items of whole chunks, with a connection of its own, and
hands back what crosses chunks: the items without a system (agency-wide requirements, found
through any system: the first one found counts, in the chunks' order), the recurring ones among
them (escalated at the end) and what it saw of the rows waiting. This process plans and records
those once every chunk is done, in the chunks' order, so each row is the same as the serial
sweep's, and the rows without a system come in the same order.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from tracker import completeness, db
from tracker.completeness.engine import Evaluator
from tracker.completeness.loader import end_of
from tracker.config import ESCALATION_LOOKBACK_DAYS, Settings
from tracker.models import AISystem, Notification
from tracker.plugin_host import Catalogue
from tracker.portfolio import parallel
from tracker.reminders import ledger
from tracker.reminders.escalation import (
    SENT_TIMES,
    escalation_for,
    is_recurring,
    sent_per_item_and_status,
)
from tracker.reminders.items import (
    People,
    _event_duties,
    _from_item,
    _unique,
    _waivers_ending,
    reviews_waiting,
)
from tracker.reminders.kinds import ReminderItem
from tracker.reminders.planning import Planned, load_preferences, plan, still_due
from tracker.reminders.streaming import stream

CHUNK = 500  # systems evaluated at once: ~85 MB of detailed answers
TAIL = 2000  # items without a system planned at once (reviews waiting go to every DPO)
SEP = "\x1f"
# From this many systems, a sweep that keeps nothing runs in worker processes (when possible).
FROM = parallel.FROM
# A worker's chunk: half a chunk, so that the workers together (each starting from a copy of
# this process, the escalation history included) hold about what one process sweeping alone
# does. Whatever the chunks, each item and row is the same (each system's items come from its
# chunk alone; those without a system are taken in the systems' order).
WORKER_CHUNK = CHUNK // 2


@dataclass
class SweepResult:
    as_of: date
    items: list[ReminderItem]  # empty unless kept (a preview, the CLI, the tests)
    planned: list[Planned]
    new: int = 0
    closed: int = 0  # unsent notifications closed: no longer due, or replaced by a newer one
    item_count: int = 0
    planned_count: int = 0


def history(as_of: date, escalate_after: int) -> dict[str, int]:
    """Reminders sent per item key and status (the key ``item_key + SEP + status``) in the
    look-back before ``as_of`` (escalations not counted, nor rows a capped digest counted
    without listing), as escalation.sent_counts counts them, for every item (today's are not known
    yet); only counts that can make a round: at least ``escalate_after``, what one recipient
    needs."""
    query = sent_per_item_and_status(as_of, ESCALATION_LOOKBACK_DAYS).having(
        escalate_after <= SENT_TIMES
    )
    # One string a key, not a tuple of two: a 20,000-system agency has ~700,000 of them.
    return {f"{item_key}{SEP}{status}": count for item_key, status, count in stream(query)}


def system_ids(as_of: date) -> list[int]:
    """Systems registered by the end of ``as_of`` (the snapshot leaves the retired out)."""
    query = (
        AISystem.select(AISystem.id)
        .where(AISystem.created_at <= end_of(as_of))
        .order_by(AISystem.id)
    )
    return [system_id for (system_id,) in query.tuples()]


def run(
    as_of: date,
    catalogue: Catalogue,
    settings: Settings,
    record: bool = True,
    keep: bool = True,
    workers: int | None = None,
) -> SweepResult:
    """Derive, plan and (unless previewing) record every reminder of ``as_of``, a chunk of
    systems at a time; then close what was left unsent and is no longer worth sending.
    ``keep``: return the items and planned notifications too (memory grows with the agency).
    ``workers``: how many processes sweep the chunks (default: one per core from :data:`FROM`
    systems, when the sweep keeps nothing and this process may fork them; 1: this one alone)."""
    # No reference cycles are made: the cycle collector would only rescan the chunk's objects
    # again and again (as completeness.for_portfolio, it is paused).
    with completeness.cycle_collector_paused():
        sweep = _Sweep(as_of, catalogue, settings, record, keep)
        ids = system_ids(as_of)
        if workers is None:
            workers = parallel.cores() if len(ids) >= FROM else 1
        if workers > 1 and len(ids) > WORKER_CHUNK and not keep and parallel.possible():
            size = WORKER_CHUNK
            chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
            sweep.in_workers(chunks, min(workers, len(chunks)))
        else:
            for start in range(0, len(ids), CHUNK):
                sweep.chunk(ids[start : start + CHUNK])
        sweep.finish()
    return sweep.result


@dataclass
class _Sweep:
    as_of: date
    catalogue: Catalogue
    settings: Settings
    record: bool
    keep: bool
    result: SweepResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = SweepResult(self.as_of, [], [])
        self.preferences = load_preferences()
        self.sent = history(self.as_of, self.settings.escalate_after)
        # Rows waiting from earlier sweeps, read before this one records anything.
        self.waiting = ledger.waiting_rows(self.as_of) if self.record else []
        self.among = {about for _, _, about in self.waiting}
        self.due: set[tuple[str, str, str]] = set()
        self.current: dict[tuple[str, str, str], str] = {}
        self.shared: set[tuple[str, str]] = set()  # items without a system: the first one counts
        # Recurring items without a system, by key, the last one seen (as escalation.escalations
        # reads them): escalated at the end, when every system has been seen.
        self.unattached: dict[str, ReminderItem] = {}
        self.people = People.load([])

    @functools.cached_property
    def evaluator(self) -> Evaluator:
        """The sweep's evaluator, shared by every chunk a process sweeps (each worker builds its
        own after the fork). Not the catalogue's kept one, whose memos are bounded for a server;
        without reasons (``explain=False``) what this one keeps is small: an applicable set per
        profile (unbounded: it does not live long) and the reach of the day. No baselines: the
        sweep evaluates in detail, and only summaries (Evaluator._summary) use them."""
        return Evaluator(self.catalogue, self.settings.expiring_soon_days)

    def chunk(self, ids: list[int]) -> None:
        self._emit(self._derive(ids))

    def in_workers(self, chunks: list[list[int]], workers: int) -> None:
        """Every chunk swept by ``workers`` forked processes (:meth:`_apart`); then what each
        handed back, in the chunks' order, as :meth:`chunk` would have done it."""
        done: dict[int, _Apart] = {}
        for apart in parallel.run(self._apart, chunks, workers):  # type: ignore[arg-type]
            done[apart.first] = apart
        for chunk in chunks:
            apart = done.pop(chunk[0])
            self.result.new += apart.new
            self.result.item_count += apart.item_count
            self.result.planned_count += apart.planned_count
            self.due |= apart.due
            self.current.update(apart.current)
            for item in apart.unattached:
                self.unattached[item.item_key] = item
            self._emit(apart.unsystemed)

    def _apart(self, ids: list[int]) -> _Apart:
        """A worker's task: the chunk's items of a system derived, planned and recorded as
        :meth:`chunk` does; those without a system handed back (the first of each only, and
        only with someone to tell: the others would be dropped by :meth:`_emit` anyway)."""
        # This process's copy of the sweep's state, afresh for each chunk.
        self.result = SweepResult(self.as_of, [], [])
        self.due, self.current, self.unattached = set(), {}, {}
        attached: list[ReminderItem] = []
        unsystemed: list[ReminderItem] = []
        seen: set[tuple[str, str]] = set()
        for item in self._derive(ids):
            if item.system_id is not None:
                attached.append(item)
                continue
            item.recipients = _unique(item.recipients)
            key = (item.kind, item.item_key)
            if item.recipients and key not in seen:
                seen.add(key)
                unsystemed.append(item)
        self._emit(attached)
        return _Apart(
            ids[0],
            self.result.new,
            self.result.item_count,
            self.result.planned_count,
            self.due,
            self.current,
            list(self.unattached.values()),
            unsystemed,
        )

    def _derive(self, ids: list[int]) -> list[ReminderItem]:
        """The items of a chunk of systems, with the escalations of those of a system; the
        recurring ones without a system are kept for the end (:attr:`unattached`)."""
        snapshot = completeness.load_snapshot(self.as_of, self.catalogue, ids)
        # Detailed, without the reasons each requirement applies: no reminder shows them.
        evaluator = self.evaluator
        results = [
            evaluator.evaluate(system, snapshot, True, explain=False) for system in snapshot.systems
        ]
        del snapshot
        people = self.people = People.load(ids)
        items: list[ReminderItem] = []
        for result in results:
            for status in result.items:
                items.extend(_from_item(result, status, people, self.catalogue, self.settings))
        items += _waivers_ending(results, self.as_of, self.settings, people)
        items += _event_duties(results, people)
        del results
        recurring: dict[str, ReminderItem] = {}  # by key, the last one (as items reads them)
        for item in items:
            if is_recurring(item):
                target = self.unattached if item.system_id is None else recurring
                target[item.item_key] = item
        escalations = [self._escalation(item) for item in recurring.values()]
        return items + [e for e in escalations if e is not None]

    def finish(self) -> None:
        """The items without a system after every chunk, in the order items.derive gives them:
        reviews waiting, then the escalations of agency-wide items, then those of reviews. The
        DPOs' review queue can run to a hundred thousand: it is read twice (once to remind,
        once to escalate), TAIL items at a time, rather than held."""
        for batch in _batches(reviews_waiting(self.as_of, self.settings, self.people)):
            self._emit(batch)
        escalations = (self._escalation(item) for item in self.unattached.values())
        for batch in _batches(e for e in escalations if e is not None):
            self._emit(batch)
        reviews = reviews_waiting(self.as_of, self.settings, self.people)
        escalations = (self._escalation(item) for item in reviews if is_recurring(item))
        for batch in _batches(e for e in escalations if e is not None):
            self._emit(batch)
        if self.record:
            self.result.closed = ledger.close(self.waiting, self.due, self.current)
            # The day's rows were just written, a million at national scale, and delivery
            # claims them next, each message by its ids. With the statistics of the ledger
            # before them (no pending row), PostgreSQL claimed through the index on state
            # instead of the ids: every pending row read for each e-mail, 112 ms each, and
            # delivery ran at 90 e-mails/s however many workers.
            db.refresh_statistics(Notification)

    def _escalation(self, item: ReminderItem) -> ReminderItem | None:
        times = self.sent.get(f"{item.item_key}{SEP}{item.status}", 0)
        return escalation_for(item, times, self.settings, self.people.dpos())

    def _emit(self, items: Iterable[ReminderItem]) -> None:
        """Items with someone to tell, each once; planned, and recorded."""
        kept: list[ReminderItem] = []
        seen: set[tuple[str, str]] = set()
        for item in items:
            item.recipients = _unique(item.recipients)
            if not item.recipients:
                continue
            key = (item.kind, item.item_key)
            once = self.shared if item.system_id is None else seen
            if key in once:
                continue
            once.add(key)
            kept.append(item)
        planned = plan(kept, self.as_of, self.preferences)
        if self.among:
            self.due |= still_due(kept, self.preferences, self.among)
            for p in planned:
                about = (p.recipient.email.casefold(), p.kind, p.item_key)
                if about in self.among:
                    self.current[about] = p.key
        if self.record:
            self.result.new += ledger.record(planned, self.as_of)
        self.result.item_count += len(kept)
        self.result.planned_count += len(planned)
        if self.keep:
            self.result.items += kept
            self.result.planned += planned


@dataclass
class _Apart:
    """What a worker hands back of a chunk (see :meth:`_Sweep.in_workers`)."""

    first: int  # the chunk's first system: which chunk it was
    new: int
    item_count: int
    planned_count: int
    due: set[tuple[str, str, str]]
    current: dict[tuple[str, str, str], str]
    unattached: list[ReminderItem]  # recurring items without a system, the last of each key
    unsystemed: list[ReminderItem]  # items without a system, the first of each, in order


def _batches(items: Iterable[ReminderItem]) -> Iterator[list[ReminderItem]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, TAIL)):
        yield batch
