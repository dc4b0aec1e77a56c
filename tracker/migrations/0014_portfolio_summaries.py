"""Schema version 14: the portfolio's rows keep each system's whole summary, and each date
when its rows were last all current.

``portfolio_row.summary`` holds the summary the API and the pages show (its sentences as data
that reads in each reader's language), so a page of the portfolio is read, never recomputed.
``portfolio_date`` records, per date, the newest stamp at which every row was current: while
no stamp is newer (and no open deadline of the day has passed), nothing needs checking.
"""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class PortfolioDate(Base):
        as_of = pw.DateField(primary_key=True)
        catalogue_key = pw.CharField(max_length=64)
        stamp = pw.BigIntegerField()
        changes_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "portfolio_date"

    db.create_tables([PortfolioDate])
    # Rows without a summary are rebuilt: emptied here, the next reader recomputes them.
    db.execute_sql("DELETE FROM portfolio_row")
    # Plain SQL: on SQLite, no rebuild of the table (the migrator copies it for a NOT NULL column).
    db.execute_sql("ALTER TABLE portfolio_row ADD COLUMN summary TEXT NOT NULL DEFAULT '{}'")
