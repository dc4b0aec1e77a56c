"""The portfolio tests' agency: the demo agency's year, with a legal user and a DPO to write."""

from __future__ import annotations

import pytest

from evidence import ContentStore
from tracker import accounts
from tracker.plugin_host import load_catalogue_for


@pytest.fixture
def agency(settings, migrated, demo, demo_snapshots):
    demo_snapshots.copy_into(settings, demo)
    legal = accounts.create_user("index-legal", "legal", "test")
    dpo = accounts.create_user("index-dpo", "dpo", "test")
    return load_catalogue_for(settings), ContentStore(settings.evidence_dir), legal, dpo
