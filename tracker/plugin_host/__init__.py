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

The package's modules: ``catalogue`` (what loading produces), ``registration`` (entry points
registered and checked one by one), ``hooks`` (typed hook calls) and ``loading``
(:func:`load_catalogue`, which validates what the hooks return). Their public names are
re-exported here, so ``from tracker.plugin_host import load_catalogue`` keeps working.
"""

from __future__ import annotations

from tracker.plugin_host.catalogue import (
    Catalogue,
    CatalogueConfigError,
    PluginInfo,
    PluginProblem,
)
from tracker.plugin_host.loading import deployment_of, load_catalogue, load_catalogue_for
from tracker.plugin_host.registration import (
    BUILT_IN_DISTRIBUTION,
    ENTRY_POINT_GROUP,
    HOOK_NAMES,
    is_built_in,
)

__all__ = [
    "BUILT_IN_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "HOOK_NAMES",
    "Catalogue",
    "CatalogueConfigError",
    "PluginInfo",
    "PluginProblem",
    "deployment_of",
    "is_built_in",
    "load_catalogue",
    "load_catalogue_for",
]
