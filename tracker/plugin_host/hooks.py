"""Typed hook calls: each plugin's results of one hook, in plugin order, with a plugin's
failure or wrongly typed result turned into a problem named by plugin."""

from __future__ import annotations

import traceback
from typing import Any

import pluggy

from tracker.lenient import short_path
from tracker.plugin_host.catalogue import PluginProblem


def _where(error: BaseException, module: Any) -> str:
    """``file.py:line`` of the innermost frame of the traceback that is the plugin's own code."""
    package = getattr(module, "__name__", "").split(".")[0]
    found = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = frame.f_globals.get("__name__", "")
        if package and (name == package or name.startswith(f"{package}.")):
            found = f"{short_path(frame.f_code.co_filename, name)}:{line}"
    return found


class Collector:
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
