"""A plugin declaring plugin API >=1,<2."""

from tracker.plugin_api import hookimpl
from tracker_api_range import jurisdiction, requirement

TRACKER_PLUGIN_API = ">=1,<2"


@hookimpl
def tracker_jurisdictions():
    return jurisdiction("range-fits")


@hookimpl
def tracker_requirements():
    return requirement("range-fits")
