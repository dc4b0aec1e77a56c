"""Schema version 19: each notification says whether its e-mail listed it.

A digest over ``TRACKER_DIGEST_MAX_ITEMS`` items lists the most urgent and counts the others:
those rows are sent (same Message-ID) but ``listed`` false, and escalation ("reminded
repeatedly with no change") counts only the reminders that named the item. The index escalation
reads (schema 12) gets the column at its end, so that its GROUP BY stays index-only; the
prefixes other queries use are unchanged.

Rows written before this version are all taken as listed: which rows an earlier capped digest
only counted was not recorded.
"""

import peewee as pw
from playhouse.migrate import migrate

OLD = ("state", "sweep_date", "item_key", "status", "kind")


def up(migrator, db):
    # Plain SQL, as in version 12: a default in the database too (a worker of the previous
    # version inserting rows during an upgrade is not refused), and no rebuild of the table on
    # SQLite.
    true = "TRUE" if isinstance(db, pw.PostgresqlDatabase) else "1"
    db.execute_sql(f"ALTER TABLE notification ADD COLUMN listed BOOLEAN NOT NULL DEFAULT {true}")
    migrate(
        migrator.add_index("notification", (*OLD, "listed"), False),
        migrator.drop_index("notification", "notification_" + "_".join(OLD)),
    )
