"""The AI system profile: its fields, their rules, and the questions plugins may add.

One marshmallow schema validates a profile wherever it comes from (API, CLI,
demo data, web form), so every front end gives the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from tracker import vocabulary as vocab


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


class OperatorSchema(ma.Schema):
    name = text(200, required=True)
    email = fields.Email(required=True)
    unit = text(200, load_default="")


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
            return "Must be true or false."
        if self.type == "choice" and value not in self.choices:
            return f"Must be one of: {', '.join(self.choices)}."
        if self.type == "text" and not isinstance(value, str):
            return "Must be text."
        return None


def check_answers(answers: Mapping[str, Any], questions: Iterable[ProfileQuestion]) -> dict:
    """Per-question error messages for plugin answers (empty when all are valid)."""
    known = {q.id: q for q in questions}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        question = known.get(key)
        if question is None:
            errors[key] = ["Unknown profile question: no enabled jurisdiction asks it."]
        elif (problem := question.check(value)) is not None:
            errors[key] = [problem]
    return errors


class SystemProfileSchema(ma.Schema):
    """Every fact about an AI system that decides which evidence it needs."""

    name = text(200, required=True)
    version = text(80, load_default="")
    vendor = text(200, load_default="")
    purpose = text(5000, required=True, metadata={"description": "What the system is for"})
    authorised_use_cases = fields.List(NonEmptyLine, load_default=list)
    development_approach = choice(vocab.DEVELOPMENT_APPROACHES, required=True)
    lifecycle_stage = choice(vocab.LIFECYCLE_STAGES, required=True)
    risk_level = choice(vocab.RISK_LEVELS, required=True)
    processes_personal_data = fields.Boolean(required=True)
    purpose_type = choice(
        vocab.PURPOSE_TYPES,
        required=True,
        description="law_enforcement: the Law Enforcement Directive applies; administrative: the GDPR",
    )
    biometric_identification = choice(vocab.BIOMETRIC_IDENTIFICATION, load_default="none")
    ai_act_role = choice(vocab.AI_ACT_ROLES, required=True)
    public_facing = fields.Boolean(load_default=False)
    units_with_access = fields.List(NonEmptyLine, load_default=list)
    data_sharing = text(5000, load_default="", metadata={"description": "The data-sharing policy"})
    usage_description = text(
        5000, load_default="", metadata={"description": "How the system is used, day to day"}
    )
    personal_data_handling = text(
        5000,
        load_default="",
        metadata={"description": "How personal data is collected, processed and stored"},
    )
    published = fields.Boolean(
        load_default=False,
        metadata={"description": "Listed in the public transparency register"},
    )
    publication = fields.Dict(
        keys=fields.String(),
        values=choice(vocab.PUBLICATION_LEVELS),
        load_default=dict,
        metadata={
            "description": "Publication level by field, overriding the default "
            "(public, authority or internal)"
        },
    )
    contacts = fields.List(fields.Nested(ContactSchema), load_default=list)
    jurisdictions = fields.List(
        fields.String(),
        load_default=list,
        metadata={
            "description": "Jurisdiction ids the system falls under; empty: every enabled jurisdiction"
        },
    )
    answers = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={"description": "Answers to profile questions declared by jurisdiction plugins"},
    )

    @ma.validates("publication")
    def publication_names_profile_fields(self, value: dict, **kwargs: Any) -> None:
        unknown = sorted(set(value) - set(self.fields) - {"publication"})
        if unknown:
            raise ma.ValidationError(f"Not profile fields: {', '.join(unknown)}.")

    @ma.validates_schema
    def biometrics_are_personal_data(self, data: dict, **kwargs: Any) -> None:
        if self.partial:
            return  # judged on the whole resulting profile by the register
        if data.get("biometric_identification", "none") != "none" and (
            data.get("processes_personal_data") is False
        ):
            raise ma.ValidationError(
                "A system that identifies people biometrically processes personal data; "
                "set processes_personal_data to true.",
                field_name="processes_personal_data",
            )


PROFILE_FIELDS = tuple(SystemProfileSchema().fields)
