"""What needs a reminder on a date, and who should get it.

Every item comes from the completeness answer for the same date (each event's
duties included: an event's deadline is reminded exactly as completeness shows
it), or from dated facts beside it (reviews waiting), never from a second set
of rules. A requirement completeness shows as not yet in force or
waived is reminded to nobody, neither for the system nor for any of its
operators, and an operator is reminded only of what completeness shows for
that operator. Items carry a stable key; the reminder *window* (a lead time
reached, a digest period) is what makes a reminder new.

The item and its kinds are in tracker.reminders.kinds; the escalations added at the end, counted
over the reminder ledger, in tracker.reminders.escalation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from tracker import completeness
from tracker.completeness.facts import ItemStatus, SystemCompleteness
from tracker.completeness.loader import end_of
from tracker.config import Settings
from tracker.i18n.text import english
from tracker.models import (
    AISystem,
    Evidence,
    EvidenceReview,
    Operator,
    User,
    Waiver,
)
from tracker.plugin_host import Catalogue
from tracker.reminders.escalation import escalations
from tracker.reminders.kinds import Recipient, ReminderItem
from tracker.requirements import OWNERS
from tracker.vocabulary import LIFECYCLE_STAGES

# Completeness statuses of a requirement that rule out every reminder about it: nothing is owed
# (not yet in force, or waived), whatever its evidence or operators look like.
NOTHING_OWED = frozenset({"not_in_force", "waived"})
# An operator's own status that asks that operator for a certificate. ``pending_review`` is not
# here: the certificate is uploaded and waits for the DPO, whom the review reminders reach.
OPERATOR_TO_ACT = frozenset({"missing", "rejected", "expired", "expiring_soon"})
# Event duties someone must act on (completeness.events): no evidence yet, deadline running or past.
EVENT_TO_ACT = frozenset({"open", "overdue"})


@dataclass
class People:
    """Who can be reached, loaded once per sweep."""

    by_role: dict[str, list[Recipient]] = field(default_factory=dict)
    contacts: dict[int, list[dict]] = field(default_factory=dict)
    operators: dict[int, Recipient] = field(default_factory=dict)
    users: dict[int, Recipient] = field(default_factory=dict)
    _contacts: dict[int, list[Recipient]] = field(default_factory=dict)
    _owners: dict[tuple[str, int], list[Recipient]] = field(default_factory=dict)

    @classmethod
    def load(cls, system_ids: list[int]) -> People:
        people = cls()
        for user_id, username, full_name, email, role in (
            User.select(User.id, User.username, User.full_name, User.email, User.role)
            .where(User.is_active == True)
            .tuples()
        ):
            if email:
                recipient = Recipient(email, full_name or username)
                people.users[user_id] = recipient
                people.by_role.setdefault(role, []).append(recipient)
        for system_id, contacts in (
            AISystem.select(AISystem.id, AISystem.contacts)
            .where(AISystem.id.in_(system_ids))
            .tuples()
        ):
            people.contacts[system_id] = contacts or []
        for operator_id, name, email in (
            Operator.select(Operator.id, Operator.name, Operator.email)
            .where(Operator.system.in_(system_ids))
            .tuples()
        ):
            people.operators[operator_id] = Recipient(email, name)
        return people

    def dpos(self) -> list[Recipient]:
        return self.by_role.get("dpo", [])

    def system_contacts(self, system_id: int) -> list[Recipient]:
        found = self._contacts.get(system_id)
        if found is None:
            found = self._contacts[system_id] = [
                Recipient(c["email"], c.get("name", "")) for c in self.contacts.get(system_id, [])
            ]
        return found

    def owners(self, owner: str, system_id: int) -> list[Recipient]:
        key = (owner, system_id)
        found = self._owners.get(key)
        if found is None:
            found = self._owners[key] = self._resolve_owners(owner, system_id)
        return found

    def _resolve_owners(self, owner: str, system_id: int) -> list[Recipient]:
        """People responsible for an owner role: users with that role (legal, DPO), or the
        system's contacts who hold it, then the system's contacts, then the DPOs."""
        if owner in ("legal", "dpo") and self.by_role.get(owner):
            return self.by_role[owner]
        label = OWNERS.get(owner, owner).casefold()
        holding = [
            Recipient(c["email"], c.get("name", ""))
            for c in self.contacts.get(system_id, [])
            if owner in c.get("responsibilities", ()) or label in c.get("role", "").casefold()
        ]
        return holding or self.system_contacts(system_id) or self.dpos()


def stage_label(stage: str | None) -> str:
    return LIFECYCLE_STAGES.get(stage or "", stage or "").lower()


def lead_bucket(days_left: int, lead_days: tuple[int, ...]) -> int | None:
    """The smallest lead time already reached (60, 30, 7 ...), or None when none is."""
    reached = [lead for lead in lead_days if days_left <= lead]
    return min(reached) if reached else None


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.email.casefold(), recipient)
    return list(seen.values())


def _from_item(
    result: SystemCompleteness,
    item: ItemStatus,
    people: People,
    catalogue: Catalogue,
    settings: Settings,
) -> list[ReminderItem]:
    """The reminders one requirement's completeness status calls for (none when nothing is owed)."""
    if item.status in NOTHING_OWED:
        return []
    requirement = catalogue.requirements[item.requirement_id]
    if requirement.deadline_after_event:
        return []  # owed per event: each event's duty is reminded (_event_duties), not the row
    common = dict(
        system_id=result.system_id,
        system_name=result.name,
        requirement_id=item.requirement_id,
        citation=item.citation,
        title=item.title,
    )
    key = f"{result.system_id}:{item.requirement_id}"
    if item.scope == "agency":  # one agency-wide item, whichever system it was found through
        common.update(system_id=None, system_name="")
        key = f"agency:{item.requirement_id}"
    owners = people.owners(requirement.owner, result.system_id)
    lead_days = requirement.lead_days or settings.lead_days
    out: list[ReminderItem] = []
    if item.scope == "operator" and item.operators:
        # Each operator by their own status; with no operator recorded, the requirement itself
        # is what completeness reports (missing: no operators recorded), reminded below.
        for operator in item.operators:
            if operator.status not in OPERATOR_TO_ACT:
                continue
            recipient = people.operators.get(operator.id)
            recipients = _unique(
                ([recipient] if recipient else []) + people.system_contacts(result.system_id)
            )
            out.append(
                ReminderItem(
                    "operator_certificate",
                    f"{key}:operator:{operator.id}",
                    recipients,
                    status=operator.status,
                    due=None,
                    parts={"title": item.title, "operator": operator.name},
                    **{**common, "title": f"{item.title}: {operator.name}"},
                )
            )
        return out
    if item.status in ("missing", "rejected") and item.blocking:
        out.append(
            ReminderItem(
                item.status,
                key,
                owners,
                status=item.status,
                detail=item.detail,
                parts={"title": item.title, "due_before": item.due_before},
                **{
                    **common,
                    "title": f"{english(item.title)} (due before {stage_label(item.due_before)})",
                },
            )
        )
    elif item.status == "expired":
        out.append(
            ReminderItem("expired", key, owners, status="expired", due=item.valid_until, **common)
        )
    elif item.status in ("satisfied", "expiring_soon") and item.valid_until:
        bucket = lead_bucket((item.valid_until - result.as_of).days, lead_days)
        if bucket is not None:
            out.append(
                ReminderItem(
                    "expiring",
                    key,
                    owners,
                    status=item.status,
                    due=item.valid_until,
                    window=f"lead-{bucket}:{item.valid_until.isoformat()}",
                    **common,
                )
            )
    return out


def _reviews_waiting(as_of: date, settings: Settings, people: People) -> list[ReminderItem]:
    return list(reviews_waiting(as_of, settings, people))


def reviews_waiting(as_of: date, settings: Settings, people: People) -> Iterator[ReminderItem]:
    """Evidence waiting too long for review, one item at a time (the DPOs' queue can run to a
    hundred thousand at national scale), in the order of the evidence ids."""
    cutoff = end_of(as_of - timedelta(days=settings.review_overdue_days))
    reviewed = EvidenceReview.select(EvidenceReview.evidence).where(
        EvidenceReview.decided_at <= end_of(as_of)
    )
    waiting = (
        Evidence.select(Evidence.id, Evidence.title, Evidence.created_at)
        .where(
            Evidence.superseded_at.is_null()
            & (Evidence.created_at <= cutoff)
            & Evidence.id.not_in(reviewed)
        )
        .order_by(Evidence.id)
        .tuples()
        .iterator()
    )
    return (
        ReminderItem(
            "review_overdue",
            f"evidence:{evidence_id}",
            people.dpos(),
            title=title,
            status="pending_review",
            due=created.date() + timedelta(days=settings.review_overdue_days),
            detail=f"uploaded {created.date().isoformat()}",
            evidence_id=evidence_id,
            parts={"title": title, "uploaded": created.date().isoformat()},
        )
        for evidence_id, title, created in waiting
    )


def _waivers_ending(
    results: list[SystemCompleteness], as_of: date, settings: Settings, people: People
) -> list[ReminderItem]:
    """Waivers about to end, for the requirements completeness shows as waived by them (a waiver
    of a requirement that is met, or not in force yet, waives nothing today)."""
    waived = {
        item.waiver_id: result
        for result in results
        for item in result.items
        if item.status == "waived" and item.waiver_id is not None
    }
    if not waived:
        return []
    horizon = as_of + timedelta(days=max(settings.lead_days))
    out = []
    for waiver in Waiver.select().where(
        (Waiver.state == "approved") & (Waiver.expires_on > as_of) & (Waiver.expires_on <= horizon)
    ):
        bucket = lead_bucket((waiver.expires_on - as_of).days, settings.lead_days)
        approver = people.users.get(waiver.decided_by_id)
        if waiver.id not in waived or bucket is None or approver is None:
            continue
        out.append(
            ReminderItem(
                "waiver_expiring",
                f"waiver:{waiver.id}",
                [approver],
                title=f"Waiver of {waiver.requirement_id}",
                status="waived",
                system_id=waiver.system_id,
                system_name=waived[waiver.id].name,
                requirement_id=waiver.requirement_id,
                due=waiver.expires_on,
                window=f"lead-{bucket}",
                waiver_id=waiver.id,
                parts={"waiver_of": waiver.requirement_id},
            )
        )
    return out


def _event_duties(results: list[SystemCompleteness], people: People) -> list[ReminderItem]:
    """The event duties completeness shows open or overdue: each event's own deadline for each
    requirement counted from it, never worked out a second time here."""
    out = []
    for result in results:
        for duty in result.events:
            if duty.status not in EVENT_TO_ACT:
                continue
            overdue = duty.status == "overdue"
            out.append(
                ReminderItem(
                    "event_deadline",
                    f"event:{duty.event_id}:{duty.requirement_id}",
                    _unique(people.owners(duty.owner, result.system_id) + people.dpos()),
                    title=f"{english(duty.title)} after the {duty.kind.replace('_', ' ')} of "
                    f"{duty.occurred_at:%Y-%m-%d %H:%M} UTC",
                    status=duty.status,
                    system_id=result.system_id,
                    system_name=result.name,
                    requirement_id=duty.requirement_id,
                    citation=duty.citation,
                    due=duty.deadline.date(),
                    detail=f"deadline {duty.deadline:%Y-%m-%d %H:%M} UTC",
                    parts={
                        "title": duty.title,
                        "event": duty.kind,
                        "occurred_at": duty.occurred_at.isoformat(),
                        "deadline": duty.deadline.isoformat(),
                    },
                    # Open: once, when the deadline starts; overdue: every digest until it is met.
                    window=None if overdue else "open",
                )
            )
    return out


def collect(as_of: date, catalogue: Catalogue, settings: Settings) -> list[ReminderItem]:
    """Every reminder item on ``as_of``, with its recipients."""
    # Reminders never say why a requirement applies: its reasons are not worked out.
    results = completeness.for_portfolio(
        as_of, catalogue, settings.expiring_soon_days, detail=True, explain=False
    )
    people = People.load([r.system_id for r in results])
    return derive(as_of, results, catalogue, settings, people)


def derive(
    as_of: date,
    results: list[SystemCompleteness],
    catalogue: Catalogue,
    settings: Settings,
    people: People,
) -> list[ReminderItem]:
    """The reminder items that the completeness ``results`` of ``as_of`` call for.

    ``results`` are the detailed answers for every system on that date (what
    ``completeness.for_portfolio(..., detail=True)`` gives); they are read, never changed.
    """
    items: list[ReminderItem] = []
    for result in results:
        for item in result.items:
            items.extend(_from_item(result, item, people, catalogue, settings))
    items += _reviews_waiting(as_of, settings, people)
    items += _waivers_ending(results, as_of, settings, people)
    items += _event_duties(results, people)
    items += escalations(items, as_of, settings, people)
    unique: dict[tuple[str, str], ReminderItem] = {}
    for item in items:
        item.recipients = _unique(item.recipients)
        if item.recipients:
            unique.setdefault((item.kind, item.item_key), item)  # agency-wide items come once
    return list(unique.values())
