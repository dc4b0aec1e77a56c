"""A plugin declaring a plugin API range that is not a PEP 440 specifier."""

from tracker.plugin_api import hookimpl
from tracker_api_range import jurisdiction, requirement

TRACKER_PLUGIN_API = "1.0 or later"


@hookimpl
def tracker_jurisdictions():
    return jurisdiction("range-malformed")


@hookimpl
def tracker_requirements():
    return requirement("range-malformed")
