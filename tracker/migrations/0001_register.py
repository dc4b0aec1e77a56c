"""Schema version 1: users, API tokens, the AI system register, operators, audit trail."""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        username = pw.CharField(max_length=80, unique=True)
        full_name = pw.CharField(max_length=200, default="")
        email = pw.CharField(max_length=254, default="")
        role = pw.CharField(max_length=20)
        password_hash = pw.CharField(max_length=255, null=True)
        is_active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

    class ApiToken(Base):
        user = pw.ForeignKeyField(User)
        name = pw.CharField(max_length=120)
        token_hash = pw.CharField(max_length=64, unique=True)
        prefix = pw.CharField(max_length=16)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField(null=True)
        revoked_at = pw.DateTimeField(null=True)

    class AISystem(Base):
        name = pw.CharField(max_length=200)
        version = pw.CharField(max_length=80, default="")
        vendor = pw.CharField(max_length=200, default="")
        purpose = pw.TextField()
        authorised_use_cases = pw.JSONField(default=list)
        development_approach = pw.CharField(max_length=20)
        lifecycle_stage = pw.CharField(max_length=40, index=True)
        risk_level = pw.CharField(max_length=10, index=True)
        processes_personal_data = pw.BooleanField()
        purpose_type = pw.CharField(max_length=20)
        biometric_identification = pw.CharField(max_length=20, default="none")
        ai_act_role = pw.CharField(max_length=10)
        public_facing = pw.BooleanField(default=False)
        units_with_access = pw.JSONField(default=list)
        data_sharing = pw.TextField(default="")
        contacts = pw.JSONField(default=list)
        answers = pw.JSONField(default=dict)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        retired_at = pw.DateTimeField(null=True, index=True)
        retired_reason = pw.TextField(default="")

        class Meta:
            table_name = "ai_system"

    class Operator(Base):
        system = pw.ForeignKeyField(AISystem)
        name = pw.CharField(max_length=200)
        email = pw.CharField(max_length=254)
        unit = pw.CharField(max_length=200, default="")
        added_at = pw.DateTimeField()
        removed_at = pw.DateTimeField(null=True)

    class AuditEvent(Base):
        occurred_at = pw.CharField(max_length=32)
        actor = pw.CharField(max_length=120)
        action = pw.CharField(max_length=80, index=True)
        entity_type = pw.CharField(max_length=40, index=True)
        entity_id = pw.CharField(max_length=80, index=True)
        before = pw.JSONField(null=True)
        after = pw.JSONField(null=True)
        prev_hash = pw.CharField(max_length=64)
        hash = pw.CharField(max_length=64, unique=True)

    class AuditHead(Base):
        last_id = pw.IntegerField(default=0)
        last_hash = pw.CharField(max_length=64)

    db.create_tables([User, ApiToken, AISystem, Operator, AuditEvent, AuditHead])
    AuditHead.create(last_id=0, last_hash="0" * 64)
