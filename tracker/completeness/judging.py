"""A requirement's row in a detailed answer, and the words of a blocking reason.

The engine (:mod:`tracker.completeness.engine`) decides each requirement's status; when a
detailed answer is asked for, the row it shows is built here: the evidence that could serve the
requirement judged one by one (:func:`~tracker.completeness.assess.assess`), per operator for
an operator's requirement, or an event-triggered requirement's duties summarised. The summary
path (a portfolio) never builds rows, only :func:`blocking_reason`'s lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from tracker.completeness import events as event_duties
from tracker.completeness.assess import assess, candidates_for
from tracker.completeness.facts import (
    RANK,
    EventDuty,
    EvidenceByRequirement,
    EvidenceFact,
    EvidenceRef,
    ItemStatus,
    OperatorStatus,
    Snapshot,
    SystemFact,
)
from tracker.completeness.sets import Constants
from tracker.i18n import N_
from tracker.i18n.text import Phrase, Term, joined
from tracker.requirements import Requirement
from tracker.vocabulary import LIFECYCLE_STAGES, STATUS_WORDS

NO_OPERATORS = Phrase("no operators recorded")


def event_item(
    constants: Constants,
    system: SystemFact,
    snapshot: Snapshot,
    mine: EvidenceByRequirement,
    duties: dict[str, list[EventDuty]],
    event_kinds: Mapping[str, Any],
) -> ItemStatus:
    """An event-triggered requirement's row: its event duties summarised. Evidence meant for
    it but linked to no event is listed, saying that it counts for none."""
    requirement = constants.requirement
    status, detail = event_duties.row_status(constants, duties.get(requirement.id, ()), event_kinds)
    item = constants.item(status)
    item.detail = detail
    for evidence in candidates_for(requirement, mine, snapshot.agency_evidence):
        if evidence.event_id is None:  # linked evidence is listed with its event's duty
            ref = judge(evidence, constants, system, snapshot.as_of)
            ref.note = "not linked to an event: it counts for none of them"
            item.evidence.append(ref)
    return item


def judged_item(
    constants: Constants,
    system: SystemFact,
    snapshot: Snapshot,
    mine: EvidenceByRequirement,
) -> ItemStatus:
    requirement = constants.requirement
    item = constants.item("missing")
    candidates = candidates_for(requirement, mine, snapshot.agency_evidence)
    if requirement.scope == "operator":
        _per_operator(item, constants, system, snapshot, candidates)
        return item
    item.evidence = [judge(e, constants, system, snapshot.as_of) for e in candidates]
    best = min(item.evidence, key=lambda ref: RANK[ref.status], default=None)
    if best is not None:
        item.status, item.valid_until = best.status, best.valid_until
    return item


def _per_operator(
    item: ItemStatus,
    constants: Constants,
    system: SystemFact,
    snapshot: Snapshot,
    candidates: list[EvidenceFact],
) -> None:
    operators = snapshot.operators.get(system.id, [])
    if not operators:
        item.status, item.detail = "missing", NO_OPERATORS
        return
    worst = "satisfied"
    for operator in operators:
        names = {operator.name.casefold(), operator.email.casefold()}
        mine = [
            judge(e, constants, system, snapshot.as_of)
            for e in candidates
            if e.certified_person.strip().casefold() in names
        ]
        item.evidence.extend(mine)
        status = min((ref.status for ref in mine), key=RANK.__getitem__, default="missing")
        item.operators.append(OperatorStatus(operator.id, operator.name, status))
        worst = max(worst, status, key=RANK.__getitem__)
    item.status = worst
    missing = item.operators_missing
    if missing:
        item.detail = Phrase(
            N_("%(missing)s of %(count)s operator not covered: %(names)s")
            if len(operators) == 1
            else N_("%(missing)s of %(count)s operators not covered: %(names)s"),
            missing=len(missing),
            count=len(operators),
            names=joined(missing, ", "),
        )


def judge(
    evidence: EvidenceFact, constants: Constants, system: SystemFact, as_of: date
) -> EvidenceRef:
    """The state of one piece of evidence for one requirement on the date."""
    status, until, note = assess(evidence, constants, system, as_of)
    return EvidenceRef(
        evidence.id, evidence.title, evidence.kind, evidence.version, status, until, note
    )


def stage_term(stage: str) -> Term:
    """A life-cycle stage in a sentence: its code in English, its label in other languages."""
    return Term(stage, LIFECYCLE_STAGES.get(stage, stage))


def blocking_reason(
    requirement: Requirement, status: str, operators_missing: Sequence[str], why: str = ""
) -> str:
    """A blocking reason: "eu-led.dpia (DPIA) is missing: ..., due before deployment"."""
    text = Phrase(
        "%(id)s (%(title)s) is %(status)s",
        id=requirement.id,
        title=requirement.title,
        status=Phrase(STATUS_WORDS.get(status, status)),
    )
    if operators_missing:
        text = Phrase(
            "%(text)s for %(operators)s", text=text, operators=joined(operators_missing, ", ")
        )
    if why:
        text = Phrase("%(text)s: %(why)s", text=text, why=why)
    if requirement.due_before:
        text = Phrase(
            "%(text)s, due before %(stage)s", text=text, stage=stage_term(requirement.due_before)
        )
    return text
