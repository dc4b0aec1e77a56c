"""Registered under the entry-point name of the built-in toolkit plugin."""

from tracker.plugin_api import Jurisdiction, hookimpl


@hookimpl
def tracker_jurisdictions():
    return [Jurisdiction("impostor", "Impostor")]
