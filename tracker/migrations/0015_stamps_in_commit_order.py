"""Schema version 15: on PostgreSQL, stamps are handed out in commit order.

A sequence hands numbers out when asked, not when transactions commit: a write that took stamp
100 could commit after one that took 101, and a reader that had seen 101 as the newest stamp
would never look at the system stamped 100. Stamps now come from one counter row, updated in
the writing transaction: its lock is held until commit, so a later stamp is always a later
commit. (SQLite serialises writers already: nothing changes there.)

Also an index on the portfolio rows' ``changes_at``, read at every check of a date.
"""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    # When a date's rows next change by themselves (the earliest), and which are due: a look-up.
    migrate(migrator.add_index("portfolio_row", ("as_of", "changes_at"), False))
    if not isinstance(db, pw.PostgresqlDatabase):
        return
    db.execute_sql(
        "CREATE TABLE completeness_clock (id INTEGER PRIMARY KEY, stamp BIGINT NOT NULL)"
    )
    db.execute_sql(
        "INSERT INTO completeness_clock (id, stamp) SELECT 1, GREATEST("
        "(SELECT COALESCE(MAX(stamp), 0) FROM completeness_stamp), "
        "(SELECT last_value FROM completeness_stamp_seq))"
    )
    db.execute_sql(
        """
        CREATE OR REPLACE FUNCTION completeness_bump(target bigint) RETURNS void AS $$
        DECLARE
            next_stamp bigint;
        BEGIN
            IF target IS NOT NULL THEN
                UPDATE completeness_clock SET stamp = stamp + 1 WHERE id = 1
                RETURNING stamp INTO next_stamp;
                INSERT INTO completeness_stamp (system_id, stamp) VALUES (target, next_stamp)
                ON CONFLICT (system_id) DO UPDATE SET stamp = EXCLUDED.stamp;
            END IF;
        END $$ LANGUAGE plpgsql
        """
    )
    db.execute_sql("DROP SEQUENCE completeness_stamp_seq")
