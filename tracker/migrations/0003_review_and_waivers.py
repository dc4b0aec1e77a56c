"""Schema version 3: the jurisdictions each system falls under, evidence reviews, and waivers."""

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

    class Evidence(Base):
        class Meta:
            table_name = "evidence"

    class EvidenceReview(Base):
        evidence = pw.ForeignKeyField(Evidence)
        decision = pw.CharField(max_length=10)
        reason = pw.TextField(default="")
        reviewer = pw.ForeignKeyField(User)
        decided_at = pw.DateTimeField(index=True)
        approved_hashes = pw.JSONField(default=list)

    class Waiver(Base):
        system = pw.ForeignKeyField(AISystem)
        requirement_id = pw.CharField(max_length=120, index=True)
        justification = pw.TextField()
        requested_by = pw.ForeignKeyField(User)
        requested_at = pw.DateTimeField()
        expires_on = pw.DateField()
        state = pw.CharField(max_length=10, default="requested")
        decided_by = pw.ForeignKeyField(User, null=True)
        decided_at = pw.DateTimeField(null=True)
        decision_note = pw.TextField(default="")
        revoked_at = pw.DateTimeField(null=True)

    # Plain SQL: the same statement on SQLite and PostgreSQL, and existing rows get '[]'.
    db.execute_sql("ALTER TABLE ai_system ADD COLUMN jurisdictions JSON NOT NULL DEFAULT '[]'")
    db.create_tables([EvidenceReview, Waiver])
