"""Event kinds: what can happen to a system that a requirement counts a deadline from.

A requirement with ``deadline_after_event=(kind, hours)`` is owed once per
recorded event of that kind, within that many hours of it. The tracker
declares a core set of kinds every jurisdiction can count from (a breach
concerns the GDPR and the LED alike, and a substantial modification is what
makes evidence marked ``renew_on_change`` stale, whichever plugins are
enabled); plugins add their own through the ``tracker_event_kinds`` hook.

An event's recorded time is the moment its deadlines count from. For an
incident the law counts from when the agency became aware of it, so that is
the time to record; each kind says what its time means (``counted_from``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tracker.i18n import N_
from tracker.i18n.text import Phrase, joined
from tracker.lenient import closest, tolerant

EVENT_KIND_ID = re.compile(r"^[a-z][a-z0-9_]{0,29}$")  # fits SystemEvent.kind (30 characters)
SUBSTANTIAL_MODIFICATION = "substantial_modification"


@tolerant
@dataclass(frozen=True)
class EventKind:
    """A kind of event recorded for a system, which requirements can count deadlines from."""

    id: str
    title: str
    description: str = ""
    counted_from: str = "when it happened"  # what the recorded time is, shown where it is asked

    # Set only on an instance built from a call with wrong arguments (see tolerant()).
    construction_problems: ClassVar[tuple[str, ...]] = ()
    defined_at: ClassVar[str] = ""


CORE_EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind(
        "use",
        N_("Use of the system"),
        "One use, such as one search or one deployment of real-time identification.",
        N_("when the use began"),
    ),
    EventKind(
        "personal_data_breach",
        N_("Personal data breach"),
        "A breach of security leading to the loss, alteration, disclosure of or access to "
        "personal data (GDPR Art 4(12), LED Art 3(11)).",
        N_("when the agency became aware of the breach"),
    ),
    EventKind(
        "serious_incident",
        N_("Serious incident"),
        "An incident or malfunction of an AI system leading to a result listed in AI Act "
        "Art 3(49) (death or serious harm to health, disruption of critical infrastructure, "
        "infringement of fundamental-rights obligations, serious harm to property or the "
        "environment).",
        N_("when the agency became aware of the incident"),
    ),
    EventKind(
        "significant_cyber_incident",
        N_("Significant cybersecurity incident"),
        "An incident with a significant impact on the provision of a service (NIS2 Art 23(3)).",
        N_("when the agency became aware of the incident"),
    ),
    EventKind(
        SUBSTANTIAL_MODIFICATION,
        N_("Substantial modification"),
        "A change to the system after it was put into service that was not foreseen in its "
        "initial assessment (AI Act Art 3(23)). Evidence of requirements marked "
        "renew_on_change that predates it is stale.",
        N_("when the modified system was put into service"),
    ),
)
CORE_EVENT_KIND_IDS = frozenset(kind.id for kind in CORE_EVENT_KINDS)


def event_kind_problems(kind: Any) -> list[str]:
    """Everything wrong with an event kind's definition (empty when it is sound)."""
    if kind.construction_problems:
        return [
            f"EventKind(...) at {kind.defined_at} cannot be built: "
            + "; ".join(kind.construction_problems)
        ]
    out = []
    if not isinstance(kind.id, str) or not EVENT_KIND_ID.match(kind.id):
        out.append(
            f"event kind id {kind.id!r} must start with a lower case letter and hold only lower "
            "case letters, digits and '_' (at most 30 characters)"
        )
    for name in ("title", "description", "counted_from"):
        if not isinstance(getattr(kind, name), str):
            out.append(f"event kind {name} must be text")
    if isinstance(kind.title, str) and not kind.title.strip():
        out.append("event kind has no title")
    return out


def unknown_kind(kind: Any, known: Iterable[str]) -> Phrase:
    """The message for a kind nobody declared, with the closest known one and the full list."""
    known = sorted(known)
    guess = closest(kind, known)
    listed = joined(known, ", ")
    if guess:
        return Phrase(
            "%(kind)s is not a known event kind (did you mean %(guess)s?); known kinds: %(known)s",
            kind=repr(kind),
            guess=repr(guess),
            known=listed,
        )
    return Phrase(
        "%(kind)s is not a known event kind; known kinds: %(known)s", kind=repr(kind), known=listed
    )


def title_of(kind: str, kinds: Mapping[str, EventKind]) -> str:
    """How people read a kind: its title, or its id when no enabled plugin declares it now."""
    found = kinds.get(kind)
    return found.title if found is not None else kind
