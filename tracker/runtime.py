"""What the running app shares between requests, and the accessor the API and pages use.

Beside its type so that ``tracker.api`` and ``tracker.web`` reach the shared state without
importing the app factory (``tracker.app``), which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from evidence import EvidenceStore
from tracker import config
from tracker.plugin_host import Catalogue

EXTENSION = "tracker"


@dataclass
class Runtime:
    """What the running app shares between requests."""

    settings: config.Settings
    store: EvidenceStore
    catalogue: Catalogue = field(default_factory=Catalogue)


def runtime() -> Runtime:
    """The current app's shared state (inside a request or an app context)."""
    return current_app.extensions[EXTENSION]
