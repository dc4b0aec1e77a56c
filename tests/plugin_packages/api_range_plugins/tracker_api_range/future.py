"""A plugin declaring plugin API >=2,<3."""

from tracker.plugin_api import hookimpl
from tracker_api_range import jurisdiction, requirement

TRACKER_PLUGIN_API = ">=2,<3"


@hookimpl
def tracker_jurisdictions():
    return jurisdiction("range-future")


@hookimpl
def tracker_requirements():
    return requirement("range-future")
