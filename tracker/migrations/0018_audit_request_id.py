"""Schema version 18: each audit event keeps the id of the request (or of the job a request
queued) that made it, the id its log lines carry (tracker.operations.request_id); "" for events
from before, and for changes made outside a request."""


def up(migrator, db):
    db.execute_sql("ALTER TABLE audit_event ADD COLUMN request_id VARCHAR(64) NOT NULL DEFAULT ''")
