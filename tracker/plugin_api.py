"""Everything a jurisdiction plugin needs, in one import.

from tracker.plugin_api import Citation, Jurisdiction, ProfileQuestion, Requirement, hookimpl
"""

from tracker.hookspecs import hookimpl
from tracker.profile import ProfileQuestion
from tracker.requirements import Citation, Jurisdiction, Requirement

__all__ = ["Citation", "Jurisdiction", "ProfileQuestion", "Requirement", "hookimpl"]
