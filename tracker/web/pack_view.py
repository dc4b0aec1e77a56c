"""What the pages show about evidence packs: each pack's state and progress in words, the date a
pack may show, and the lists and forms the system page and the portfolio carry.

Plain Python over :class:`tracker.models.Pack` rows (no Flask import), rendered by
``tracker.web.systems``, ``tracker.web.portfolio`` and the routes in ``tracker.web.packs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tracker.i18n import N_, format_day, format_percent
from tracker.i18n import gettext as _
from tracker.models import Pack
from tracker.packs import records

# A pack's state in words, and the badge colour it borrows from the evidence statuses.
STATE_WORDS = {
    "queued": N_("queued"),
    "building": N_("being built"),
    "ready": N_("ready"),
    "failed": N_("failed"),
}
STATE_BADGES = {
    "queued": "pending_review",
    "building": "pending_review",
    "ready": "satisfied",
    "failed": "rejected",
}
PENDING = ("queued", "building")
AGENCY_PACKS_SHOWN = 10  # the portfolio lists the newest agency-wide packs only
SHORT_HASH = 12  # hex digits of a SHA-256 shown before the reader asks for all of it


def state_word(state: str) -> str:
    return _(STATE_WORDS[state]) if state in STATE_WORDS else state


def status(pack: Pack) -> dict[str, Any]:
    """What the page's script polls while a pack is queued or being built."""
    return {
        "id": pack.id,
        "state": pack.state,
        "state_text": state_word(pack.state),
        "progress": records.progress(pack),
        "progress_text": format_percent(records.progress(pack)),
        "pending": pack.state in PENDING,
    }


def as_of_date(text: str, earliest: date | None, today: date) -> tuple[date | None, list[str]]:
    """The date a pack shows, from the form: not before ``earliest`` (the system's
    registration; None for the agency-wide pack) and not after ``today``. Returns the date, or
    None and the messages that say what is wrong with it."""
    text = text.strip()
    if not text:
        return today, []
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        return None, [
            _(
                "The pack's date must be a date such as %(example)s.",
                example=today.isoformat(),
            )
        ]
    if chosen > today:
        return None, [
            _(
                "The pack's date cannot be in the future (today is %(day)s).",
                day=format_day(today),
            )
        ]
    if earliest is not None and chosen < earliest:
        return None, [
            _(
                "The pack's date cannot be before %(day)s, when the system was registered.",
                day=format_day(earliest),
            )
        ]
    return chosen, []


def system_section(
    system: Any, today: date, form: Mapping[str, str] | None, errors: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The system page's "Evidence packs" section: the form (with what was typed and its
    errors after a refused build) and the system's packs, newest first."""
    packs = records.for_system(system.id)
    return {
        "packs": packs,
        "packs_pending": any(pack.state in PENDING for pack in packs),
        "pack_form": form or {"as_of": today.isoformat()},
        "pack_errors": errors or {},
        "pack_earliest": system.created_at.date().isoformat(),
        "pack_today": today.isoformat(),
    }


def agency_section(today: date) -> dict[str, Any]:
    """The portfolio's agency-wide packs: the newest few and the form that asks for one."""
    packs = records.for_system(None, limit=AGENCY_PACKS_SHOWN)
    return {
        "agency_packs": packs,
        "packs_pending": any(pack.state in PENDING for pack in packs),
        "pack_today": today.isoformat(),
    }


def template_helpers() -> dict[str, Any]:
    """The functions the packs partial calls per row."""
    return {
        "pack_progress": records.progress,
        "pack_state": state_word,
        "pack_badge": lambda state: STATE_BADGES.get(state, "missing"),
        "short_hash": SHORT_HASH,
    }
