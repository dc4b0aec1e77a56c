"""Schema version 8: the agency's own name, logo and contacts, and each user's language."""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    class AgencyProfile(pw.Model):
        name = pw.CharField(max_length=200, default="")
        dpo_contact = pw.CharField(max_length=254, default="")
        complaints = pw.TextField(default="")
        contact = pw.TextField(default="")
        logo = pw.BlobField(null=True)
        logo_type = pw.CharField(max_length=40, default="")
        updated_at = pw.DateTimeField(null=True)
        updated_by = pw.CharField(max_length=120, default="")

        class Meta:
            database = db
            table_name = "agency_profile"

    db.create_tables([AgencyProfile])
    migrate(migrator.add_column("user", "language", pw.CharField(max_length=10, default="")))
