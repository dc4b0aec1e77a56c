"""Schema version 2: evidence items with versions, the systems they cover, and stored files."""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        class Meta:
            table_name = "user"

    class AISystem(Base):
        class Meta:
            table_name = "ai_system"

    class Blob(Base):
        sha256 = pw.CharField(max_length=64, primary_key=True)
        size = pw.BigIntegerField()
        media_type = pw.CharField(max_length=120)
        stored_at = pw.DateTimeField()

    class Evidence(Base):
        lineage = pw.IntegerField(index=True)
        version = pw.IntegerField(default=1)
        kind = pw.CharField(max_length=40, index=True)
        title = pw.CharField(max_length=300)
        description = pw.TextField(default="")
        issued_on = pw.DateField(null=True)
        valid_from = pw.DateField(null=True)
        valid_until = pw.DateField(null=True, index=True)
        issuer = pw.CharField(max_length=200, default="")
        certified_person = pw.CharField(max_length=200, default="")
        requirement_ids = pw.JSONField(default=list)
        agency_wide = pw.BooleanField(default=False)
        uploaded_by = pw.ForeignKeyField(User, null=True)
        created_at = pw.DateTimeField()
        superseded_at = pw.DateTimeField(null=True, index=True)

        class Meta:
            indexes = ((("lineage", "version"), True),)

    class EvidenceSystem(Base):
        evidence = pw.ForeignKeyField(Evidence)
        system = pw.ForeignKeyField(AISystem)

        class Meta:
            indexes = ((("evidence", "system"), True),)

    class EvidenceFile(Base):
        evidence = pw.ForeignKeyField(Evidence)
        blob = pw.ForeignKeyField(Blob, column_name="sha256")
        display_name = pw.CharField(max_length=255)
        position = pw.IntegerField(default=0)

    db.create_tables([Blob, Evidence, EvidenceSystem, EvidenceFile])
