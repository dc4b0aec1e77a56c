"""From reminder items to per-person notifications: windows, keys and preferences.

A notification's key is (recipient, item, window). The window is fixed for
lead times and event deadlines, and otherwise the person's digest period
(the day, or the ISO week for a weekly digest), so a second sweep in the same
period plans nothing new and an open item is reminded once per period.
"""

from __future__ import annotations

import secrets
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.db import utcnow, write_transaction
from tracker.errors import NotFound, ValidationFailed
from tracker.i18n import N_
from tracker.i18n.text import Phrase, joined
from tracker.models import NotificationPreference
from tracker.reminders.kinds import KINDS, OPTIONAL_KINDS, Recipient, ReminderItem

FREQUENCIES = ("daily", "weekly", "immediate")


@dataclass(frozen=True)
class Preference:
    frequency: str = "daily"
    weekly_day: int = 0
    opted_out: frozenset[str] = frozenset()


@dataclass(slots=True)  # a sweep plans a million of them
class Planned:
    key: str
    recipient: Recipient
    kind: str
    item_key: str
    window: str
    system_id: int | None
    requirement_id: str | None
    mandatory: bool
    payload: dict[str, Any]


def period(preference: Preference, as_of: date) -> str:
    if preference.frequency == "weekly":
        year, week, _ = as_of.isocalendar()
        return f"{year}-W{week:02d}"
    return as_of.isoformat()


def declined(item: ReminderItem, preference: Preference) -> bool:
    """Whether the person declined this kind of reminder (only optional kinds can be)."""
    return not item.mandatory and item.kind in preference.opted_out


def still_due(
    items: Iterable[ReminderItem],
    preferences: Mapping[str, Preference],
    among: Container[tuple[str, str, str]] | None = None,
) -> set[tuple[str, str, str]]:
    """(recipient, kind, item key) of every reminder someone is owed on the date, whether or not
    today is their digest day: what keeps an unsent notification worth sending. With ``among``,
    only those of ``among`` (the rows waiting): a sweep's full set runs to a million."""
    due = set()
    for item in items:
        for recipient in item.recipients:
            about = (recipient.email.casefold(), item.kind, item.item_key)
            if (among is None or about in among) and not declined(
                item, preferences.get(about[0], Preference())
            ):
                due.add(about)
    return due


def plan(
    items: Iterable[ReminderItem], as_of: date, preferences: dict[str, Preference]
) -> list[Planned]:
    """One notification per (recipient, item), minus declined optional kinds and weekly digests off-day."""
    out = []
    for item in items:
        payload = item.payload()  # one dict per item, shared by its recipients' notifications
        for recipient in item.recipients:
            preference = preferences.get(recipient.email.casefold(), Preference())
            if declined(item, preference):
                continue
            if preference.frequency == "weekly" and as_of.weekday() != preference.weekly_day:
                continue
            window = item.window or period(preference, as_of)
            key = f"{recipient.email.casefold()}|{item.kind}|{item.item_key}|{window}"
            out.append(
                Planned(
                    key,
                    recipient,
                    item.kind,
                    item.item_key,
                    window,
                    item.system_id,
                    item.requirement_id,
                    item.mandatory,
                    payload,
                )
            )
    return out


def load_preferences() -> dict[str, Preference]:
    return {
        email.casefold(): Preference(frequency, weekly_day, frozenset(opted_out or ()))
        for email, frequency, weekly_day, opted_out in NotificationPreference.select(
            NotificationPreference.email,
            NotificationPreference.frequency,
            NotificationPreference.weekly_day,
            NotificationPreference.opted_out,
        ).tuples()
    }


def preference_for(email: str) -> NotificationPreference:
    """The stored preference of an address, created with defaults (and an unsubscribe token) if new."""
    email = email.strip().casefold()
    found = NotificationPreference.get_or_none(NotificationPreference.email == email)
    if found is None:
        with write_transaction():
            found = NotificationPreference.create(
                email=email, unsubscribe_token=secrets.token_urlsafe(24)
            )
    return found


def unsubscribe_tokens(emails: Iterable[str]) -> dict[str, str]:
    """The unsubscribe token of each address, creating the missing preferences in one go."""
    wanted = {email.strip().casefold() for email in emails}
    found = dict(
        NotificationPreference.select(
            NotificationPreference.email, NotificationPreference.unsubscribe_token
        )
        .where(NotificationPreference.email.in_(list(wanted)))
        .tuples()
    )
    missing = [
        {"email": email, "unsubscribe_token": secrets.token_urlsafe(24), "updated_at": utcnow()}
        for email in sorted(wanted - set(found))
    ]
    if missing:
        with write_transaction():
            NotificationPreference.insert_many(missing).on_conflict_ignore().execute()
        found.update(
            dict(
                NotificationPreference.select(
                    NotificationPreference.email, NotificationPreference.unsubscribe_token
                )
                .where(NotificationPreference.email.in_([m["email"] for m in missing]))
                .tuples()
            )
        )
    return found


def set_preference(
    email: str,
    frequency: str | None = None,
    weekly_day: int | None = None,
    opted_out: Iterable[str] | None = None,
) -> NotificationPreference:
    errors = {}
    if frequency is not None and frequency not in FREQUENCIES:
        errors["frequency"] = [
            Phrase("Must be one of: %(choices)s.", choices=joined(FREQUENCIES, ", "))
        ]
    if weekly_day is not None and not 0 <= weekly_day <= 6:
        errors["weekly_day"] = [Phrase("Must be 0 (Monday) to 6 (Sunday).")]
    declined = list(opted_out) if opted_out is not None else None
    if declined is not None and (bad := [k for k in declined if k not in OPTIONAL_KINDS]):
        mandatory = [k for k in bad if k in KINDS]
        message = (
            N_("Cannot opt out of %(kinds)s: mandatory reminders. Optional kinds: %(optional)s.")
            if len(mandatory) == len(bad)
            else N_("Cannot opt out of %(kinds)s: unknown kinds. Optional kinds: %(optional)s.")
        )
        errors["opted_out"] = [
            Phrase(
                message,
                kinds=joined(bad, ", "),
                optional=joined(sorted(OPTIONAL_KINDS), ", "),
            )
        ]
    if errors:
        raise ValidationFailed(errors)
    preference = preference_for(email)
    with write_transaction():
        if frequency is not None:
            preference.frequency = frequency
        if weekly_day is not None:
            preference.weekly_day = weekly_day
        if declined is not None:
            preference.opted_out = sorted(set(declined))
        preference.updated_at = utcnow()
        preference.save()
    return preference


def preference_by_token(token: str) -> NotificationPreference:
    found = NotificationPreference.get_or_none(NotificationPreference.unsubscribe_token == token)
    if found is None:
        raise NotFound(N_("unsubscribe link"), Phrase("(unknown or replaced)"))
    return found


def unsubscribe(token: str) -> NotificationPreference:
    """Decline every optional kind for the address owning ``token`` (one-click, RFC 8058)."""
    preference = preference_by_token(token)
    return set_preference(preference.email, opted_out=sorted(OPTIONAL_KINDS))
