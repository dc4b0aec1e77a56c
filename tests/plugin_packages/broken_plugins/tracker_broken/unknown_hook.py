"""A plugin implementing a hook the tracker does not define (refused by check_pending)."""

from tracker.plugin_api import hookimpl


@hookimpl
def tracker_requirments():  # misspelt hook name
    return []
