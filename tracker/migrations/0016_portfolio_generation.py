"""Schema version 16: each date of the portfolio's index carries a generation, made anew each
time its rows are brought up to date. What a server process derives from the rows (totals, the
frameworks shown) is kept under it: a restored backup or another database whose stamps happen
to reach the same numbers can then never be answered from what was derived elsewhere."""


def up(migrator, db):
    db.execute_sql(
        "ALTER TABLE portfolio_date ADD COLUMN generation VARCHAR(32) NOT NULL DEFAULT ''"
    )
