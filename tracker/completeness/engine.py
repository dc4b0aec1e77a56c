"""Deciding each requirement's status for a system on a date.

An :class:`Evaluator` over a :class:`~tracker.completeness.facts.Snapshot`: which
requirements apply (the jurisdictions that reach the system, in-force dates and the
applicability rule), the state of the evidence that could serve each one (judged in
:mod:`tracker.completeness.assess`), the duties of recorded events
(:mod:`tracker.completeness.events`), and what blocks the system's next life-cycle stage.
A detailed answer's rows are built in :mod:`tracker.completeness.judging`, its reasons for
applying in :mod:`tracker.completeness.explaining`.

A portfolio means tens of thousands of requirement statuses, so the
per-requirement constants are computed once, applicability is cached by the
profile facts rules read, and requirements with no evidence at all take a
short path (the summary path, in :mod:`tracker.completeness.summarising`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from operator import itemgetter

from tracker.completeness import events as event_duties
from tracker.completeness import judging, memo
from tracker.completeness.explaining import Explaining
from tracker.completeness.facts import (
    NOT_BLOCKING,
    STATUSES,
    EventDuty,
    EvidenceByRequirement,
    ItemStatus,
    Score,
    Snapshot,
    SystemCompleteness,
    SystemFact,
)
from tracker.completeness.judging import NO_OPERATORS, blocking_reason, stage_term
from tracker.completeness.loader import end_of
from tracker.completeness.sets import ApplicableSet, Constants, Serving
from tracker.completeness.summarising import NO_DUTIES, NOTHING_TO_WAIVE, Summarising
from tracker.i18n.text import Phrase, joined
from tracker.plugin_host import Catalogue
from tracker.requirements import Requirement
from tracker.territory import Reach, reach
from tracker.vocabulary import LIFECYCLE_STAGES, next_stage

STAGE_INDEX = {stage: index for index, stage in enumerate(LIFECYCLE_STAGES)}
NO_EVIDENCE: EvidenceByRequirement = {}
DATES_KEPT = 4  # dates whose reach (which laws reach which countries) an evaluator keeps
# Profiles whose reasons (a line per requirement, ~80 KB a profile) a long-lived evaluator keeps:
# detail is asked for one system at a time, so sharing across profiles is rare beyond the recent
# ones (a national agency has thousands of profiles; 256 kept held 21 MiB in each of a server
# process's two evaluators and were hit by few requests).
WHYS_KEPT = 64


class Evaluator(Explaining, Summarising):
    """Evaluates systems against one catalogue; caches applicability by the facts rules read."""

    dates_kept = DATES_KEPT  # dates whose reach it keeps (a replay keeps more)

    def __init__(
        self, catalogue: Catalogue, expiring_soon_days: int = 30, *, long_lived: bool = False
    ) -> None:
        self.catalogue = catalogue
        self.expiring_soon_days = expiring_soon_days
        # A long-lived evaluator (a server process's) keeps the reasons and sets of its newest
        # profiles only: it meets new ones without end. One made for a batch (a sweep's chunk,
        # every system's detail) keeps them all while it lives: its systems share them.
        self._whys_kept = WHYS_KEPT if long_lived else None
        self._profiles_kept = memo.PROFILES_KEPT if long_lived else None
        # Guards what is evicted from the caches below; adding to a dict is atomic already.
        self._lock = threading.Lock()
        self.symbols = sorted({name for rule in catalogue.rules.values() for name in rule.symbols})
        # Profiles are built with hashable values (lists as tuples), so C-level getters make the keys.
        self._key_of = _getter(self.symbols)
        self._applicable: dict[tuple, ApplicableSet] = {}
        # Per date (oldest first), per override and countries: what reaches, and its ids.
        self._reaches: dict[date, dict[tuple, tuple[dict[str, Reach], tuple[str, ...]]]] = {}
        self._sets: dict[int, ApplicableSet] = {}
        self._plain_blocking: dict[tuple[str, str], str] = {}  # (requirement, status) -> reason
        self._constants = {
            r.id: Constants(
                r,
                r.framework,
                Phrase(  # str(citation) would fix the language of the first reader
                    "%(instrument)s, %(article)s",
                    instrument=r.citation.instrument,
                    article=r.citation.article,
                ),
                STAGE_INDEX[r.due_before] if r.due_before else None,
                max(r.lead_days) if r.lead_days else expiring_soon_days,
                blocking_reason(r, "missing", ()),
                blocking_reason(r, "missing", (), NO_OPERATORS),
            )
            for r in catalogue.requirements.values()
        }
        # A set of requirements is a bit mask over the catalogue's order: bit i is requirement i.
        self._ordered = list(self._constants.values())
        rule_masks: dict[str, int] = {}
        framework_masks: dict[str, int] = {}
        for bit, c in enumerate(self._ordered):
            text = c.requirement.applies_when
            rule_masks[text] = rule_masks.get(text, 0) | 1 << bit
            framework_masks[c.framework] = framework_masks.get(c.framework, 0) | 1 << bit
        rules = {rule.text: rule for rule in catalogue.rules.values()}
        self._rule_masks = [
            (rules[text], _getter(rules[text].symbols, as_tuple=True), mask)
            for text, mask in rule_masks.items()
        ]
        self._framework_masks = framework_masks
        self._serving = Serving.of(self._constants.values())

    def applicable(self, system: SystemFact, as_of: date | None = None) -> list[Requirement]:
        """The requirements of the jurisdictions reaching the system on ``as_of`` (default:
        today) whose rule matches its profile."""
        return [
            c.requirement for c in self._applicable_set(system, as_of or date.today()).constants
        ]

    def reaches(self, system: SystemFact, as_of: date) -> dict[str, Reach]:
        """For each enabled jurisdiction: does it reach the system on the date, and why.

        A system's explicit jurisdictions override territory; otherwise a law reaches it when
        the agency's or the system's countries are members on the date (or the deployment says
        it binds them). Shared by every system with the same override and countries."""
        return self._reaching(system, as_of)[0]

    def _reaching(
        self, system: SystemFact, as_of: date
    ) -> tuple[dict[str, Reach], tuple[str, ...]]:
        """:meth:`reaches`, and the ids of the jurisdictions that do reach the system."""
        countries = system.profile.get("countries") or ()
        by_date = self._reaches.get(as_of)
        if by_date is None:
            with self._lock:  # the server's threads share one evaluator
                by_date = self._reaches.get(as_of)
                if by_date is None:
                    if len(self._reaches) >= self.dates_kept:
                        del self._reaches[next(iter(self._reaches))]
                    by_date = self._reaches[as_of] = {}
        key = (system.jurisdictions, countries)
        cached = by_date.get(key)
        if cached is None:
            countries = tuple(countries)
            enabled = self.catalogue.jurisdictions
            if system.jurisdictions:
                listed = joined(system.jurisdictions, ", ")
                found = {
                    j: Reach(
                        True,
                        Phrase(
                            "listed in the system's jurisdictions (override: %(listed)s)",
                            listed=listed,
                        ),
                    )
                    if j in system.jurisdictions
                    else Reach(
                        False,
                        Phrase(
                            "not in the system's jurisdictions (override: %(listed)s)",
                            listed=listed,
                        ),
                    )
                    for j in enabled
                }
            else:
                deployment = self.catalogue.deployment
                found = {
                    j.id: reach(j.id, j.territory, deployment, countries, as_of)
                    for j in enabled.values()
                }
            wanted = tuple(j for j, reached in found.items() if reached.applies)
            cached = by_date[key] = (found, wanted)
        return cached

    def _applicable_set(self, system: SystemFact, as_of: date) -> ApplicableSet:
        profile = system.profile
        wanted = self._reaching(system, as_of)[1]
        key = (wanted, self._key_of(profile))
        found = self._applicable.get(key)
        if found is None:
            mask = 0
            for framework in wanted:
                mask |= self._framework_masks.get(framework, 0)
            for rule, getter, rule_mask in self._rule_masks:
                # Only rules some wanted requirement uses; each judged once per profile.
                if mask & rule_mask and not rule.applies_to_key(getter(profile)):
                    mask &= ~rule_mask
            # Many profiles share one set of requirements; sharing the object shares its baselines.
            found = self._sets.get(mask)
            if found is None:
                chosen = [c for bit, c in enumerate(self._ordered) if mask >> bit & 1]
                found = self._sets[mask] = ApplicableSet(chosen)
            if self._profiles_kept is None:
                self._applicable[key] = found
            else:
                memo.remember(self._applicable, key, found, self._profiles_kept)
        return found

    def _decide(
        self,
        constants: Constants,
        system: SystemFact,
        snapshot: Snapshot,
        mine: EvidenceByRequirement,
        upcoming_index: int | None,
        duties: dict[str, list[EventDuty]] = NO_DUTIES,
    ) -> tuple:
        """(status, note, waiver id, blocking, judged item or None) for one requirement."""
        requirement = constants.requirement
        agency, as_of = snapshot.agency_evidence, snapshot.as_of
        judged = None
        status, note, waiver_id = "missing", "", None
        if requirement.deadline_after_event:  # judged per event only (completeness.events)
            judged = judging.event_item(
                constants, system, snapshot, mine, duties, self.catalogue.event_kinds
            )
            status, note = judged.status, judged.detail
        elif requirement.scope == "operator" or any(
            rid in agency or (rid in mine and requirement.scope != "agency")
            for rid in requirement.accepted_ids
        ):
            judged = judging.judged_item(constants, system, snapshot, mine)
            status, note = judged.status, judged.detail
        if requirement.in_force_from and as_of < requirement.in_force_from:
            # Evidence already held is still listed: the agency can see it is prepared.
            status = "not_in_force"
            note = Phrase("in force from %(day)s", day=requirement.in_force_from)
        elif (
            status not in NOTHING_TO_WAIVE
            and (waiver := snapshot.waivers.get((system.id, requirement.id))) is not None
        ):
            status, waiver_id = "waived", waiver.id
            note = event_duties.waived_note(waiver)
        blocking = (
            upcoming_index is not None
            and constants.due_index is not None
            and constants.due_index <= upcoming_index
            and status not in NOT_BLOCKING
        )
        return status, note, waiver_id, blocking, judged

    def _blocking_reason(
        self, constants: Constants, status: str, operators_missing: Sequence[str], why: str
    ) -> str:
        """:func:`~tracker.completeness.judging.blocking_reason`, made once per requirement and
        status when it names no operator and no reason of the system's own (most of them);
        "missing" is the constants' own ``missing_reason``."""
        requirement = constants.requirement
        if operators_missing or why:
            return blocking_reason(requirement, status, operators_missing, why)
        if status == "missing":
            return constants.missing_reason
        key = (requirement.id, status)
        found = self._plain_blocking.get(key)
        if found is None:
            found = self._plain_blocking[key] = blocking_reason(requirement, status, ())
        return found

    def evaluate(
        self, system: SystemFact, snapshot: Snapshot, detail: bool = True, explain: bool = True
    ) -> SystemCompleteness:
        """The system's completeness; with ``detail=False`` only the scores, readiness and reasons
        (what a portfolio shows), without one object per requirement. ``explain=False`` leaves
        each requirement's ``why`` (the reasons it applies) empty: a reader that never shows it
        (the reminder sweep) spares what was a third of a detailed answer's cost."""
        stage = system.profile["lifecycle_stage"]
        upcoming = next_stage(stage)
        upcoming_index = STAGE_INDEX[upcoming] if upcoming is not None else None
        mine = snapshot.evidence.get(system.id, NO_EVIDENCE)
        applicable = self._applicable_set(system, snapshot.as_of)
        duties = event_duties.duties_of(system, applicable, snapshot, detail)
        items: list[ItemStatus] = []
        if detail:
            counts: dict[str, dict[str, int]] = {}
            reasons = []
            blocking_statuses: dict[str, str] = {}
            whys = iter(self._whys(applicable, system, snapshot.as_of)) if explain else None
            for constants in applicable.constants:
                status, note, waiver_id, blocking, judged = self._decide(
                    constants, system, snapshot, mine, upcoming_index, duties
                )
                framework_counts = counts.get(constants.framework)
                if framework_counts is None:
                    framework_counts = counts[constants.framework] = dict.fromkeys(STATUSES, 0)
                framework_counts[status] += 1
                if blocking:
                    blocking_statuses[constants.requirement.id] = status
                    reasons.append(
                        self._blocking_reason(
                            constants,
                            status,
                            judged.operators_missing if judged else (),
                            note
                            if note == NO_OPERATORS or constants.requirement.deadline_after_event
                            else "",
                        )
                    )
                item = judged or constants.item(status)
                item.status, item.detail, item.waiver_id, item.blocking = (
                    status,
                    note,
                    waiver_id,
                    blocking,
                )
                if whys is not None:
                    item.why = next(whys)
                items.append(item)
            frameworks = {name: Score.of(c) for name, c in counts.items()}
            overall = Score.of({s: sum(c[s] for c in counts.values()) for s in STATUSES})
        else:
            frameworks, overall, reasons, blocking_statuses = self._summary(
                applicable, system, snapshot, mine, upcoming_index, duties
            )
        nothing_applies = (
            "" if applicable.constants else self._why_nothing_applies(system, snapshot.as_of)
        )
        if upcoming is None:
            ready = None
            reasons = [
                Phrase("the system is %(stage)s: there is no next stage", stage=stage_term(stage))
            ]
        elif nothing_applies:
            # An empty list of duties is a gap in the register or the deployment, not a pass.
            ready = False
            reasons = [Phrase("no requirement applies: %(why)s", why=nothing_applies)]
        else:
            ready = not reasons
            reasons = reasons or [
                Phrase(
                    "every requirement due before %(stage)s is met or waived",
                    stage=stage_term(upcoming),
                )
            ]
        return SystemCompleteness(
            system.id,
            system.name,
            stage,
            upcoming,
            snapshot.as_of,
            items,
            frameworks,
            overall,
            ready,
            reasons,
            system.retired,
            nothing_applies,
            events=event_duties.flatten(duties) if detail else [],
            event_counts=event_duties.count(duties),
            blocking_statuses=blocking_statuses if upcoming is not None else {},
            changes_at=_changes_at(duties, snapshot),
        )


def _changes_at(duties: dict[str, list[EventDuty]], snapshot: Snapshot):
    end = end_of(snapshot.as_of)
    if not duties or snapshot.moment is None or snapshot.moment >= end:
        return None
    return event_duties.next_change(duties, snapshot.moment, end)


def _getter(names: tuple[str, ...] | list[str], as_tuple: bool = False):
    """A fast function returning the profile's values for ``names`` (always a tuple with ``as_tuple``)."""
    if not names:
        return lambda profile: ()
    getter = itemgetter(*names)
    if as_tuple and len(names) == 1:
        return lambda profile: (getter(profile),)
    return getter
