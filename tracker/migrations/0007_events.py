"""Schema version 7: evidence can answer one recorded event (its own deadline, its own duty)."""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    class SystemEvent(pw.Model):
        class Meta:
            database = db
            table_name = "system_event"

    migrate(
        migrator.add_column(
            "evidence", "event_id", pw.ForeignKeyField(SystemEvent, null=True, field=SystemEvent.id)
        ),
    )
