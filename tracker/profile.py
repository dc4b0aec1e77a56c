"""The AI system profile: its fields, their rules, and the questions plugins may add.

One marshmallow schema validates a profile wherever it comes from (API, CLI,
demo data, web form), so every front end gives the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import iso3166
import marshmallow as ma
from marshmallow import fields, validate

from tracker import vocabulary as vocab
from tracker.i18n import N_
from tracker.i18n.text import Phrase, joined


def choice(options: Mapping[str, str], **kwargs: Any) -> fields.String:
    """A string field restricted to the keys of a vocabulary, listing them when refused."""
    return fields.String(
        validate=validate.OneOf(list(options), error="Must be one of: {choices}."),
        metadata={"enum": list(options), "description": kwargs.pop("description", "")},
        **kwargs,
    )


def text(max_length: int, *, required: bool = False, **kwargs: Any) -> fields.String:
    rule = validate.Length(min=1 if required else 0, max=max_length)
    return fields.String(required=required, validate=rule, **kwargs)


NonEmptyLine = fields.String(validate=validate.Length(min=1, max=300))


def choice_set(options: Mapping[str, str], **kwargs: Any) -> fields.List:
    """A list of distinct keys of a vocabulary (a set of choices), listing them when refused."""
    description = kwargs.pop("description", "")
    return fields.List(
        choice(options),
        validate=distinct,
        metadata={"description": description, "uniqueItems": True},
        **kwargs,
    )


def distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError(Phrase("Each value may be given once."))


def country_code(value: str) -> None:
    """ISO 3166-1 alpha-2, upper case: "BE", "KE"."""
    if value not in iso3166.countries_by_alpha2:
        raise ma.ValidationError(
            Phrase(
                "%(value)s is not an ISO 3166-1 alpha-2 country code (e.g. BE).", value=repr(value)
            )
        )


class SentFieldsOnly:
    """For partial updates: no field is required, and only the fields the client sent are
    kept (never filled-in defaults)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)

    @ma.post_load(pass_original=True)
    def only_sent_fields(self, data: dict, original: Mapping[str, Any], **kwargs: Any) -> dict:
        return {key: value for key, value in data.items() if key in original}


class ContactSchema(ma.Schema):
    name = text(200, required=True)
    email = fields.Email(required=True)
    role = text(120, load_default="", metadata={"description": "e.g. system owner, DPO"})


# A day an authorisation can end on (it ends at the start of the next day).
LAST_DAY_RULE = validate.Range(
    min=date(1900, 1, 1), max=date(9999, 12, 30), error="Must be from {min} to {max}."
)


class OperatorSchema(ma.Schema):
    name = text(200, required=True)
    email = fields.Email(required=True)
    unit = text(200, load_default="")
    # The authorisation's days; stored as the moments it starts and ends (added_at, removed_at).
    authorised_from = fields.Date(
        load_only=True,
        allow_none=True,
        validate=LAST_DAY_RULE,
        metadata={"description": "First day of the authorisation (default: now)"},
    )
    authorised_until = fields.Date(
        load_only=True,
        allow_none=True,
        validate=LAST_DAY_RULE,
        metadata={"description": "Last day of the authorisation (empty: until removed)"},
    )

    @ma.validates_schema
    def ends_after_it_starts(self, data: dict, **kwargs: Any) -> None:
        start, end = data.get("authorised_from"), data.get("authorised_until")
        if start is not None and end is not None and end < start:
            raise ma.ValidationError(
                Phrase("Must be on or after the first day of the authorisation."),
                field_name="authorised_until",
            )


class OperatorPatchSchema(SentFieldsOnly, OperatorSchema):
    pass


@dataclass(frozen=True)
class ProfileQuestion:
    """An extra profile question a jurisdiction plugin needs for its rules."""

    id: str
    label: str
    type: str  # "boolean", "choice", "text"
    choices: tuple[str, ...] = ()
    help: str = ""
    default: Any = None  # what rules see when a system has not answered

    def problems(self) -> list[str]:
        """What is wrong with the question's own definition."""
        out = []
        if not re.match(r"^[a-z][a-z0-9_]*$", self.id):
            out.append(f"question id {self.id!r} must be lower-case letters, digits and '_'")
        if self.type not in ("boolean", "choice", "text"):
            out.append(f"question {self.id!r} has type {self.type!r}; use boolean, choice or text")
        if self.type == "choice" and not self.choices:
            out.append(f"choice question {self.id!r} has no choices")
        if self.default is not None and self.check(self.default):
            out.append(f"question {self.id!r} has an invalid default {self.default!r}")
        return out

    def check(self, value: Any) -> str | None:
        """None when ``value`` is an acceptable answer, else the rule it breaks."""
        if self.type == "boolean" and not isinstance(value, bool):
            return Phrase("Must be true or false.")
        if self.type == "choice" and value not in self.choices:
            return Phrase("Must be one of: %(choices)s.", choices=joined(self.choices, ", "))
        if self.type == "text" and not isinstance(value, str):
            return Phrase("Must be text.")
        return None


def check_answers(answers: Mapping[str, Any], questions: Iterable[ProfileQuestion]) -> dict:
    """Per-question error messages for plugin answers (empty when all are valid)."""
    known = {q.id: q for q in questions}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        question = known.get(key)
        if question is None:
            errors[key] = [Phrase("Unknown profile question: no enabled jurisdiction asks it.")]
        elif (problem := question.check(value)) is not None:
            errors[key] = [problem]
    return errors


class SystemProfileSchema(ma.Schema):
    """Every fact about an AI system that decides which evidence it needs.

    Each description is marked for the message catalogue: the registration form shows it in
    the reader's language beside the field (the API documents it in English).
    """

    name = text(200, required=True, metadata={"description": N_("The system's name")})
    version = text(80, load_default="", metadata={"description": N_("Its version")})
    vendor = text(200, load_default="", metadata={"description": N_("Who supplies it (if anyone)")})
    purpose = text(5000, required=True, metadata={"description": N_("What the system is for")})
    authorised_use_cases = fields.List(
        NonEmptyLine,
        load_default=list,
        metadata={"description": N_("The uses it is authorised for, one per entry")},
    )
    development_approach = choice(
        vocab.DEVELOPMENT_APPROACHES,
        required=True,
        description=N_("How it was developed (the toolkit's four approaches)"),
    )
    lifecycle_stage = choice(
        vocab.LIFECYCLE_STAGES,
        required=True,
        description=N_("Where it is in its life cycle; requirements are due before a stage"),
    )
    risk_level = choice(
        vocab.RISK_LEVELS, required=True, description=N_("The agency's own risk rating")
    )
    processes_personal_data = fields.Boolean(
        required=True,
        metadata={
            "description": N_(
                "Any information about an identifiable person, images and voices "
                "included (GDPR Art 4(1), LED Art 3(1))"
            )
        },
    )
    purpose_type = choice(
        vocab.PURPOSE_TYPES,
        required=True,
        description=N_(
            "law_enforcement: the Law Enforcement Directive applies; administrative: the GDPR"
        ),
    )
    biometric_identification = choice(
        vocab.BIOMETRIC_IDENTIFICATION,
        load_default="none",
        description=N_("Remote biometric identification of people, and when"),
    )
    ai_act_roles = choice_set(
        vocab.AI_ACT_ROLES,
        required=True,
        description=N_(
            "The agency's roles under the AI Act: provider, deployer, both (an in-house "
            "system the agency also uses) or neither"
        ),
    )
    profiling = fields.Boolean(
        load_default=False,
        metadata={
            "description": N_(
                "Profiles natural persons: evaluates personal aspects to analyse or "
                "predict behaviour, location, reliability (LED Art 3(4), GDPR Art 4(4))"
            )
        },
    )
    people_affected = choice_set(
        vocab.PEOPLE_AFFECTED,
        load_default=list,
        description=N_("Whose data or lives the outputs concern"),
    )
    annex_iii_areas = choice_set(
        vocab.ANNEX_III_AREAS,
        load_default=list,
        description=N_("AI Act Annex III areas the intended purpose falls in (empty: none)"),
    )
    public_authority = fields.Boolean(
        load_default=True,
        metadata={
            "description": N_(
                "The controller is a public authority or body (GDPR Art 37(1)(a), AI Act Art 26(8))"
            )
        },
    )
    countries = fields.List(
        fields.String(validate=country_code),
        load_default=list,
        metadata={
            "description": N_(
                "Countries (ISO 3166-1 alpha-2) the system is used in besides the "
                "agency's own, for cross-border use"
            )
        },
    )
    public_facing = fields.Boolean(
        load_default=False,
        metadata={"description": N_("Members of the public interact with it (e.g. a chatbot)")},
    )
    units_with_access = fields.List(
        NonEmptyLine, load_default=list, metadata={"description": N_("Units that have access")}
    )
    data_sharing = text(
        5000, load_default="", metadata={"description": N_("The data-sharing policy")}
    )
    usage_description = text(
        5000, load_default="", metadata={"description": N_("How the system is used, day to day")}
    )
    personal_data_handling = text(
        5000,
        load_default="",
        metadata={"description": N_("How personal data is collected, processed and stored")},
    )
    published = fields.Boolean(
        load_default=False,
        metadata={"description": N_("Listed in the public transparency register")},
    )
    publication = fields.Dict(
        keys=fields.String(),
        values=choice(vocab.PUBLICATION_LEVELS),
        load_default=dict,
        metadata={
            "description": N_(
                "Publication level by field, overriding the default (public, authority or internal)"
            )
        },
    )
    contacts = fields.List(fields.Nested(ContactSchema), load_default=list)
    jurisdictions = fields.List(
        fields.String(),
        load_default=list,
        metadata={
            "description": N_(
                "Overrides where the law applies: exactly these jurisdiction ids; "
                "empty: the jurisdictions whose territory covers the agency's or the system's countries"
            )
        },
    )
    answers = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": N_("Answers to profile questions declared by jurisdiction plugins")
        },
    )

    @ma.validates("publication")
    def publication_names_profile_fields(self, value: dict, **kwargs: Any) -> None:
        unknown = sorted(set(value) - set(self.fields) - {"publication"})
        if unknown:
            raise ma.ValidationError(
                Phrase("Not profile fields: %(fields)s.", fields=joined(unknown, ", "))
            )

    @ma.validates_schema
    def biometrics_are_personal_data(self, data: dict, **kwargs: Any) -> None:
        if self.partial:
            return  # judged on the whole resulting profile by the register
        identifies = data.get("biometric_identification", "none") != "none"
        if identifies and data.get("processes_personal_data") is False:
            raise ma.ValidationError(
                Phrase(
                    "A system that identifies people biometrically processes personal data; "
                    "set processes_personal_data to true."
                ),
                field_name="processes_personal_data",
            )
        if identifies and "biometrics" not in data.get("annex_iii_areas", []):
            raise ma.ValidationError(
                Phrase(
                    "Remote biometric identification is AI Act Annex III point 1; "
                    "add 'biometrics' to annex_iii_areas."
                ),
                field_name="annex_iii_areas",
            )


PROFILE_FIELDS = tuple(SystemProfileSchema().fields)
# Facts that hold a set of choices (rules read them with ``in``), and their vocabularies.
SET_FACTS = {
    "ai_act_roles": vocab.AI_ACT_ROLES,
    "people_affected": vocab.PEOPLE_AFFECTED,
    "annex_iii_areas": vocab.ANNEX_III_AREAS,
}


# Schema 5 kept one AI Act role and two built-in plugin answers where the facts above now stand.
LEGACY_ANSWERS = ("aia_annex_iii_6", "aia_annex_iii_1")
# Schema 5 gave a provider the deployer's duties too (an agency builds what it uses).
LEGACY_ROLES = {"provider": ["provider", "deployer"], "deployer": ["deployer"]}
LEGACY_AREAS = ("biometrics", "law_enforcement")  # the two areas schema 5 could express


def has_legacy_facts(profile: Mapping[str, Any]) -> bool:
    answers = profile.get("answers") or {}
    return "ai_act_role" in profile or any(key in answers for key in LEGACY_ANSWERS)


def upgrade_legacy_facts(profile: dict[str, Any]) -> dict[str, Any]:
    """A profile as schema 5 stored it, in today's facts, with the meaning it had.

    The one translation, used by the schema upgrade (migration 0006) and when completeness
    replays a date before it (the audit trail keeps the old facts, and is never rewritten):
    a deployer stays a deployer and a provider, whose deployer duties schema 5 implied, becomes
    provider and deployer; an Annex III point 6 use means the law-enforcement area, and 6(e)
    profiling means profiling; point 1, or remote biometric identification, means the
    biometrics area. A profile with no schema-5 facts is returned as it is.
    """
    if not has_legacy_facts(profile):
        return profile
    if "ai_act_role" in profile:
        role = profile.pop("ai_act_role")
        profile["ai_act_roles"] = LEGACY_ROLES.get(role, [])
    answers = dict(profile.get("answers") or {})
    point_6 = answers.pop("aia_annex_iii_6", None) or "none"
    point_1 = answers.pop("aia_annex_iii_1", None) or "none"
    kept = [a for a in profile.get("annex_iii_areas") or () if a not in LEGACY_AREAS]
    if point_1 != "none" or profile.get("biometric_identification", "none") != "none":
        kept.append("biometrics")
    if point_6 != "none":
        kept.append("law_enforcement")
    profile["annex_iii_areas"] = [area for area in vocab.ANNEX_III_AREAS if area in kept]
    profile["profiling"] = point_6 == "e_profiling"
    profile["answers"] = answers
    return profile


@dataclass(frozen=True)
class Fact:
    """One fact rules can read: a profile field or a plugin's question, as plugin authors see it."""

    id: str
    type: str  # text, boolean, choice, set (of choices), list (of text), country list
    values: Mapping[str, str]  # allowed values and their meaning (choice and set)
    help: str
    source: str  # "profile", or the question's plugin-facing origin "question"
    default: Any = None


def _fact_of(name: str, field: fields.Field) -> Fact:
    help_text = field.metadata.get("description", "")
    if isinstance(field, fields.Boolean):
        kind, values = "boolean", {}
    elif isinstance(field, fields.List):
        inner = field.inner
        enum = inner.metadata.get("enum")
        if enum:
            kind, values = "set", SET_FACTS.get(name, dict.fromkeys(enum, ""))
        elif name == "countries":
            kind, values = "country list", {}
        else:
            kind, values = "list", {}
    elif field.metadata.get("enum"):
        kind = "choice"
        values = CHOICE_FACTS.get(name) or dict.fromkeys(field.metadata["enum"], "")
    else:
        kind, values = "text", {}
    default = field.load_default if not callable(field.load_default) else field.load_default()
    if default is ma.missing:
        default = None
    return Fact(name, kind, values, help_text, "profile", default)


def facts(questions: Iterable[ProfileQuestion] = ()) -> list[Fact]:
    """Every fact an applicability rule can read: the profile's fields and the plugins' questions."""
    schema = SystemProfileSchema()
    out = [
        _fact_of(name, field) for name, field in schema.fields.items() if name not in NOT_RULE_FACTS
    ]
    for q in questions:
        kind = {"boolean": "boolean", "choice": "choice", "text": "text"}[q.type]
        out.append(
            Fact(q.id, kind, dict.fromkeys(q.choices, ""), q.help or q.label, "question", q.default)
        )
    return out


def fact_help() -> dict[str, str]:
    """The help text of each profile field that has one."""
    return {f.id: f.help for f in facts() if f.help}


# Profile fields that describe publication and contact, not the system: no rule reads them.
NOT_RULE_FACTS = ("published", "publication", "contacts", "answers")
CHOICE_FACTS = {
    "development_approach": vocab.DEVELOPMENT_APPROACHES,
    "lifecycle_stage": vocab.LIFECYCLE_STAGES,
    "risk_level": vocab.RISK_LEVELS,
    "purpose_type": vocab.PURPOSE_TYPES,
    "biometric_identification": vocab.BIOMETRIC_IDENTIFICATION,
}
