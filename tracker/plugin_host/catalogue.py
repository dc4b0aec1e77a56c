"""What loading plugins produces: the validated catalogue, each plugin's listing entry, the
problems found by plugin, and the error for settings that name what no plugin provides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.config import ConfigError
from tracker.errors import NotFound
from tracker.events.kinds import CORE_EVENT_KINDS, EventKind
from tracker.profile import ProfileQuestion
from tracker.requirements import CompiledRule, Jurisdiction, Requirement
from tracker.territory import Deployment


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
