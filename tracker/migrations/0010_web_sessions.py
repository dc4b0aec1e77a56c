"""Schema version 10: web sessions kept in the database, so signing out ends a copied cookie too.

Independent of version 9 (the audit chain's keys): either may be applied first.
"""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        class Meta:
            table_name = "user"

    class WebSession(Base):
        user = pw.ForeignKeyField(User, backref="web_sessions", on_delete="CASCADE")
        key_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "web_session"

    db.create_tables([WebSession])
