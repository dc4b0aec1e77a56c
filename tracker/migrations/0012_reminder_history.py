"""Schema version 12: the reminder ledger's escalation history, counted in SQL.

Each notification keeps the status its item had (until now only inside the JSON payload), and
one index covers what escalation counts: sent rows of a look-back window, by item and status.
The sweep then reads a GROUP BY over that index instead of every row's payload.

Independent of versions 11 and 13: either may be applied first.
"""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    # Plain SQL: a default in the database too, so a worker of the previous version still
    # inserting rows during an upgrade is not refused; and on SQLite no rebuild of the table
    # (peewee's migrator adds a NOT NULL column by copying the whole ledger).
    db.execute_sql("ALTER TABLE notification ADD COLUMN status VARCHAR(30) NOT NULL DEFAULT ''")
    # Rows written before this version: their status from the payload they carry.
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql("UPDATE notification SET status = COALESCE(payload->>'status', '')")
    else:
        db.execute_sql(
            "UPDATE notification SET status = COALESCE(json_extract(payload, '$.status'), '')"
        )
    migrate(
        migrator.add_index(
            "notification", ("state", "sweep_date", "item_key", "status", "kind"), False
        ),
    )
