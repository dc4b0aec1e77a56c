"""Why a requirement applies to a system, or why nothing does: the reasons a detailed answer and
``tracker requirements why`` show.

Only detailed evaluations explain; the summary path (a portfolio) never builds a reason. The
reasons of a profile are shared by every system the same laws reach in the same way and whose
rules read the same facts, so they are memoised per (reach, facts read); a long-lived
evaluator keeps those of its newest profiles only (:data:`tracker.completeness.engine.WHYS_KEPT`).
Beneath, each requirement's line is memoised per (its jurisdiction's reach, the values its own
rule reads): on a varied agency whole profiles rarely repeat, but each line does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

from tracker.completeness import memo
from tracker.completeness.facts import SystemFact
from tracker.completeness.sets import ApplicableSet
from tracker.completeness.why import EXPLANATIONS_KEPT, Explainer, Verdict
from tracker.i18n.text import Phrase, joined
from tracker.requirements import Requirement


class Explaining:
    """The evaluator's reasons, as a base class of :class:`~tracker.completeness.engine.Evaluator`:
    it reads the evaluator's catalogue, its reach (:meth:`reaches`), the getters of the facts its
    rules read (``_key_of``; per rule, ``_rule_masks``), its requirements in order
    (``_ordered``) and how many profiles' reasons it keeps (``_whys_kept``, None for all)."""

    def jurisdiction_reason(
        self, system: SystemFact, framework: str, as_of: date
    ) -> tuple[bool, str]:
        """Whether ``framework``'s jurisdiction reaches the system on the date, and why, in one
        line: the same answer :meth:`reaches` gives :meth:`_applicable_set` (the override, or
        territory), so that the reason shown is the one that decided."""
        found = self.reaches(system, as_of).get(framework)
        if found is None:
            return False, Phrase(
                "jurisdiction %(jurisdiction)s is not enabled in this deployment",
                jurisdiction=framework,
            )
        return found.applies, Phrase(
            "%(jurisdiction)s: %(reason)s", jurisdiction=framework, reason=found.reason
        )

    def verdict(self, system: SystemFact, requirement: Requirement, as_of: date) -> Verdict:
        """Whether ``requirement`` applies to the system on the date, and the deciding reasons."""
        covered, jurisdiction = self.jurisdiction_reason(system, requirement.framework, as_of)
        rule = self._explainer.explain(self.catalogue.rules[requirement.id], system.profile)
        return Verdict(covered and rule.holds, jurisdiction, covered, rule)

    def _whys(self, applicable: ApplicableSet, system: SystemFact, as_of: date) -> list[str]:
        """Each applicable requirement's reasons as one line (jurisdiction; facts; answers), in
        the set's order. Shared by every system the same laws reach in the same way and whose
        rules read the same facts: one look-up per system after the first."""
        reaching = self.reaches(system, as_of)
        key = (tuple(reaching.items()), self._key_of(system.profile))
        found = self._why_memo.get(key)
        if found is None:
            found = [
                self._why_line(system, c.requirement, as_of, reaching) for c in applicable.constants
            ]
            if self._whys_kept is None:
                self._why_memo[key] = found
            else:
                memo.remember(self._why_memo, key, found, self._whys_kept)
        return found

    def _why_line(
        self, system: SystemFact, requirement: Requirement, as_of: date, reaching: dict
    ) -> str:
        """One requirement's reasons as one line. The line depends only on how its
        jurisdiction reaches the system and on the values its rule reads, so it is shared by
        profiles that differ elsewhere: a varied agency, whose profiles rarely repeat whole,
        still meets each requirement's few lines again and again."""
        rule = self.catalogue.rules[requirement.id]
        key = (
            requirement.framework,
            reaching.get(requirement.framework),
            rule.text,
            self._values_read[rule.text](system.profile),
        )
        found = self._line_memo.get(key)
        if found is None:
            found = joined(self.verdict(system, requirement, as_of).reasons)
            if self._whys_kept is None:
                self._line_memo[key] = found
            else:
                memo.remember(self._line_memo, key, found, EXPLANATIONS_KEPT)
        return found

    @functools.cached_property
    def _why_memo(self) -> dict[tuple, list[str]]:
        return {}

    @functools.cached_property
    def _line_memo(self) -> dict[tuple, str]:
        return {}

    @functools.cached_property
    def _values_read(self) -> dict[str, Callable[[dict], tuple]]:
        # Rule text -> the getter of the values it reads (the evaluator's own, see _rule_masks).
        return {rule.text: getter for rule, getter, _mask in self._rule_masks}

    @functools.cached_property
    def _explainer(self) -> Explainer:
        # Built on first use, so that summaries never pay for it; memoised per rule and values.
        return Explainer(
            (question.id for question in self.catalogue.questions),
            None if self._whys_kept is None else EXPLANATIONS_KEPT,
        )

    def _why_nothing_applies(self, system: SystemFact, as_of: date) -> str:
        """Explain an empty applicable set: no jurisdiction, or every rule false for the profile."""
        enabled = self.catalogue.jurisdictions
        if system.jurisdictions:
            chosen = [j for j in system.jurisdictions if j in enabled]
            if not chosen:
                return Phrase(
                    "none of the system's jurisdictions (%(listed)s) is enabled in this deployment",
                    listed=joined(system.jurisdictions, ", "),
                )
        else:
            if not enabled:
                return Phrase("no jurisdiction is enabled in this deployment")
            reaching = self.reaches(system, as_of)
            chosen = [j for j, found in reaching.items() if found.applies]
            if not chosen:
                return Phrase(
                    "no law reaches it: %(reasons)s",
                    reasons=joined(
                        Phrase("%(jurisdiction)s: %(reason)s", jurisdiction=j, reason=found.reason)
                        for j, found in reaching.items()
                    ),
                )
        declared = sum(1 for c in self._ordered if c.framework in chosen)
        if not declared:
            return Phrase(
                "the jurisdictions %(listed)s declare no requirements",
                listed=joined(chosen, ", "),
            )
        return Phrase(
            "none of the %(count)s requirements of %(listed)s matches the system's profile "
            "(every applicability rule is false)",
            count=declared,
            listed=joined(chosen, ", "),
        )
