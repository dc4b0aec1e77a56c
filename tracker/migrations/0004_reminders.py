"""Schema version 4: the notification ledger, notification preferences, and dated system events."""

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

    class Notification(Base):
        key = pw.CharField(max_length=400, unique=True)
        recipient = pw.CharField(max_length=254, index=True)
        recipient_name = pw.CharField(max_length=200, default="")
        kind = pw.CharField(max_length=30, index=True)
        item_key = pw.CharField(max_length=300, index=True)
        window = pw.CharField(max_length=60)
        system_id = pw.IntegerField(null=True, index=True)
        requirement_id = pw.CharField(max_length=120, null=True)
        mandatory = pw.BooleanField(default=True)
        sweep_date = pw.DateField(index=True)
        payload = pw.JSONField(default=dict)
        state = pw.CharField(max_length=10, default="pending", index=True)
        attempts = pw.IntegerField(default=0)
        last_error = pw.TextField(default="")
        message_id = pw.CharField(max_length=200, default="")
        created_at = pw.DateTimeField()
        claimed_at = pw.DateTimeField(null=True)
        sent_at = pw.DateTimeField(null=True)

    class NotificationPreference(Base):
        email = pw.CharField(max_length=254, unique=True)
        frequency = pw.CharField(max_length=10, default="daily")
        weekly_day = pw.IntegerField(default=0)
        opted_out = pw.JSONField(default=list)
        unsubscribe_token = pw.CharField(max_length=64, unique=True)
        updated_at = pw.DateTimeField()

    class SystemEvent(Base):
        system = pw.ForeignKeyField(AISystem)
        kind = pw.CharField(max_length=30)
        occurred_at = pw.DateTimeField(index=True)
        description = pw.TextField(default="")
        recorded_by = pw.ForeignKeyField(User, null=True)
        recorded_at = pw.DateTimeField()

    db.create_tables([Notification, NotificationPreference, SystemEvent])
