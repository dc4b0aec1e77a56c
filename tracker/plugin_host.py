"""Loading jurisdiction plugins: a small typed facade over pluggy.

Plugins are found through the ``tracker.plugins`` entry-point group, built-in
ones exactly like third-party ones. Each is loaded, registered and checked on
its own (``check_pending`` refuses hooks the tracker does not define), its
definitions are validated, and whatever is broken is reported by plugin and
left out, so one bad plugin never takes the others down.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from tracker import hookspecs
from tracker.errors import NotFound
from tracker.profile import PROFILE_FIELDS, ProfileQuestion
from tracker.requirements import (
    CompiledRule,
    Jurisdiction,
    Requirement,
    compile_rule,
    problems_with,
)

ENTRY_POINT_GROUP = "tracker.plugins"
log = logging.getLogger(__name__)


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


@dataclass
class Catalogue:
    """What the enabled plugins provide, validated."""

    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    questions: tuple[ProfileQuestion, ...] = ()
    rules: dict[str, CompiledRule] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    problems: list[PluginProblem] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)
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


class _Collector:
    """Calls one hook of one plugin, turning failures and wrong types into problems."""

    def __init__(self, manager: pluggy.PluginManager, problems: list[PluginProblem]) -> None:
        self.manager = manager
        self.problems = problems

    def collect(self, hook_name: str, expected: type) -> dict[str, list[Any]]:
        results: dict[str, list[Any]] = {}
        for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
            try:
                values = list(impl.function() or [])
            except Exception as error:  # a plugin's bug must not stop the others
                self.problems.append(
                    PluginProblem(
                        impl.plugin_name, f"{hook_name}() failed: {type(error).__name__}: {error}"
                    )
                )
                continue
            wrong = [v for v in values if not isinstance(v, expected)]
            if wrong:
                self.problems.append(
                    PluginProblem(
                        impl.plugin_name,
                        f"{hook_name}() returned {type(wrong[0]).__name__}, not {expected.__name__}",
                    )
                )
            results[impl.plugin_name] = [v for v in values if isinstance(v, expected)]
        return results


def _register(
    manager: pluggy.PluginManager, point: EntryPoint, problems: list[PluginProblem]
) -> PluginInfo:
    info = PluginInfo(name=point.name, module=point.value)
    if point.dist is not None:
        info.distribution, info.version = point.dist.name, point.dist.version
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
    try:
        manager.register(module, name=point.name)
        manager.check_pending()
    except (pluggy.PluginValidationError, ValueError) as error:
        if manager.is_registered(module):
            manager.unregister(module)
        problems.append(PluginProblem(point.name, f"refused: {error}"))
        info.loaded = False
    return info


def load_catalogue(
    enabled: Iterable[str] | None = None,
    in_force_overrides: Mapping[str, date] | None = None,
    points: Iterable[EntryPoint] | None = None,
) -> Catalogue:
    """Load every plugin, validate what it declares, and keep what is sound and enabled.

    ``enabled`` lists the jurisdiction ids the deployment wants (None: all installed);
    ``in_force_overrides`` moves a requirement's in-force date.
    """
    manager = pluggy.PluginManager("tracker")
    manager.add_hookspecs(hookspecs)
    catalogue = Catalogue()
    problems = catalogue.problems
    points = sorted(
        points if points is not None else entry_points(group=ENTRY_POINT_GROUP),
        key=lambda p: p.name,
    )
    infos = {point.name: _register(manager, point, problems) for point in points}
    catalogue.plugins = list(infos.values())
    collector = _Collector(manager, problems)
    wanted = set(enabled) if enabled is not None else None

    owner_of: dict[str, str] = {}
    for plugin, jurisdictions in collector.collect("tracker_jurisdictions", Jurisdiction).items():
        for jurisdiction in jurisdictions:
            if jurisdiction.id in owner_of:
                problems.append(
                    PluginProblem(
                        plugin,
                        f"jurisdiction {jurisdiction.id!r} is already provided by plugin {owner_of[jurisdiction.id]!r}",
                    )
                )
                continue
            owner_of[jurisdiction.id] = plugin
            infos[plugin].jurisdictions.append(jurisdiction.id)
            if wanted is None or jurisdiction.id in wanted:
                catalogue.jurisdictions[jurisdiction.id] = jurisdiction
            else:
                catalogue.disabled.add(jurisdiction.id)
    for unknown in sorted((wanted or set()) - set(owner_of)):
        problems.append(
            PluginProblem(
                "configuration",
                f"TRACKER_JURISDICTIONS names {unknown!r}, which no installed plugin provides",
            )
        )

    questions: dict[str, ProfileQuestion] = {}
    for plugin, declared in collector.collect("tracker_profile_questions", ProfileQuestion).items():
        for question in declared:
            trouble = question.problems()
            if question.id in questions or question.id in PROFILE_FIELDS:
                trouble.append(f"question id {question.id!r} is already taken")
            if trouble:
                problems.extend(PluginProblem(plugin, t) for t in trouble)
                continue
            questions[question.id] = question
            infos[plugin].question_count += 1
    catalogue.questions = tuple(questions.values())

    declared_ids: dict[str, str] = {}
    candidates: list[tuple[str, Requirement]] = []
    for plugin, requirements in collector.collect("tracker_requirements", Requirement).items():
        for requirement in requirements:
            trouble = problems_with(requirement, catalogue.questions)
            if requirement.id in declared_ids:
                trouble.append(
                    f"duplicate requirement id (already declared by plugin {declared_ids[requirement.id]!r})"
                )
            elif owner_of.get(requirement.framework) != plugin:
                trouble.append(
                    f"belongs to jurisdiction {requirement.framework!r}, which this plugin does not declare"
                )
            if trouble:
                problems.extend(
                    PluginProblem(plugin, f"requirement {requirement.id!r}: {t}") for t in trouble
                )
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
            requirement = dataclasses.replace(
                requirement, in_force_from=overrides.pop(requirement.id)
            )
        catalogue.requirements[requirement.id] = requirement
        catalogue.rules[requirement.id] = compile_rule(
            requirement.applies_when, catalogue.questions
        )
        infos[plugin].requirement_count += 1
    for unknown in sorted(overrides):
        problems.append(
            PluginProblem(
                "configuration", f"TRACKER_IN_FORCE_FROM names unknown requirement {unknown!r}"
            )
        )
    for problem in problems:
        log.warning("%s", problem)
    return catalogue
