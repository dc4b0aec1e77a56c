"""Registering plugins from their entry points: one plugin at a time, each checked (its name
not already taken, importable, written for this plugin API, implementing only tracker hooks and
at least one), and refused with a problem named by plugin when it is not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from tracker import hookspecs, plugin_api
from tracker.lenient import closest
from tracker.plugin_host.catalogue import PluginInfo, PluginProblem

ENTRY_POINT_GROUP = "tracker.plugins"
BUILT_IN_DISTRIBUTION = "ai-evidence-tracker"
HOOK_NAMES = tuple(sorted(name for name in vars(hookspecs) if name.startswith("tracker_")))


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


def register(
    manager: pluggy.PluginManager,
    point: EntryPoint,
    taken: Mapping[str, PluginInfo],
    problems: list[PluginProblem],
) -> PluginInfo:
    """Register one entry point's plugin, or refuse it with a problem; its listing entry either way."""
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
