"""Schema version 15: on PostgreSQL, stamps are handed out in commit order.

A sequence hands numbers out when asked, not when transactions commit: a write that took stamp
100 could commit after one that took 101, and a reader that had seen 101 as the newest stamp
would never look at the system stamped 100. A writer now takes a transaction-level advisory lock
(one per schema) before its first stamp and holds it until it commits, so a later stamp is
always a later commit. A lock rather than a counter row: a bulk import updating one row a
million times in a transaction slows down with every version it leaves. (SQLite serialises
writers already: nothing changes there.)

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
        """
        CREATE OR REPLACE FUNCTION completeness_bump(target bigint) RETURNS void AS $$
        BEGIN
            IF target IS NOT NULL THEN
                -- Held until this transaction ends: the next writer's stamp waits for our commit.
                PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.completeness_stamp'));
                INSERT INTO completeness_stamp (system_id, stamp)
                VALUES (target, nextval('completeness_stamp_seq'))
                ON CONFLICT (system_id) DO UPDATE SET stamp = EXCLUDED.stamp;
            END IF;
        END $$ LANGUAGE plpgsql
        """
    )
