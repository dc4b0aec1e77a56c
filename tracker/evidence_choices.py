"""Which requirements a new piece of evidence can serve, given the systems it covers.

The upload form offers only these: the requirements that apply to the chosen systems today
(the completeness engine's applicability: jurisdictions reaching each system, rules matching its
profile), grouped by framework. Agency-wide evidence covers every system, so it may serve any
requirement; the agency-level duties, which only agency-wide evidence satisfies, come first.

Plain Python with no web framework: the page, its live update and any other client call this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from tracker.completeness import evaluator_for, load_snapshot
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.plugin_host import Catalogue
from tracker.requirements import Requirement


@dataclass
class Choice:
    """One requirement on offer, and which of the chosen systems it applies to."""

    requirement: Requirement
    systems: list[str]  # names of the chosen systems it applies to
    everywhere: bool  # applies to every chosen system (or the evidence is agency-wide)


@dataclass
class Group:
    """The choices of one framework (a jurisdiction), or the agency-level duties."""

    id: str
    title: str
    choices: list[Choice] = field(default_factory=list)


@dataclass
class Choices:
    groups: list[Group]
    systems: list[tuple[int, str]]  # the chosen systems that exist, by id and name
    # Requirements asked for (chosen earlier, or named by a link) that do not apply to the
    # chosen systems: still shown, so nothing the person ticked disappears silently.
    others: list[Requirement]

    @property
    def offered(self) -> set[str]:
        return {c.requirement.id for g in self.groups for c in g.choices}


AGENCY_GROUP = "agency"
AGENCY_TITLE = N_("Agency-level duties (only agency-wide evidence serves them)")


def _ids(values: Iterable[object]) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit() and 0 < int(v) < 2**31})


def requirement_choices(
    system_ids: Iterable[object],
    agency_wide: bool,
    catalogue: Catalogue,
    as_of: date | None = None,
    wanted: Iterable[str] = (),
) -> Choices:
    """The requirements evidence covering ``system_ids`` (or the whole agency) can serve.

    ``wanted`` are requirement ids already chosen; those not on offer come back in ``others``
    when the catalogue knows them. Unknown or retired system ids are ignored.
    """
    as_of = as_of or date.today()
    chosen = _ids(system_ids)
    jurisdictions = catalogue.jurisdictions
    frameworks: dict[str, Group] = {}

    def group_of(requirement: Requirement) -> Group:
        key = (
            AGENCY_GROUP if requirement.scope == "agency" and agency_wide else requirement.framework
        )
        found = frameworks.get(key)
        if found is None:
            if key == AGENCY_GROUP:
                title = _(AGENCY_TITLE)
            else:
                known = jurisdictions.get(key)
                title = known.title if known else key
            found = frameworks[key] = Group(key, title)
        return found

    systems: list[tuple[int, str]] = []
    if agency_wide:
        for requirement in catalogue.requirements.values():
            group_of(requirement).choices.append(Choice(requirement, [], True))
    elif chosen:
        snapshot = load_snapshot(as_of, catalogue, chosen)
        evaluator = evaluator_for(catalogue)
        applying: dict[str, list[str]] = {}
        for system in snapshot.systems:
            systems.append((system.id, system.name))
            for requirement in evaluator.applicable(system, as_of):
                # Agency-level duties count only agency-wide evidence: not offered for systems.
                if requirement.scope != "agency":
                    applying.setdefault(requirement.id, []).append(system.name)
        for requirement in catalogue.requirements.values():  # in the catalogue's order
            names = applying.get(requirement.id)
            if names:
                group_of(requirement).choices.append(
                    Choice(requirement, names, len(names) == len(systems))
                )
    order = [AGENCY_GROUP, *jurisdictions]
    groups = sorted(
        frameworks.values(),
        key=lambda g: order.index(g.id) if g.id in order else len(order),
    )
    offered = {c.requirement.id for g in groups for c in g.choices}
    others = [
        catalogue.requirements[rid]
        for rid in dict.fromkeys(wanted)
        if rid in catalogue.requirements and rid not in offered
    ]
    return Choices(groups, systems, others)
