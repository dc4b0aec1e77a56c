"""A plugin that declares no plugin API range (written before ranges existed)."""

from tracker.plugin_api import hookimpl
from tracker_api_range import jurisdiction, requirement


@hookimpl
def tracker_jurisdictions():
    return jurisdiction("range-undeclared")


@hookimpl
def tracker_requirements():
    return requirement("range-undeclared")
