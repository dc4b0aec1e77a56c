"""Schema version 22: each system's completeness answer for today is kept.

One system's answer replays its facts through the engine: eight queries and a hundred
requirements per request. ``kept_answer`` keeps each system's answer for today, as the API
sends it (compressed), with the stamps it was computed at (tracker.portfolio.answers); the API
computes only the answers with no current one.
"""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class KeptAnswer(Base):
        system_id = pw.BigIntegerField(primary_key=True)
        day = pw.DateField()
        stamp = pw.BigIntegerField()
        agency_stamp = pw.BigIntegerField()
        catalogue_key = pw.CharField(max_length=64)
        changes_at = pw.DateTimeField(null=True)
        body = pw.BlobField()

        class Meta:
            table_name = "kept_answer"

    db.create_tables([KeptAnswer])
