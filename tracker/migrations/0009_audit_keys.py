"""Schema version 9: keyed audit hashes.

Each audit event (and the head) records the id of the audit key whose HMAC its hash is. Existing
events get "" (a plain SHA-256 hash, exactly as before), so they keep verifying; with a key
configured, the chain is keyed from the next event on, which an ``audit.protection_started``
event marks (tracker.audit).
"""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    migrate(
        migrator.add_column("audit_event", "key_id", pw.CharField(max_length=16, default="")),
        migrator.add_column("audit_head", "key_id", pw.CharField(max_length=16, default="")),
    )
