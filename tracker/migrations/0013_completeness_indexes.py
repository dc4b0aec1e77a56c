"""Schema version 13: indexes that let one system's completeness read only that system's rows.

The agency-wide evidence items in a partial index of their own (only they are in it), and the
audit trail by (entity_type, entity_id) for a system's profile changes. The other per-system
reads (operators, events, waivers, evidence links, reviews by evidence) already had an index
on their foreign key.

Only adds indexes: independent of versions 11 and 12, either may be applied first.
"""


def up(migrator, db):
    # Plain SQL: both databases write a partial index alike, and peewee's migrator has no
    # WHERE. The bare column is the condition the loader's query states (see
    # tracker.completeness.evidence_reads.evidence_rows); by upload time, which that query
    # bounds, so that SQLite's planner prefers it to the index on superseded_at.
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS evidence_agency_wide ON evidence (created_at) WHERE agency_wide"
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS audit_event_entity_type_entity_id "
        "ON audit_event (entity_type, entity_id)"
    )
