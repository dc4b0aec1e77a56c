"""What the system page says, in words: the readiness sentence, the counts, what to do next
grouped by owner, and the profile with a human label for every value.

Plain Python over a completeness result and a system (no Flask import), rendered by
``tracker.web.systems``. Every string goes through the catalogue.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.lists import format_list
from jinja2.filters import do_urlencode
from markupsafe import Markup

from tracker import i18n, profile, publication, vocabulary
from tracker.completeness.facts import ItemStatus, SystemCompleteness
from tracker.completeness.judging import NO_OPERATORS
from tracker.completeness.overdue import STAGE_INDEX, action_counts
from tracker.i18n import N_, ngettext
from tracker.i18n import gettext as _
from tracker.plugin_host import Catalogue
from tracker.web.page_formats import Memo

# Verification marks that are words, shown in the reader's language (V, V2, P, U are codes).
WORD_MARKS = {"interpretation": N_("interpretation"), "guidance": N_("guidance")}

# Who acts on a requirement, as the page heads each group (tracker.requirements.OWNERS' keys).
OWNER_LABELS = {
    "legal": N_("Legal team"),
    "dpo": N_("Data protection officer"),
    "technology": N_("Technology team"),
    "oversight_committee": N_("Oversight committee"),
    "public_relations": N_("Public relations"),
    "training": N_("Training department"),
}
# What the marks beside a citation say (tracker.requirements.VERIFICATION's keys), for the legend.
VERIFICATION_LEGEND = {
    "V": N_("Verified: checked against a full copy of the legal text."),
    "V2": N_(
        "Verified against an official-language page of the article, or against several "
        "independent verbatim quotations."
    ),
    "P": N_(
        "Partly verified: the article, or its core, was confirmed; some details come from the "
        "compiler's knowledge and were not seen in a source."
    ),
    "U": N_(
        "Unverified: the text could not be retrieved. A lead to check with counsel, not a fact."
    ),
    "interpretation": N_("The compiler's interpretation, not verified: to confirm with counsel."),
    "guidance": N_("Good-practice guidance, not law."),
}
# The short words of a publication level badge.
LEVEL_WORDS = {
    "public": N_("public"),
    "authority": N_("authority only"),
    "internal": N_("internal"),
}
# The statuses a count in the summary may filter the requirements by, in the order shown.
SUMMARY_ORDER = (
    "overdue",
    "missing",
    "rejected",
    "expired",
    "pending_review",
    "expiring_soon",
    "satisfied",
    "waived",
    "not_in_force",
)
# The profile as the page lists it, in this order (lifecycle stage and name are in the title).
PROFILE_ORDER = (
    "purpose",
    "usage_description",
    "authorised_use_cases",
    "development_approach",
    "lifecycle_stage",
    "risk_level",
    "purpose_type",
    "processes_personal_data",
    "personal_data_handling",
    "biometric_identification",
    "ai_act_roles",
    "annex_iii_areas",
    "profiling",
    "people_affected",
    "public_authority",
    "countries",
    "public_facing",
    "data_sharing",
    "units_with_access",
    "vendor",
    "version",
    "jurisdictions",
    "contacts",
)
OTHER_FIELD_LABELS = {"contacts": N_("Contacts"), "answers": N_("Answers to the laws' questions")}


def status_word(status: str) -> str:
    """A status in the reader's language ("pending review")."""
    words = vocabulary.STATUS_WORDS
    return _(words[status]) if status in words else status.replace("_", " ")


def stage_label(stage: str | None) -> str:
    return _(vocabulary.LIFECYCLE_STAGES[stage]) if stage else ""


def owner_label(owner: str) -> str:
    return _(OWNER_LABELS[owner]) if owner in OWNER_LABELS else owner.replace("_", " ").capitalize()


def bucket(item: ItemStatus, overdue: Mapping[str, str]) -> str:
    """The one count a requirement falls in: overdue (by stage, or an event deadline passed),
    else its status. The portfolio counts the same way (tracker.completeness.overdue)."""
    return "overdue" if item.requirement_id in overdue or item.status == "overdue" else item.status


# Readiness, in one sentence


def readiness(result: SystemCompleteness, overdue: Mapping[str, str]) -> str:
    """Whether the system is ready for its next stage, and why not, in one sentence. Empty when
    nothing applies (the page says that in its own words)."""
    if result.nothing_applies:
        return ""
    if result.next_stage is None:
        return _("%(stage)s: there is no next stage.", stage=stage_label(result.lifecycle_stage))
    stage = stage_label(result.next_stage)
    if result.ready:
        return _(
            "Ready for %(stage)s: every requirement due before it is met or waived.", stage=stage
        )
    counts = dict.fromkeys(("overdue", "missing", "rejected", "expired", "pending_review"), 0)
    for requirement_id, status in result.blocking_statuses.items():
        key = "overdue" if requirement_id in overdue or status == "overdue" else status
        counts[key] = counts.get(key, 0) + 1
    parts = [_count_phrase(key, n) for key, n in counts.items() if n]
    blocking = len(result.blocking_statuses)
    return ngettext(
        "Not ready for %(stage)s: %(num)s requirement due before it is not met (%(detail)s).",
        "Not ready for %(stage)s: %(num)s requirements due before it are not met (%(detail)s).",
        blocking,
        stage=stage,
        detail=format_list(parts, locale=i18n.locale()),
    )


def _count_phrase(status: str, n: int) -> str:
    if status == "overdue":
        return ngettext("%(num)s overdue", "%(num)s overdue", n)
    if status == "missing":
        return ngettext("%(num)s missing", "%(num)s missing", n)
    if status == "rejected":
        return ngettext("%(num)s rejected", "%(num)s rejected", n)
    if status == "expired":
        return ngettext("%(num)s expired", "%(num)s expired", n)
    if status == "pending_review":
        return ngettext("%(num)s pending review", "%(num)s pending review", n)
    if status == "expiring_soon":
        return ngettext("%(num)s expiring soon", "%(num)s expiring soon", n)
    if status == "satisfied":
        return ngettext("%(num)s satisfied", "%(num)s satisfied", n)
    if status == "waived":
        return ngettext("%(num)s waived", "%(num)s waived", n)
    if status == "not_in_force":
        return ngettext("%(num)s not in force", "%(num)s not in force", n)
    return ngettext("%(num)s %(status)s", "%(num)s %(status)s", n, status=status_word(status))


# The counts at the top


@dataclass(frozen=True, slots=True)
class Count:
    status: str
    number: int
    words: str  # "3 missing"
    meaning: str  # what it counts, for the link's title


def summary_counts(result: SystemCompleteness, overdue: Mapping[str, str]) -> list[Count]:
    """Each status with a number, each requirement counted once (overdue first); overdue adds
    the event duties past their deadline, as the portfolio does."""
    where = action_counts(result, overdue)
    counts = result.overall.counts
    numbers = dict(where)
    for status in ("rejected", "satisfied", "waived", "not_in_force"):
        numbers[status] = counts[status] - sum(1 for s in overdue.values() if s == status)
    meanings = {
        "overdue": _(
            "Due before a stage the system has already entered, or an event deadline passed"
        ),
        "missing": _("No evidence yet, not overdue"),
        "rejected": _("The DPO rejected the evidence, not overdue"),
        "expired": _("Lapsed or stale evidence, not overdue"),
        "pending_review": _("Uploaded, waiting for the DPO, not overdue"),
        "expiring_soon": _("Accepted evidence that expires within the lead time"),
        "satisfied": _("Accepted evidence, valid today"),
        "waived": _("Waived by an approved waiver"),
        "not_in_force": _("The rule is not yet in force"),
    }
    return [
        Count(status, numbers[status], _count_phrase(status, numbers[status]), meanings[status])
        for status in SUMMARY_ORDER
        if numbers.get(status)
    ]


# What to do next: the blocking requirements, grouped by owner, overdue first


@dataclass(slots=True)
class Line:
    item: ItemStatus
    overdue: bool
    sentence: Markup  # title (citation): status, due before..., overdue since...


@dataclass(slots=True)
class OwnerGroup:
    owner: str
    label: str
    lines: list[Line] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for line in self.lines if line.overdue)


def next_steps(
    result: SystemCompleteness, overdue: Mapping[str, str], catalogue: Catalogue
) -> list[OwnerGroup]:
    """The requirements blocking the next stage as sentences, grouped by owner: groups with
    something overdue first, then in the owners' usual order; in each, overdue lines first,
    then by the stage they are due before."""
    groups: dict[str, OwnerGroup] = {}
    lines = []
    for position, item in enumerate(result.items):
        if item.blocking:
            is_overdue = item.requirement_id in overdue or item.status == "overdue"
            order = (not is_overdue, STAGE_INDEX.get(item.due_before or "", 99), position)
            lines.append((order, Line(item, is_overdue, _sentence(item, is_overdue, catalogue))))
    for _order, line in sorted(lines, key=lambda pair: pair[0]):
        owner = line.item.owner
        group = groups.get(owner)
        if group is None:
            group = groups[owner] = OwnerGroup(owner, owner_label(owner))
        group.lines.append(line)
    owners = list(OWNER_LABELS)
    return sorted(
        groups.values(),
        key=lambda g: (g.overdue == 0, owners.index(g.owner) if g.owner in owners else 99),
    )


def short_citation(catalogue: Catalogue, requirement_id: str, citation: str) -> str:
    """The law by its jurisdiction's title and the article ("EU Law Enforcement Directive
    2016/680, Art 27"): the full instrument is in the requirements table. Else ``citation``."""
    requirement = catalogue.requirements.get(requirement_id)
    jurisdiction = catalogue.jurisdictions.get(requirement.framework) if requirement else None
    if jurisdiction is None:
        return citation
    return f"{jurisdiction.title}, {requirement.citation.article}"


def _sentence(item: ItemStatus, is_overdue: bool, catalogue: Catalogue) -> Markup:
    """One blocking requirement in words: "<strong>Title</strong> (citation): missing, due before
    Deployment and use, overdue since the system entered Deployment and use", then who is not
    covered or what its events owe."""
    requirement = catalogue.requirements.get(item.requirement_id)
    values = {
        "title": Markup("<strong>%s</strong>") % item.title,
        "citation": short_citation(catalogue, item.requirement_id, item.citation),
        "status": status_word(item.status),
        "stage": stage_label(item.due_before),
    }
    if is_overdue and item.status != "overdue" and item.due_before:
        text = _(
            "%(title)s (%(citation)s): %(status)s, due before %(stage)s, overdue since the "
            "system entered %(stage)s",
            **values,
        )
    elif item.due_before:
        text = _("%(title)s (%(citation)s): %(status)s, due before %(stage)s", **values)
    else:
        text = _("%(title)s (%(citation)s): %(status)s", **values)
    sentence = Markup(text)  # the values were escaped by Markup's % above
    if item.operators_missing:
        sentence += Markup(_("; ")) + _(
            "not covered: %(names)s",
            names=format_list(item.operators_missing, locale=i18n.locale()),
        )
    elif item.detail == NO_OPERATORS:
        sentence += Markup(_("; ")) + _("no operators recorded")
    elif item.detail and requirement is not None and requirement.deadline_after_event:
        sentence += Markup(_("; ")) + item.detail
    return sentence + "."


# The profile, every value in words


@dataclass(frozen=True, slots=True)
class ProfileRow:
    name: str
    label: str
    values: list[str]  # one or more values in words; empty: nothing recorded
    level: str  # its publication level (public, authority, internal)


def profile_rows(system: Any, catalogue: Catalogue, levels: Mapping[str, str]) -> list[ProfileRow]:
    """Every profile fact shown with a human label: no code, no JSON."""
    rows = [
        ProfileRow(
            name,
            field_label(name),
            _values(name, getattr(system, name), catalogue),
            levels.get(name, "internal"),
        )
        for name in PROFILE_ORDER
    ]
    answers = system.answers or {}
    for question in catalogue.questions:
        if question.id in answers:
            rows.append(
                ProfileRow(
                    f"answers.{question.id}",
                    question.label,
                    [_answer(answers[question.id])],
                    levels.get("answers", "internal"),
                )
            )
    return rows


def field_label(name: str) -> str:
    label = publication.PUBLIC_FIELDS.get(name) or OTHER_FIELD_LABELS.get(name)
    return _(label) if label else name.replace("_", " ").capitalize()


def _answer(value: Any) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return str(value)


def _values(name: str, value: Any, catalogue: Catalogue) -> list[str]:
    if isinstance(value, bool):
        return [_("Yes") if value else _("No")]
    words = profile.CHOICE_FACTS.get(name) or profile.SET_FACTS.get(name)
    if name == "countries":
        territories = i18n.locale().territories
        return [territories.get(code, code) for code in value or ()]
    if name == "jurisdictions":
        if not value:
            return [_("None listed: the laws that reach the agency's countries apply")]
        known = catalogue.jurisdictions
        return [known[j].title if j in known else j for j in value]
    if name == "contacts":
        return [_contact(contact) for contact in value or ()]
    if isinstance(value, str):
        if words is not None:
            return [_(words[value])] if value in words else ([value] if value else [])
        return [value] if value else []
    if isinstance(value, Sequence):
        return [_(words[v]) if words and v in words else str(v) for v in value]
    return [str(value)] if value not in (None, "") else []


def _contact(contact: Mapping[str, str]) -> str:
    name, email, role = contact.get("name", ""), contact.get("email", ""), contact.get("role", "")
    if role:
        return _("%(name)s <%(email)s>, %(role)s", name=name, email=email, role=role)
    return _("%(name)s <%(email)s>", name=name, email=email)


@dataclass(frozen=True, slots=True)
class Words:
    """The words a system page repeats on every row, translated once per language: a page has
    a hundred rows, and each translation through the template costs more than the row."""

    status: dict[str, str]  # status -> "pending review"
    due_before: dict[str, str]  # stage -> "due before Deployment and use"
    owner: dict[str, str]  # owner -> "Legal team"
    mark: dict[str, str]  # verification mark -> what it means
    level: dict[str, str]  # publication level -> "authority only"
    until: str  # "until %(day)s", to fill in with a date
    # The rows' look-ups: status -> its badge, mark -> its link to the legend, owner -> its
    # label (else the owner as given), level -> its word (else the level), id -> as a URL part.
    badges: Memo = field(init=False)
    marks: Memo = field(init=False)
    owners: Memo = field(init=False)
    levels: Memo = field(init=False)
    quoted: Memo = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "badges", Memo(self.badge))
        object.__setattr__(self, "marks", Memo(self.verification))
        object.__setattr__(self, "owners", Memo(_same, self.owner))
        object.__setattr__(self, "levels", Memo(_same, self.level))
        object.__setattr__(self, "quoted", Memo(do_urlencode))

    def badge(self, status: str) -> Markup:
        """A status as its badge."""
        return Markup('<span class="status s-%s">%s</span>') % (
            status,
            self.status.get(status, status),
        )

    def verification(self, code: str) -> Markup:
        """A citation's verification mark, linked to the legend that explains it."""
        return Markup('<a class="verification" href="#legend" title="%s">%s</a>') % (
            self.mark.get(code, code),
            self.mark_code(code),
        )

    @staticmethod
    def mark_code(code: str) -> str:
        """A mark as shown: the letter codes as they are, the word codes in the language."""
        return _(WORD_MARKS[code]) if code in WORD_MARKS else code

    def valid_until(self, day: str) -> str:
        return self.until % {"day": day}


def _same(key: Any) -> Any:
    return key


def words() -> Words:
    """:class:`Words` in the current language, made once per language and kept (with what its
    memos have looked up: a few dozen statuses, marks and requirement ids)."""
    return _words(i18n.current_language())


@functools.cache
def _words(language: str) -> Words:
    return Words(
        {status: _(text) for status, text in vocabulary.STATUS_WORDS.items()},
        {
            stage: _("due before %(stage)s", stage=stage_label(stage))
            for stage in vocabulary.LIFECYCLE_STAGES
        },
        {owner: owner_label(owner) for owner in OWNER_LABELS},
        {code: _(meaning) for code, meaning in VERIFICATION_LEGEND.items()},
        {level: _(word) for level, word in LEVEL_WORDS.items()},
        _("until %(day)s"),  # no values given: the translated pattern, filled in per row
    )
