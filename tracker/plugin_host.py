"""Loading jurisdiction plugins: a small typed facade over pluggy.

Plugins are found through the ``tracker.plugins`` entry-point group, built-in
ones exactly like third-party ones. Each is loaded, registered and checked on
its own (``check_pending`` refuses hooks the tracker does not define, and a
module that implements no hook at all is refused too), its definitions are
validated, and whatever is broken is reported by plugin and left out, so one
bad plugin never takes the others down.

Built-in plugins (those of this project's own distribution) are loaded first
and own their jurisdictions: a plugin that declares a jurisdiction another
plugin already provides is refused as a whole and named, whatever its entry
point is called. Settings that name a jurisdiction or requirement no plugin
provides are a configuration error (:class:`CatalogueConfigError`), raised
after loading so that every entry point stops with the same message.

Problems are returned, not logged: each caller reports them exactly once.
"""

from __future__ import annotations

import dataclasses
import re
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from tracker import hookspecs, plugin_api
from tracker.config import ConfigError, Settings
from tracker.errors import NotFound
from tracker.events.kinds import CORE_EVENT_KINDS, EventKind, event_kind_problems
from tracker.i18n import plugin_texts
from tracker.i18n.plugin_texts import MessageCatalogue
from tracker.lenient import closest, short_path
from tracker.profile import PROFILE_FIELDS, ProfileQuestion
from tracker.requirements import (
    CompiledRule,
    Jurisdiction,
    Requirement,
    compile_rule,
    jurisdiction_problems,
    problems_with,
)
from tracker.territory import BINDING_SETTING, Deployment

ENTRY_POINT_GROUP = "tracker.plugins"
BUILT_IN_DISTRIBUTION = "ai-evidence-tracker"
HOOK_NAMES = tuple(sorted(name for name in vars(hookspecs) if name.startswith("tracker_")))


class CatalogueConfigError(ConfigError):
    """The settings name jurisdictions or requirements that no installed plugin provides."""


@dataclass(frozen=True)
class PluginProblem:
    plugin: str
    problem: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r}: {self.problem}"


@dataclass
class PluginInfo:
    name: str
    module: str
    distribution: str = ""
    version: str = ""
    jurisdictions: list[str] = field(default_factory=list)
    requirement_count: int = 0
    question_count: int = 0
    loaded: bool = True
    built_in: bool = False
    # The plugin API versions it declares it is written for (TRACKER_PLUGIN_API); "" if none.
    api_range: str = ""

    def describe(self) -> str:
        """How a message names the plugin: built-in, or with the package it comes from."""
        if self.built_in:
            return f"built-in plugin {self.name!r}"
        source = f"{self.distribution} {self.version}".strip() or self.module
        return f"plugin {self.name!r} ({source})"


@dataclass
class Catalogue:
    """What the enabled plugins provide, validated."""

    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    questions: tuple[ProfileQuestion, ...] = ()
    # Kinds of events deadlines count from: the core ones, then those plugins declare.
    event_kinds: dict[str, EventKind] = field(
        default_factory=lambda: {kind.id: kind for kind in CORE_EVENT_KINDS}
    )
    rules: dict[str, CompiledRule] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    problems: list[PluginProblem] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)
    # What the settings name that no plugin provides; load_catalogue raises it unless strict=False.
    configuration: list[str] = field(default_factory=list)
    # Where the deployment works: its countries and its answers for uncertain territories.
    deployment: Deployment = field(default_factory=Deployment)
    # What other modules derive from the catalogue and keep with it, such as the completeness
    # engine's evaluators and their caches. A loaded catalogue never changes, so neither do they.
    derived: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def requirement(self, requirement_id: str) -> Requirement:
        try:
            return self.requirements[requirement_id]
        except KeyError:
            raise NotFound("requirement", requirement_id) from None

    def question_defaults(self) -> dict[str, Any]:
        return {q.id: q.default for q in self.questions}

    def configuration_error(self) -> CatalogueConfigError | None:
        """The settings' mistakes as one error (one line), or None when there are none."""
        return CatalogueConfigError("; ".join(self.configuration)) if self.configuration else None


def _where(error: BaseException, module: Any) -> str:
    """``file.py:line`` of the innermost frame of the traceback that is the plugin's own code."""
    package = getattr(module, "__name__", "").split(".")[0]
    found = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = frame.f_globals.get("__name__", "")
        if package and (name == package or name.startswith(f"{package}.")):
            found = f"{short_path(frame.f_code.co_filename, name)}:{line}"
    return found


class _Collector:
    """Calls one hook of each plugin, turning failures and wrong types into problems."""

    def __init__(
        self, manager: pluggy.PluginManager, order: list[str], problems: list[PluginProblem]
    ) -> None:
        self.manager = manager
        self.order = order
        self.problems = problems

    def collect(self, hook_name: str, expected: type) -> dict[str, list[Any]]:
        """Each plugin's results, in plugin order (built-ins first), whatever pluggy's order."""
        impls = {
            impl.plugin_name: impl for impl in getattr(self.manager.hook, hook_name).get_hookimpls()
        }
        results: dict[str, list[Any]] = {}
        for plugin in self.order:
            impl = impls.get(plugin)
            if impl is None:
                continue
            try:
                returned = impl.function()
            except Exception as error:  # a plugin's bug must not stop the others
                where = _where(error, impl.plugin)
                self.problems.append(
                    PluginProblem(
                        plugin,
                        f"{hook_name}() failed: {type(error).__name__}: {error}"
                        + (f" (at {where})" if where else ""),
                    )
                )
                continue
            if returned is None:
                returned = []
            if not isinstance(returned, list | tuple):
                self.problems.append(
                    PluginProblem(
                        plugin, f"{hook_name}() returned {type(returned).__name__}, not a list"
                    )
                )
                continue
            wrong = [v for v in returned if not isinstance(v, expected)]
            if wrong:
                self.problems.append(
                    PluginProblem(
                        plugin,
                        f"{hook_name}() returned {type(wrong[0]).__name__}, not {expected.__name__}",
                    )
                )
            results[plugin] = [v for v in returned if isinstance(v, expected)]
        return results


def is_built_in(point: EntryPoint) -> bool:
    name = point.dist.name if point.dist is not None else ""
    return re.sub(r"[-_.]+", "-", name).lower() == BUILT_IN_DISTRIBUTION


def _unmarked(module: Any) -> list[str]:
    """Functions named like tracker hooks that lack ``@hookimpl``, which pluggy silently skips."""
    return sorted(
        name
        for name, value in vars(module).items()
        if name.startswith("tracker_") and callable(value) and not hasattr(value, "tracker_impl")
    )


def _unknown_hooks(module: Any) -> str:
    """The ``@hookimpl`` functions that are not tracker hooks, each with the hook it may mean."""
    names = [
        name
        for name, value in vars(module).items()
        if hasattr(value, "tracker_impl") and name not in HOOK_NAMES
    ]
    return ", ".join(
        f"unknown hook {name!r}"
        + (f" (did you mean {guess!r}?)" if (guess := closest(name, HOOK_NAMES)) else "")
        for name in sorted(names)
    )


def _register(
    manager: pluggy.PluginManager,
    point: EntryPoint,
    taken: Mapping[str, PluginInfo],
    problems: list[PluginProblem],
) -> PluginInfo:
    info = PluginInfo(name=point.name, module=point.value, built_in=is_built_in(point))
    if point.dist is not None:
        info.distribution, info.version = point.dist.name, point.dist.version
    if point.name in taken:
        # Named apart, so that neither the list nor the API pins its problem on the other.
        info.name = f"{point.name} ({info.distribution or point.value})"
        info.loaded = False
        problems.append(
            PluginProblem(
                info.name,
                f"refused: its entry point name {point.name!r} is already used by "
                f"{taken[point.name].describe()}",
            )
        )
        return info
    try:
        module = point.load()
    except Exception as error:
        problems.append(
            PluginProblem(
                point.name, f"cannot be imported ({point.value}): {type(error).__name__}: {error}"
            )
        )
        info.loaded = False
        return info
    if not info.built_in and (refusal := _api_refusal(module, info)):
        problems.append(PluginProblem(point.name, refusal))
        info.loaded = False
        return info
    try:
        manager.register(module, name=point.name)
        manager.check_pending()
    except (pluggy.PluginValidationError, ValueError) as error:
        if manager.is_registered(module):
            manager.unregister(module)
        unknown = isinstance(error, pluggy.PluginValidationError) and _unknown_hooks(module)
        problems.append(PluginProblem(point.name, f"refused: {unknown or error}"))
        info.loaded = False
        return info
    unmarked = _unmarked(module)
    if not manager.get_hookcallers(module):
        manager.unregister(module)
        info.loaded = False
        problems.append(
            PluginProblem(
                point.name,
                "provides nothing: no function of "
                f"{point.value} is marked @hookimpl"
                + (f" ({', '.join(unmarked)} lack it)" if unmarked else "")
                + "; decorate each hook with @hookimpl from tracker.plugin_api",
            )
        )
        return info
    for name in unmarked:
        if name in HOOK_NAMES:
            problems.append(
                PluginProblem(
                    point.name,
                    f"{name}() is not marked @hookimpl, so the tracker never calls it",
                )
            )
    return info


def _api_refusal(module: Any, info: PluginInfo) -> str | None:
    """Why the plugin's declared API range refuses this tracker, or None when it fits.

    Built-in plugins ship with the host and are never checked. A plugin that declares no
    range is taken to be written for the API before ranges existed (``ASSUMED_RANGE``).
    The host's version is read at call time, so it is the one in force.
    """
    declared = getattr(module, "TRACKER_PLUGIN_API", None)
    host = plugin_api.API_VERSION
    if declared is None:
        wanted = SpecifierSet(plugin_api.ASSUMED_RANGE)
        if Version(host) in wanted:
            return None
        return (
            f"refused: it declares no TRACKER_PLUGIN_API, so it is taken to be written for plugin "
            f"API {plugin_api.ASSUMED_RANGE}, and this tracker provides plugin API {host}"
        )
    if not isinstance(declared, str):
        return (
            f"refused: TRACKER_PLUGIN_API must be text such as '>=1,<2', "
            f"not {type(declared).__name__}"
        )
    try:
        # An empty range would match every version: no declaration at all, in disguise.
        wanted = SpecifierSet(declared) if declared.strip() else None
    except InvalidSpecifier:
        wanted = None
    if wanted is None:
        return (
            f"refused: TRACKER_PLUGIN_API {declared!r} is not a version range "
            "(a PEP 440 specifier such as '>=1,<2')"
        )
    info.api_range = declared
    if Version(host) not in wanted:
        return (
            f"refused: it is written for plugin API {declared} (TRACKER_PLUGIN_API), and this "
            f"tracker provides plugin API {host}"
        )
    return None


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
        info = _register(manager, point, infos, problems)
        catalogue.plugins.append(info)
        infos.setdefault(point.name, info)
    order = [name for name, info in infos.items() if info.loaded]
    collector = _Collector(manager, order, problems)
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


def _collect_event_kinds(catalogue: Catalogue, collector: _Collector) -> None:
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


def _collect_translations(catalogue: Catalogue, collector: _Collector) -> None:
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
