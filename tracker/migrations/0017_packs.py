"""Schema version 17: evidence packs (tracker.packs), one row per pack asked for: for which
system and date, by whom, how far its build has got, and once ready its file, SHA-256 and
signature."""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class AISystem(Base):
        class Meta:
            table_name = "ai_system"

    class Pack(Base):
        system = pw.ForeignKeyField(AISystem, null=True, on_delete="CASCADE")
        as_of = pw.DateField()
        requested_by = pw.CharField(max_length=120)
        requested_at = pw.DateTimeField()
        state = pw.CharField(max_length=10, default="queued")
        done = pw.BigIntegerField(default=0)
        total = pw.BigIntegerField(default=0)
        finished_at = pw.DateTimeField(null=True)
        file_name = pw.CharField(max_length=200, default="")
        size = pw.BigIntegerField(default=0)
        sha256 = pw.CharField(max_length=64, default="")
        manifest_sha256 = pw.CharField(max_length=64, default="")
        signature = pw.TextField(default="")
        key_id = pw.CharField(max_length=16, default="")
        files = pw.IntegerField(default=0)
        error = pw.TextField(default="")

        class Meta:
            table_name = "pack"
            indexes = ((("system", "requested_at"), False),)

    db.create_tables([Pack])
