"""What is overdue, and what is left to do, on a system's completeness result.

One definition for every page that counts "overdue" (the portfolio, the system page): plain
Python over a :class:`~tracker.completeness.facts.SystemCompleteness`, detailed or summary.
"""

from __future__ import annotations

from tracker.completeness.facts import SystemCompleteness
from tracker.plugin_host import Catalogue
from tracker.vocabulary import LIFECYCLE_STAGES

STAGE_INDEX = {stage: index for index, stage in enumerate(LIFECYCLE_STAGES)}
# The counts that say where to act, in order: each requirement lands in one of them at most.
ACTION_COUNTS = ("overdue", "missing", "expiring_soon", "pending_review", "expired")


def stage_overdue(result: SystemCompleteness, catalogue: Catalogue) -> dict[str, str]:
    """Requirement id -> status of each requirement *overdue by stage* on the result's date.

    Definition: a requirement is overdue by stage when it blocks the system (not met, waived,
    or owed nothing: missing, rejected, expired or pending review) and the stage it is due
    before is the system's current stage or an earlier one, i.e. the system already entered
    that stage without it. A blocking requirement due before the *next* stage only is not
    overdue: it is what remains to do before moving on. Requirements owed per event
    (``deadline_after_event``) are never overdue by stage: their event duties are overdue by
    deadline (``event_counts["overdue"]``), counted apart. A system with no next stage
    (decommissioned) has nothing blocking, so nothing overdue by stage.

    Read off the summary's blocking statuses, so a portfolio needs no detailed evaluation;
    ``tests/web/test_portfolio_page.py`` checks this agrees with the detailed items.
    """
    if result.next_stage is None:
        return {}
    current = STAGE_INDEX[result.lifecycle_stage]
    found = {}
    for requirement_id, status in result.blocking_statuses.items():
        requirement = catalogue.requirements.get(requirement_id)
        if (
            requirement is None
            or requirement.deadline_after_event
            or not requirement.due_before
            or STAGE_INDEX[requirement.due_before] > current
        ):
            continue
        found[requirement_id] = status
    return found


def action_counts(result: SystemCompleteness, overdue: dict[str, str]) -> dict[str, int]:
    """Overdue, missing, expiring soon, pending review and expired (:data:`ACTION_COUNTS`), each
    requirement counted once: an overdue one counts as overdue only, never again as missing,
    pending or expired. Overdue adds the event duties past their deadline. ``overdue`` is
    :func:`stage_overdue`'s answer for the result.
    """
    counts = result.overall.counts
    shown = {"overdue": len(overdue) + result.event_counts.get("overdue", 0)}
    for key in ACTION_COUNTS[1:]:
        shown[key] = counts[key] - sum(1 for status in overdue.values() if status == key)
    return shown
