"""Loading the catalogue: every plugin registered, its definitions collected and validated
(jurisdictions, profile questions, event kinds, requirements, translations), what the settings
enable kept, and what the settings name that no plugin provides reported."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from tracker import hookspecs
from tracker.config import Settings
from tracker.events.kinds import EventKind, event_kind_problems
from tracker.i18n import plugin_texts
from tracker.i18n.plugin_texts import MessageCatalogue
from tracker.lenient import closest
from tracker.plugin_host.catalogue import Catalogue, PluginInfo, PluginProblem
from tracker.plugin_host.hooks import Collector
from tracker.plugin_host.registration import ENTRY_POINT_GROUP, is_built_in, register
from tracker.profile import PROFILE_FIELDS, ProfileQuestion
from tracker.requirements import (
    Jurisdiction,
    Requirement,
    compile_rule,
    jurisdiction_problems,
    problems_with,
)
from tracker.territory import BINDING_SETTING, Deployment


def load_catalogue(
    enabled: Iterable[str] | None = None,
    in_force_overrides: Mapping[str, date] | None = None,
    points: Iterable[EntryPoint] | None = None,
    *,
    strict: bool = True,
    deployment: Deployment | None = None,
) -> Catalogue:
    """Load every plugin, validate what it declares, and keep what is sound and enabled.

    ``enabled`` lists the jurisdiction ids the deployment wants (None: all installed);
    ``in_force_overrides`` moves a requirement's in-force date; ``deployment`` says where the
    agency works (tracker.territory; default: no country, so laws with a territory reach only
    systems that name their countries or jurisdictions). When a setting names
    something no plugin provides, raise :class:`CatalogueConfigError`; with
    ``strict=False`` return the catalogue with those mistakes in ``configuration``
    instead (for ``tracker plugins list`` and ``check``, which show them).
    """
    manager = pluggy.PluginManager("tracker")
    manager.add_hookspecs(hookspecs)
    catalogue = Catalogue(deployment=deployment or Deployment())
    problems = catalogue.problems
    points = sorted(
        points if points is not None else entry_points(group=ENTRY_POINT_GROUP),
        key=lambda p: (not is_built_in(p), p.name),
    )
    infos: dict[str, PluginInfo] = {}
    for point in points:
        info = register(manager, point, infos, problems)
        catalogue.plugins.append(info)
        infos.setdefault(point.name, info)
    order = [name for name, info in infos.items() if info.loaded]
    collector = Collector(manager, order, problems)
    wanted = set(enabled) if enabled is not None else None

    owner_of: dict[str, str] = {}
    for plugin, declared in collector.collect("tracker_jurisdictions", Jurisdiction).items():
        sound = []
        for jurisdiction in declared:
            if trouble := _checked(jurisdiction_problems, jurisdiction):
                problems.extend(PluginProblem(plugin, t) for t in trouble)
            elif jurisdiction.id not in (j.id for j in sound):
                sound.append(jurisdiction)
        clash = next((j.id for j in sound if j.id in owner_of), None)
        if clash is not None:
            # First come is built-in, or first by name: the newcomer cannot take it over.
            manager.unregister(name=plugin)
            order.remove(plugin)
            infos[plugin].loaded = False
            problems.append(
                PluginProblem(
                    plugin,
                    f"refused: it declares jurisdiction {clash!r}, which "
                    f"{infos[owner_of[clash]].describe()} already provides; a plugin cannot "
                    "replace another plugin's jurisdiction",
                )
            )
            continue
        for jurisdiction in sound:
            owner_of[jurisdiction.id] = plugin
            infos[plugin].jurisdictions.append(jurisdiction.id)
            if wanted is None or jurisdiction.id in wanted:
                catalogue.jurisdictions[jurisdiction.id] = jurisdiction
            else:
                catalogue.disabled.add(jurisdiction.id)
    if unknown := sorted((wanted or set()) - set(owner_of)):
        catalogue.configuration.append(_unknown_jurisdictions(unknown, owner_of, catalogue.plugins))

    questions: dict[str, ProfileQuestion] = {}
    for plugin, declared in collector.collect("tracker_profile_questions", ProfileQuestion).items():
        for question in declared:
            trouble = _checked(ProfileQuestion.problems, question)
            if not trouble and (question.id in questions or question.id in PROFILE_FIELDS):
                trouble.append(f"question id {question.id!r} is already taken")
            if trouble:
                problems.extend(PluginProblem(plugin, t) for t in trouble)
                continue
            questions[question.id] = question
            infos[plugin].question_count += 1
    catalogue.questions = tuple(questions.values())
    _collect_event_kinds(catalogue, collector)

    declared_ids: dict[str, str] = {}
    named: set[str] = set()  # every id a plugin declared, sound or not
    candidates: list[tuple[str, Requirement]] = []
    for plugin, requirements in collector.collect("tracker_requirements", Requirement).items():
        for requirement in requirements:
            trouble = _checked(
                problems_with, requirement, catalogue.questions, catalogue.event_kinds
            )
            label = (
                f"requirement {requirement.id!r}"
                if isinstance(requirement.id, str) and requirement.id
                else "a requirement"
            )
            if isinstance(requirement.id, str):
                named.add(requirement.id)
            # Only a sound definition has an id and a jurisdiction worth comparing with others.
            if not trouble and owner_of.get(requirement.framework) != plugin:
                trouble.append(
                    f"belongs to jurisdiction {requirement.framework!r}, which this plugin does not declare"
                )
            elif not trouble and requirement.id in declared_ids:
                trouble.append(
                    f"duplicate requirement id (already declared by plugin {declared_ids[requirement.id]!r})"
                )
            if trouble:
                problems.extend(PluginProblem(plugin, f"{label}: {t}") for t in trouble)
                continue
            declared_ids[requirement.id] = plugin
            candidates.append((plugin, requirement))

    overrides = dict(in_force_overrides or {})
    for plugin, requirement in candidates:
        for other in requirement.also_satisfied_by:
            if other not in declared_ids:
                problems.append(
                    PluginProblem(
                        plugin,
                        f"requirement {requirement.id!r}: also_satisfied_by names unknown requirement {other!r}",
                    )
                )
        if requirement.framework not in catalogue.jurisdictions:
            continue
        if requirement.id in overrides:
            requirement = dataclasses.replace(requirement, in_force_from=overrides[requirement.id])
        catalogue.requirements[requirement.id] = requirement
        catalogue.rules[requirement.id] = compile_rule(
            requirement.applies_when, catalogue.questions
        )
        infos[plugin].requirement_count += 1
    if unknown := sorted(set(overrides) - named):
        catalogue.configuration.append(
            "TRACKER_IN_FORCE_FROM names "
            + ", ".join(_with_guess(name, named) for name in unknown)
            + ", which no installed plugin declares"
        )
    if unknown := sorted(set(catalogue.deployment.binding or {}) - set(owner_of)):
        catalogue.configuration.append(
            f"{BINDING_SETTING} names "
            + ", ".join(_with_guess(name, owner_of) for name in unknown)
            + ", which no installed plugin provides"
        )
    _collect_translations(catalogue, collector)
    if strict and (error := catalogue.configuration_error()):
        raise error
    return catalogue


def deployment_of(settings: Settings) -> Deployment:
    """Where the deployment works: its countries and its binding answers."""
    return Deployment(settings.agency_countries, settings.binding)


def load_catalogue_for(settings: Settings, *, strict: bool = True) -> Catalogue:
    """The catalogue a deployment configured: its jurisdictions, dates, countries and answers."""
    return load_catalogue(
        settings.jurisdictions,
        settings.in_force_from,
        strict=strict,
        deployment=deployment_of(settings),
    )


def _collect_event_kinds(catalogue: Catalogue, collector: Collector) -> None:
    """Add the plugins' event kinds to the core ones; a kind whose id is taken is left out.

    Kinds are vocabulary, not duties: every loaded plugin's kinds are known, whichever of its
    jurisdictions are enabled, so that events already recorded keep their meaning.
    """
    declared_by = {kind_id: "the tracker" for kind_id in catalogue.event_kinds}
    for plugin, declared in collector.collect("tracker_event_kinds", EventKind).items():
        for kind in declared:
            trouble = _checked(event_kind_problems, kind)
            if not trouble and kind.id in declared_by:
                trouble.append(
                    f"event kind {kind.id!r} is already declared by "
                    + (
                        "the tracker (a core kind: count from it, do not declare it)"
                        if declared_by[kind.id] == "the tracker"
                        else f"plugin {declared_by[kind.id]!r}"
                    )
                )
            if trouble:
                catalogue.problems.extend(PluginProblem(plugin, t) for t in trouble)
                continue
            declared_by[kind.id] = plugin
            catalogue.event_kinds[kind.id] = kind


def _collect_translations(catalogue: Catalogue, collector: Collector) -> None:
    """Install the plugins' message catalogues, and make every definition's texts read in the
    reader's language (tracker.i18n.plugin_texts)."""
    found = []
    for plugin, declared in collector.collect("tracker_translations", MessageCatalogue).items():
        for message_catalogue in declared:
            if trouble := _checked(MessageCatalogue.problems, message_catalogue):
                catalogue.problems.extend(PluginProblem(plugin, t) for t in trouble)
            else:
                found.append(message_catalogue)
    plugin_texts.install(found)
    for definitions in (
        catalogue.jurisdictions,
        catalogue.requirements,
        catalogue.event_kinds,
    ):
        for key, definition in definitions.items():
            definitions[key] = plugin_texts.translatable(definition)
    catalogue.questions = tuple(map(plugin_texts.translatable, catalogue.questions))


def _checked(check: Any, *args: Any) -> list[str]:
    """A validator's messages; a validator that trips over a plugin's odd value is one more."""
    try:
        return list(check(*args))
    except Exception as error:
        return [f"cannot be checked: {type(error).__name__}: {error}"]


def _with_guess(name: str, known: Iterable[str]) -> str:
    guess = closest(name, known)
    return f"{name!r}" + (f" (did you mean {guess!r}?)" if guess else "")


def _unknown_jurisdictions(
    unknown: list[str], owner_of: Mapping[str, str], plugins: list[PluginInfo]
) -> str:
    known = ", ".join(sorted(owner_of)) or "none"
    message = (
        "TRACKER_JURISDICTIONS names "
        + ", ".join(_with_guess(name, owner_of) for name in unknown)
        + f", which no installed plugin provides; the known jurisdictions are: {known}"
    )
    if failed := [p.name for p in plugins if not p.loaded]:
        message += f" (plugins not loaded: {', '.join(failed)}; see `tracker plugins check`)"
    return message
