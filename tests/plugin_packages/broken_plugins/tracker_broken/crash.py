"""A plugin whose hook raises."""

from tracker.plugin_api import hookimpl


@hookimpl
def tracker_requirements():
    raise RuntimeError("the requirements file could not be parsed")
