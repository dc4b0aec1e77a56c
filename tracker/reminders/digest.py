"""A digest's layout: how urgent each item is, the groups its items fall in (agency-wide, then
each system), which items an e-mail lists when it may not list them all, and what it says of
the others.

It works on claimed rows (tracker.reminders.claiming) without their payloads: a claimed row
carries its status, due date, kind and system, enough for every count and the choice of items
listed; only the payloads the e-mail shows are read (:func:`load_shown`). The words of each item,
the templates and the MIME message are tracker.reminders.mail's.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from datetime import date
from urllib.parse import urlencode

from tracker.i18n import N_, gettext, ngettext
from tracker.reminders.claiming import Claimed, load_payloads

# How urgent an item is, most urgent first: the summary line counts these, and each system lists
# its items in this order. Every item falls in exactly one, so the counts add up to the total.
URGENCY = {
    "overdue": N_("overdue"),
    "needed": N_("needed before the next stage"),
    "due_soon": N_("due within 30 days"),
    "to_review": N_("to review"),
    "later": N_("due later"),
}
DUE_SOON_DAYS = 30
# "3 overdue": each bucket counted, in the current language and its plural forms.
COUNTED = {
    "overdue": lambda n: ngettext("%(num)s overdue", "%(num)s overdue", n),
    "needed": lambda n: ngettext(
        "%(num)s needed before the next stage", "%(num)s needed before the next stage", n
    ),
    "due_soon": lambda n: ngettext(
        "%(num)s due within %(days)s days",
        "%(num)s due within %(days)s days",
        n,
        days=DUE_SOON_DAYS,
    ),
    "to_review": lambda n: ngettext("%(num)s to review", "%(num)s to review", n),
    "later": lambda n: ngettext("%(num)s due later", "%(num)s due later", n),
}
# Already late: a deadline passed (an event's duty, lapsed evidence).
LATE_STATUSES = frozenset({"overdue", "expired"})
# Owed before the system may move to its next stage (items._from_item reminds them only while they
# block), or an operator acting without a valid certificate: needed, but not late. The portfolio
# calls a requirement overdue only once the system is past the stage it was due before.
NEEDED_STATUSES = frozenset({"missing", "rejected"})


def urgency(payload: dict, sweep_date: date) -> str:
    """The urgency bucket (a key of ``URGENCY``) of one notification payload on ``sweep_date``."""
    return _urgency(payload.get("status"), payload.get("due"), sweep_date)


def _urgency(status: str | None, due_text: str | None, sweep_date: date) -> str:
    """:func:`urgency` of an item's status and due date (ISO text, or None)."""
    if status == "pending_review":  # a review waiting, or its escalation
        return "to_review"
    due = date.fromisoformat(due_text) if due_text else None
    if status in LATE_STATUSES or (due is not None and due < sweep_date):
        return "overdue"
    if status in NEEDED_STATUSES:
        return "needed"
    if status == "expiring_soon" and due is None:  # an operator's certificate
        return "due_soon"
    if due is not None and (due - sweep_date).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "later"


def summary_line(counts: dict[str, int]) -> str:
    """``"3 overdue, 4 needed before the next stage, 5 due within 30 days, 2 to review"``: the
    non-zero buckets, most urgent first, in the current language."""
    return ", ".join(COUNTED[key](counts[key]) for key in URGENCY if counts.get(key))


class Group:
    """What a digest knows of one group (a system, or agency-wide) from all of its rows."""

    __slots__ = ("counts", "first", "key", "reviews_only")

    def __init__(self, key: object, first: Claimed) -> None:
        self.key = key
        self.first = first  # its first row, whose payload names the group (see load_shown)
        self.counts: Counter[str] = Counter()  # every row's urgency, listed or not
        self.reviews_only = True

    def link(self, base_url: str) -> str:
        if self.key != "agency":
            return f"{base_url}/systems/{self.key}"
        # Nothing but reviews: their queue.
        return f"{base_url}/reviews" if self.reviews_only else f"{base_url}/portfolio"

    def name(self) -> str:
        payload = self.first.payload
        if self.key == "agency":
            return payload.get("system_name") or gettext("Agency-wide")
        return payload.get("system_name") or gettext("System %(id)s", id=self.key)

    def shown(self, base_url: str) -> dict:
        """The group as the templates show it, with no items yet."""
        return {
            "name": self.name(),
            "link": self.link(base_url),
            "agency": self.key == "agency",
            "items": [],
            "summary": summary_line(self.counts),  # every item of the group, listed or not
            "total": self.counts.total(),
        }


def survey(rows: Sequence[Claimed], sweep_date: date) -> tuple[list[str], dict[object, Group]]:
    """Each row's urgency bucket, and the groups (system id, or "agency") with their counts, in
    the order their first rows come. A digest of many rows has few (status, due) pairs: each
    pair's urgency is worked out once. Reads no payload: a claimed row carries its status, due
    date, kind and system (claiming.claim)."""
    known: dict[tuple, str] = {}
    urgencies = []
    groups: dict[object, Group] = {}
    for row in rows:
        pair = (row.status, row.due)
        bucket = known.get(pair)
        if bucket is None:
            bucket = known[pair] = _urgency(row.status, row.due, sweep_date)
        urgencies.append(bucket)
        key = row.system_id or "agency"
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, row)
        group.counts[bucket] += 1
        if group.reviews_only and row.kind != "review_overdue":
            group.reviews_only = False
    return urgencies, groups


def load_shown(rows: Sequence[Claimed], listed: list[int], groups: dict[object, Group]) -> None:
    """Read, in one query, the payloads the e-mail shows: those of the rows it lists, and of
    the first row of each group it names (a group is named after its first row): the groups
    of the listed rows, and, when the rows not listed are all one group's, that group."""
    needed = [rows[index] for index in listed]
    in_groups = Counter(rows[index].system_id or "agency" for index in listed)
    needed += [groups[key].first for key in in_groups]
    if len(listed) < len(rows):
        places = [key for key, group in groups.items() if group.counts.total() > in_groups[key]]
        if len(places) == 1:
            needed.append(groups[places[0]].first)
    load_payloads(needed)


# The last day there is: an item with no due date comes after every dated one of its urgency.
NO_DUE = "9999-12-31"


def listed(rows: Sequence[Claimed], urgencies: list[str], cap: int) -> list[int]:
    """Which rows the e-mail lists (their indexes): all of them up to ``cap``, in the rows'
    order; else the ``cap`` most urgent, most urgent first: by urgency; in one urgency,
    escalations (reminded repeatedly with no change) first, then the earliest due; then as the
    rows come. Only the urgency where the cap falls is searched; the less urgent are skipped."""
    if len(rows) <= cap:
        return list(range(len(rows)))
    by_urgency: dict[str, list[int]] = {key: [] for key in URGENCY}
    for index, bucket in enumerate(urgencies):
        by_urgency[bucket].append(index)

    def key(index: int) -> tuple:
        row = rows[index]
        return (row.kind != "escalation", row.due or NO_DUE, index)

    chosen: list[int] = []
    for bucket in URGENCY:
        room, indexes = cap - len(chosen), by_urgency[bucket]
        if room <= 0:
            break
        if len(indexes) <= room:
            chosen += sorted(indexes, key=key)
        else:
            chosen += heapq.nsmallest(room, indexes, key=key)
    return chosen


# The portfolio's column for each urgency: where the systems with the most of it come first.
PORTFOLIO_SORT = {
    "overdue": "overdue",
    "needed": "missing",
    "due_soon": "expiring",
    "to_review": "pending",
}


def not_listed(
    groups: dict[object, Group],
    counts: Counter[str],
    shown: dict[object, dict],
    base_url: str,
) -> dict:
    """What the templates say of the items a capped digest does not list: how many of each
    urgency, and the one page where they all are (one system's page, the review queue, else
    the portfolio with the systems that have most of the most urgent first)."""
    listed = Counter(item["urgency"] for system in shown.values() for item in system["items"])
    hidden = counts - listed
    places = [
        key
        for key, group in groups.items()
        if group.counts.total() > (len(shown[key]["items"]) if key in shown else 0)
    ]
    reviews = f"{base_url}/reviews"
    if len(places) == 1 and places[0] != "agency":
        group = groups[places[0]]
        where = {"kind": "system", "link": group.link(base_url), "name": group.name()}
    elif set(hidden) == {"to_review"}:
        where = {"kind": "reviews", "link": reviews, "name": ""}
    else:
        first = next(key for key in URGENCY if hidden[key])
        sort = PORTFOLIO_SORT.get(first)
        query = f"?{urlencode({'sort': sort, 'order': 'desc'})}" if sort else ""
        where = {"kind": "portfolio", "link": f"{base_url}/portfolio{query}", "name": ""}
    return {
        "not_listed": [COUNTED[key](hidden[key]) for key in URGENCY if hidden[key]],
        "not_listed_at": where,
        # Reviews among them, and the page above is not their queue: the queue too.
        "reviews_link": reviews if hidden["to_review"] and where["kind"] != "reviews" else "",
    }
