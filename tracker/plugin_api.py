"""Everything a jurisdiction plugin needs, in one import.

from tracker.plugin_api import Citation, Jurisdiction, ProfileQuestion, Requirement, hookimpl

A plugin module may declare the versions of this API it is written for, as a
PEP 440 version range the tracker checks when it loads the plugin::

    TRACKER_PLUGIN_API = ">=1,<2"

``API_VERSION`` is the version this tracker provides. Its major number changes
when a plugin written for the previous one could break (a hook, a field or a
rule fact removed or changed in meaning); its minor number when something is
only added. A plugin whose range excludes it is refused, naming both.
"""

from tracker.events.kinds import EventKind
from tracker.hookspecs import hookimpl
from tracker.i18n.plugin_texts import MessageCatalogue
from tracker.profile import ProfileQuestion
from tracker.requirements import Citation, Jurisdiction, Requirement
from tracker.territory import EU_MEMBER_STATES, Membership, Territory, uncertain

API_VERSION = "1.2"
# What a plugin that declares no TRACKER_PLUGIN_API is taken to be written for: the API as it
# was before plugins could declare a range, so it keeps loading until the major version changes.
ASSUMED_RANGE = ">=1,<2"

__all__ = [
    "API_VERSION",
    "ASSUMED_RANGE",
    "EU_MEMBER_STATES",
    "Citation",
    "EventKind",
    "Jurisdiction",
    "Membership",
    "MessageCatalogue",
    "ProfileQuestion",
    "Requirement",
    "Territory",
    "hookimpl",
    "uncertain",
]
