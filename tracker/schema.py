"""Schema version and upgrades, on top of peewee's migration runner.

The schema version is the number of the newest applied migration file in
``tracker/migrations``. A fresh database is built by running every migration,
so new installs and upgraded installs follow one path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from tracker.models import ALL_MODELS

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SchemaStatus:
    current: int
    latest: int
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def _runner(db: peewee.Database) -> Runner:
    return Runner(db, directory=str(MIGRATIONS_DIR), table_name="schema_migration")


def status(db: peewee.Database) -> SchemaStatus:
    rows = _runner(db).status()
    applied = [m.idx for m in rows if m.applied]
    return SchemaStatus(
        current=max(applied, default=0),
        latest=max((m.idx for m in rows), default=0),
        pending=[m.name for m in rows if not m.applied],
    )


def upgrade(db: peewee.Database, target: int | None = None) -> list[str]:
    """Apply pending migrations up to ``target`` (default: all); return their names."""
    runner = _runner(db)
    name = None
    if target is not None:
        matches = [m.name for m in runner.migrations() if m.idx == target]
        if not matches:
            raise ValueError(f"there is no schema version {target}")
        name = matches[0]
    return runner.up(name)


def drift(db: peewee.Database) -> str:
    """Differences between the models and the database schema ('' when none)."""
    difference = diff_models(db, ALL_MODELS)
    return str(difference) if difference else ""
