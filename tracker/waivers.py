"""Waivers: a requirement declared not applicable or risk-accepted for one system, until a date.

A waiver is requested with a justification and an expiry date, and takes
effect only when a data protection officer other than the requester approves
it. Completeness shows it as waived, never as satisfied.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import peewee as pw

from tracker import audit
from tracker import vocabulary as vocab
from tracker.db import utcnow, write_transaction
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n.text import Phrase
from tracker.models import AISystem, User, Waiver
from tracker.plugin_host import Catalogue

OPEN_STATES = ("requested", "approved")


def _state(state: str) -> str:
    """A waiver's state as a message names it: the badge's word, in the reader's language."""
    return Phrase(vocab.STATUS_WORDS[state]) if state in vocab.STATUS_WORDS else state


def _snapshot(waiver: Waiver) -> dict[str, Any]:
    return {
        "system_id": waiver.system_id,
        "requirement_id": waiver.requirement_id,
        "state": waiver.state,
        "justification": waiver.justification,
        "expires_on": waiver.expires_on,
        "decision_note": waiver.decision_note,
    }


def request_waiver(
    system: AISystem,
    requirement_id: str,
    justification: str,
    expires_on: date,
    requester: User,
    actor: str,
    catalogue: Catalogue,
) -> Waiver:
    errors = {}
    if requirement_id not in catalogue.requirements:
        errors["requirement_id"] = [
            Phrase("No enabled requirement has the id %(id)s.", id=requirement_id)
        ]
    if len(justification.strip()) < 20:
        errors["justification"] = [
            Phrase("Explain why, in at least 20 characters: an auditor will read it.")
        ]
    if expires_on <= date.today():
        errors["expires_on"] = [Phrase("Must be after today: a waiver is always time-limited.")]
    if errors:
        raise ValidationFailed(errors)
    if system.retired_at is not None:
        raise Conflict(Phrase("AI system %(id)s is retired", id=system.id))
    open_one = Waiver.select().where(
        (Waiver.system == system)
        & (Waiver.requirement_id == requirement_id)
        & Waiver.state.in_(OPEN_STATES)
        & (Waiver.expires_on > date.today())
    )
    if open_one.exists():
        raise Conflict(
            Phrase(
                "a waiver of %(requirement)s for AI system %(id)s is already requested or in effect",
                requirement=requirement_id,
                id=system.id,
            )
        )
    with write_transaction():
        waiver = Waiver.create(
            system=system,
            requirement_id=requirement_id,
            justification=justification.strip(),
            expires_on=expires_on,
            requested_by=requester,
        )
        audit.record(actor, "waiver.requested", "waiver", waiver.id, after=_snapshot(waiver))
    return waiver


def _decide(waiver: Waiver, decider: User, state: str, note: str, actor: str) -> Waiver:
    if decider.role != "dpo":
        raise ValidationFailed(
            {
                "decided_by": [
                    Phrase(
                        "Only a data protection officer decides waivers; %(user)s is %(role)s.",
                        user=decider.username,
                        role=decider.role,
                    )
                ]
            }
        )
    if waiver.state != "requested":
        raise Conflict(
            Phrase(
                "waiver %(id)s is %(state)s, not awaiting a decision",
                id=waiver.id,
                state=_state(waiver.state),
            )
        )
    if waiver.requested_by_id == decider.id:
        raise Conflict(
            Phrase(
                "%(user)s requested waiver %(id)s; another DPO must decide it",
                user=decider.username,
                id=waiver.id,
            )
        )
    if state == "approved" and waiver.expires_on <= date.today():
        raise Conflict(
            Phrase(
                "waiver %(id)s expired on %(day)s; request a new one",
                id=waiver.id,
                day=waiver.expires_on,
            )
        )
    if state == "rejected" and not note.strip():
        raise ValidationFailed({"note": [Phrase("A rejection must give its reason.")]})
    before = _snapshot(waiver)
    with write_transaction():
        waiver.state, waiver.decided_by, waiver.decided_at = state, decider, utcnow()
        waiver.decision_note = note.strip()
        waiver.save()
        audit.record(
            actor, f"waiver.{state}", "waiver", waiver.id, *audit.changes(before, _snapshot(waiver))
        )
    return waiver


def approve_waiver(waiver: Waiver, approver: User, note: str, actor: str) -> Waiver:
    return _decide(waiver, approver, "approved", note, actor)


def reject_waiver(waiver: Waiver, decider: User, note: str, actor: str) -> Waiver:
    return _decide(waiver, decider, "rejected", note, actor)


def revoke_waiver(waiver: Waiver, user: User, note: str, actor: str) -> Waiver:
    """End an approved waiver early; completeness replayed before now still shows it."""
    if user.role != "dpo":
        raise ValidationFailed(
            {"revoked_by": [Phrase("Only a data protection officer revokes waivers.")]}
        )
    if waiver.state != "approved":
        raise Conflict(
            Phrase(
                "waiver %(id)s is %(state)s; only an approved waiver can be revoked",
                id=waiver.id,
                state=_state(waiver.state),
            )
        )
    before = _snapshot(waiver)
    with write_transaction():
        waiver.state, waiver.revoked_at = "revoked", utcnow()
        waiver.decision_note = note.strip() or waiver.decision_note
        waiver.save()
        audit.record(
            actor, "waiver.revoked", "waiver", waiver.id, *audit.changes(before, _snapshot(waiver))
        )
    return waiver


def find_waivers(filters: Mapping[str, Any]) -> pw.ModelSelect:
    # Requester and decider joined, so a list of waivers costs one query, not one per row.
    requester, decider = User.alias(), User.alias()
    query = (
        Waiver.select(Waiver, requester, decider)
        .join(requester, on=(Waiver.requested_by == requester.id), attr="requested_by")
        .switch(Waiver)
        .join(decider, pw.JOIN.LEFT_OUTER, on=(Waiver.decided_by == decider.id), attr="decided_by")
        .order_by(Waiver.id)
    )
    for name in ("system_id", "requirement_id", "state"):
        if filters.get(name) is not None:
            query = query.where(getattr(Waiver, name) == filters[name])
    return query
