"""The reminder item: its kinds, what it says and whom it goes to.

The types every part of the reminders shares (deriving, planning, the ledger, the e-mails, the
account and unsubscribe pages): the kinds of reminder and which of them a person may decline,
a recipient, and the item itself with the payload the ledger stores for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.i18n import N_
from tracker.i18n.text import english

# Kinds a person may decline; every other kind is mandatory.
OPTIONAL_KINDS = frozenset({"expiring", "review_overdue", "waiver_expiring"})
KINDS = {
    "missing": N_("Missing before the next stage"),
    "rejected": N_("Rejected evidence to replace"),
    "expired": N_("Expired evidence"),
    "expiring": N_("Evidence expiring soon"),
    "operator_certificate": N_("An operator's certificate is missing or expiring"),
    "review_overdue": N_("Evidence waiting too long for review"),
    "waiver_expiring": N_("A waiver you approved is ending"),
    "event_deadline": N_("A deadline counted from an event (a use, a breach, an incident ...)"),
    "escalation": N_("Reminded repeatedly with no change"),
}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""


@dataclass
class ReminderItem:
    kind: str
    item_key: str  # what the reminder is about, stable across sweeps
    recipients: list[Recipient]
    title: str
    status: str
    system_id: int | None = None
    system_name: str = ""
    requirement_id: str | None = None
    due: date | None = None
    citation: str = ""
    detail: str = ""
    window: str | None = None  # fixed window (a lead time, an event); None: once per digest period
    evidence_id: int | None = None  # a review waiting: which evidence (its page is the link)
    waiver_id: int | None = None  # a waiver ending: which waiver
    # What ``title`` and ``detail`` are made of, so an e-mail can say them in its reader's
    # language (tracker.reminders.mail.localised); ``title`` and ``detail`` stay the English.
    parts: dict[str, Any] = field(default_factory=dict)

    @property
    def mandatory(self) -> bool:
        return self.kind not in OPTIONAL_KINDS

    def payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "system_id": self.system_id,
            "system_name": self.system_name,
            "requirement_id": self.requirement_id,
            "due": self.due.isoformat() if self.due else None,
            "citation": self.citation,
            # so that an e-mail can say the citation in its reader's language
            "citation_parts": _citation_parts(self.citation),
            "detail": self.detail,
            "evidence_id": self.evidence_id,
            "waiver_id": self.waiver_id,
            "parts": self.parts,
        }


def _citation_parts(citation: str) -> list[str] | None:
    """[instrument, article] of a citation made by the completeness engine, else None."""
    params = getattr(citation, "params", None) or {}
    if "instrument" in params and "article" in params:
        return [english(params["instrument"]), english(params["article"])]
    return None
