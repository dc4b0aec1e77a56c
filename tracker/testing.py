"""Helpers for plugin authors: load a plugin as the tracker does, try its rules, see whom it hits.

Plain Python, usable from any test runner::

    import tracker_ruritania
    from tracker.testing import evaluate, problems

    def test_the_plugin_is_sound():
        assert problems(tracker_ruritania) == []

    def test_the_register_entry_applies_to_law_enforcement():
        applies = evaluate(tracker_ruritania, {"purpose_type": "law_enforcement"})
        assert applies["ruritania.register_entry"] is True

A plugin is given as its module, as the name of its installed entry point (``ruritania``),
or as a module reference (``tracker_ruritania`` or ``package.module:object``). It is loaded
by the tracker's own plugin host beside every other installed plugin, so its definitions
are checked exactly as at start-up (a jurisdiction another plugin owns, a question id that
is taken, an unknown fact in a rule...). A list of :class:`Requirement` is accepted too:
each is then checked as the host checks one requirement.

:func:`affected_systems` answers "which of our registered systems would this plugin's
requirements apply to?" against a real database, before the plugin is enabled.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import marshmallow as ma

from tracker import db
from tracker.completeness import evaluator_for, load_snapshot
from tracker.errors import TrackerError, ValidationFailed
from tracker.lenient import closest
from tracker.plugin_host import (
    ENTRY_POINT_GROUP,
    Catalogue,
    PluginInfo,
    deployment_of,
    load_catalogue,
)
from tracker.profile import ProfileQuestion, SystemProfileSchema, check_answers
from tracker.requirements import CompiledRule, Requirement, compile_rule, problems_with
from tracker.territory import Deployment

PluginRef = ModuleType | str | Iterable[Requirement]

__all__ = [
    "AffectedSystem",
    "LoadedPlugin",
    "PluginDefinitionError",
    "affected_in",
    "affected_systems",
    "evaluate",
    "load_plugin",
    "problems",
    "rule_profile",
]


class PluginDefinitionError(TrackerError):
    """The plugin's definitions have problems the tracker would report at start-up."""

    title = "Plugin definitions have problems"

    def __init__(self, plugin: str, messages: list[str]) -> None:
        self.plugin = plugin
        self.problems = list(messages)
        super().__init__(
            f"plugin {plugin!r} has {len(messages)} problem(s): " + "; ".join(self.problems)
        )


@dataclass
class LoadedPlugin:
    """One plugin as the host loaded it, with the catalogue it was loaded into."""

    name: str
    catalogue: Catalogue
    problems: list[str]
    info: PluginInfo | None = None
    requirements: dict[str, Requirement] = field(default_factory=dict)
    rules: dict[str, CompiledRule] = field(default_factory=dict)
    questions: tuple[ProfileQuestion, ...] = ()

    @property
    def jurisdictions(self) -> list[str]:
        return list(self.info.jurisdictions) if self.info else []

    def raise_problems(self) -> None:
        if self.problems:
            raise PluginDefinitionError(self.name, self.problems)


def _entry_point(plugin: ModuleType | str) -> tuple[EntryPoint, list[EntryPoint]]:
    """The plugin's entry point (installed, or made for it) and every other installed one."""
    installed = list(entry_points(group=ENTRY_POINT_GROUP))
    if isinstance(plugin, ModuleType):
        reference = plugin.__name__
    else:
        reference = plugin.strip()
        named = [p for p in installed if p.name == reference]
        if named:
            return named[0], [p for p in installed if p is not named[0]]
    same = [p for p in installed if p.value == reference]
    if same:
        return same[0], [p for p in installed if p is not same[0]]
    module_name = reference.split(":", 1)[0]
    if not module_name:
        raise TrackerError("give the plugin's entry point name or module name")
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name or module_name.startswith(f"{error.name}."):
            known = sorted(p.name for p in installed)
            guess = closest(reference, known)
            raise TrackerError(
                f"no installed plugin or importable module is named {reference!r}"
                + (f" (did you mean {guess!r}?)" if guess else "")
                + "; give an entry point name from `tracker plugins list` or a module name"
            ) from None
        # The module exists but imports something missing: the host reports that, as it would.
    except Exception:
        pass  # the module is there but fails to import: the host reports how, as at start-up
    return EntryPoint(reference, reference, ENTRY_POINT_GROUP), installed


def plugin_module(plugin: str) -> ModuleType:
    """The module of ``plugin``: an installed entry point name, or an importable module."""
    point, _others = _entry_point(plugin)
    try:
        return point.load()
    except Exception as error:
        raise TrackerError(
            f"plugin {plugin!r} cannot be imported ({point.value}): {type(error).__name__}: {error}"
        ) from None


def load_plugin(
    plugin: ModuleType | str,
    enabled: Iterable[str] | None = None,
    in_force_overrides: Mapping[str, date] | None = None,
    **options: Any,
) -> LoadedPlugin:
    """Load ``plugin`` with every other installed plugin, as the tracker would at start-up.

    An installed plugin of the same entry point name or module is replaced by the one
    given. ``enabled`` lists the deployment's jurisdictions (None: all); the plugin's own
    are always enabled, since the question is what enabling it would do. ``options`` go to
    :func:`tracker.plugin_host.load_catalogue` as they are.
    """
    point, others = _entry_point(plugin)
    points = [*others, point]
    catalogue = load_catalogue(None, in_force_overrides, points, strict=False, **options)
    info = next((p for p in catalogue.plugins if p.name == point.name), None)
    mine = set(info.jurisdictions) if info else set()
    if enabled is not None:
        # Known only once loaded: the jurisdictions the plugin declares, enabled with the rest.
        wanted = {*enabled, *mine}
        catalogue = load_catalogue(wanted, in_force_overrides, points, strict=False, **options)
        info = next((p for p in catalogue.plugins if p.name == point.name), None)
    requirements = {rid: r for rid, r in catalogue.requirements.items() if r.framework in mine}
    return LoadedPlugin(
        name=point.name,
        catalogue=catalogue,
        problems=[p.problem for p in catalogue.problems if p.plugin == point.name],
        info=info,
        requirements=requirements,
        rules={rid: catalogue.rules[rid] for rid in requirements},
        questions=catalogue.questions,
    )


def _load_list(
    requirements: Iterable[Requirement], questions: Iterable[ProfileQuestion]
) -> LoadedPlugin:
    """A list of requirements, each checked as the host checks one (plus duplicate ids)."""
    catalogue = load_catalogue(strict=False)
    known = (*catalogue.questions, *questions)
    loaded = LoadedPlugin("requirements", catalogue, [], questions=known)
    for requirement in requirements:
        if not isinstance(requirement, Requirement):
            loaded.problems.append(f"{requirement!r} is not a Requirement")
            continue
        label = f"requirement {requirement.id!r}"
        trouble = problems_with(requirement, known)
        if not trouble and requirement.id in loaded.requirements:
            trouble = ["duplicate requirement id"]
        if trouble:
            loaded.problems.extend(f"{label}: {t}" for t in trouble)
            continue
        loaded.requirements[requirement.id] = requirement
        loaded.rules[requirement.id] = compile_rule(requirement.applies_when, known)
    return loaded


def _loaded(plugin: PluginRef, questions: Iterable[ProfileQuestion] = ()) -> LoadedPlugin:
    if isinstance(plugin, ModuleType | str):
        return load_plugin(plugin)
    if isinstance(plugin, Requirement):
        plugin = [plugin]
    return _load_list(plugin, questions)


def problems(plugin: PluginRef, questions: Iterable[ProfileQuestion] = ()) -> list[str]:
    """What the tracker would report about the plugin's definitions (empty when sound)."""
    return _loaded(plugin, questions).problems


def _accepted_values(field_: ma.fields.Field) -> str:
    if isinstance(field_, ma.fields.Boolean):
        return "true or false"
    inner = getattr(field_, "inner", None)
    enum = field_.metadata.get("enum") or (inner.metadata.get("enum") if inner else None)
    if enum:
        return ("a list of " if inner else "one of ") + ", ".join(enum)
    return "a list" if inner else "text"


def rule_profile(
    profile: Mapping[str, Any], questions: Iterable[ProfileQuestion] = ()
) -> dict[str, Any]:
    """A partial profile completed as the tracker's rules see a stored one.

    Facts not given take the profile schema's default, and questions their declared
    default; answers may be given at the top level (as rules name them) or under
    ``answers``. Each given value is checked by the profile's own rules; a fact the schema
    requires and has no default for stays absent (:func:`evaluate` says when a rule needs it).
    """
    schema = SystemProfileSchema()
    asked = {q.id: q for q in questions}
    given = dict(profile)
    answers = dict(given.pop("answers", None) or {})
    for name in [n for n in given if n in asked]:
        answers[name] = given.pop(name)
    errors: dict[str, Any] = {}
    for name in given:
        if name not in schema.fields:
            guess = closest(name, [*schema.fields, *asked])
            errors[name] = [
                "Not a profile fact or plugin question"
                + (f"; did you mean {guess!r}?" if guess else ".")
            ]
    clean: dict[str, Any] = {}
    if not errors:
        try:
            # partial: only what was given is checked; cross-field rules need a whole profile.
            clean = SystemProfileSchema(partial=True).load(given)
        except ma.ValidationError as error:
            errors.update(error.normalized_messages())
    if answer_errors := check_answers(answers, asked.values()):
        errors["answers"] = answer_errors
    if errors:
        raise ValidationFailed(errors)
    out: dict[str, Any] = {}
    for name, field_ in schema.fields.items():
        if name in clean:
            out[name] = clean[name]
        elif field_.load_default is not ma.missing:
            default = field_.load_default
            out[name] = default() if callable(default) else default
    out["answers"] = answers
    for question in asked.values():
        out[question.id] = answers.get(question.id, question.default)
    return out


def evaluate(
    plugin: PluginRef,
    profile: Mapping[str, Any],
    *,
    questions: Iterable[ProfileQuestion] = (),
) -> dict[str, bool]:
    """Whether each of the plugin's requirements applies to ``profile``: ``{id: bool}``.

    The plugin is checked first, as the tracker checks it at start-up: any problem raises
    :class:`PluginDefinitionError` listing them all. ``profile`` may be partial (see
    :func:`rule_profile`); a bad value raises ``ValidationFailed`` naming the fact, and a
    rule that reads a fact the profile neither gives nor has a default for raises
    ``ValidationFailed`` naming the fact, the requirement and the values it can take.

    Only the applicability rule is judged: whether a jurisdiction covers the system and
    whether the requirement is in force on a date are the completeness engine's to decide
    (see :func:`affected_systems` for registered systems). ``questions`` adds questions
    for a plain list of requirements; a plugin module brings its own.
    """
    loaded = _loaded(plugin, questions)
    loaded.raise_problems()
    facts = rule_profile(profile, loaded.questions)
    schema = SystemProfileSchema()
    missing: dict[str, list[str]] = {}
    for requirement_id, rule in loaded.rules.items():
        for name in rule.symbols:
            if name not in facts:
                accepted = _accepted_values(schema.fields[name]) if name in schema.fields else ""
                missing.setdefault(name, []).append(
                    f"The rule of {requirement_id!r} reads it and it has no default"
                    + (f": give {accepted}." if accepted else ".")
                )
    if missing:
        raise ValidationFailed(missing)
    return {requirement_id: rule.applies(facts) for requirement_id, rule in loaded.rules.items()}


@dataclass(frozen=True)
class AffectedSystem:
    id: int
    name: str


def affected_systems(plugin: ModuleType | str, where: Any) -> dict[str, list[AffectedSystem]]:
    """The registered systems each of the plugin's requirements would apply to, if enabled.

    ``where`` is the deployment's :class:`tracker.config.Settings` (its database, enabled
    jurisdictions, in-force dates, countries and binding answers) or a database URL (every
    installed jurisdiction enabled, no country declared), to which the tracker's database proxy is bound. Applicability is decided by the completeness engine itself, on the systems'
    profiles as they are today, retired systems left out; whether a
    requirement is already in force does not matter here. Returns ``{requirement id:
    [AffectedSystem(id, name), ...]}`` with every requirement of the plugin, affected or not.
    The plugin's problems do not stop it: the host would leave the broken definitions out,
    and so does this (see :func:`problems`).
    """
    if isinstance(where, str):
        url, enabled, overrides, deployment = where, None, {}, Deployment()
    else:
        url, enabled, overrides = where.database_url, where.jurisdictions, where.in_force_from
        deployment = deployment_of(where)
    loaded = load_plugin(plugin, enabled, overrides, deployment=deployment)
    # Binds the tracker's database proxy to ``url``, as the `tracker` command does.
    database = db.connect(url, create=False)
    try:
        return affected_in(loaded, date.today())
    finally:
        database.close()


def affected_in(loaded: LoadedPlugin, as_of: date) -> dict[str, list[AffectedSystem]]:
    """:func:`affected_systems` on the database already bound and connected."""
    snapshot = load_snapshot(as_of, loaded.catalogue)
    evaluator = evaluator_for(loaded.catalogue)
    found: dict[str, list[AffectedSystem]] = {rid: [] for rid in loaded.requirements}
    for system in snapshot.systems:
        for requirement in evaluator.applicable(system):
            if requirement.id in found:
                found[requirement.id].append(AffectedSystem(system.id, system.name))
    return found
