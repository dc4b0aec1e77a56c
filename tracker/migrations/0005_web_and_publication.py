"""Schema version 5: sign-in limits for users, and what each system publishes in the public register."""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    migrate(
        migrator.add_column("user", "failed_sign_ins", pw.IntegerField(default=0)),
        migrator.add_column("user", "locked_until", pw.DateTimeField(null=True)),
        migrator.add_column("ai_system", "usage_description", pw.TextField(default="")),
        migrator.add_column("ai_system", "personal_data_handling", pw.TextField(default="")),
        migrator.add_column("ai_system", "published", pw.BooleanField(default=False)),
        migrator.add_column("ai_system", "publication", pw.JSONField(null=True)),
    )
    # A JSON default cannot be bound as a parameter: fill the column, then require it.
    db.execute_sql("UPDATE ai_system SET publication = '{}'")
    migrate(migrator.add_not_null("ai_system", "publication"))
