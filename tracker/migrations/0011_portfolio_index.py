"""Schema version 11: the portfolio's index, and the stamps that say when it went stale.

``completeness_stamp`` holds, per system, a number that grows with every write to a fact
completeness reads; row 0 is the agency's (agency-wide evidence and its reviews). Database
triggers keep it, so that a write by any path (the web, the API, the CLI, an import, plain SQL)
marks the answer stale in the same transaction. ``portfolio_row`` holds each system's summary
on a date with the stamps it was computed at: the portfolio is then one indexed query.
"""

import peewee as pw

# Tables whose rows name a system in a column (table -> column).
BY_SYSTEM = {
    "ai_system": "id",
    "operator": "system_id",
    "waiver": "system_id",
    "system_event": "system_id",
    "evidence_system": "system_id",
}
EVENTS = ("INSERT", "UPDATE", "DELETE")


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class CompletenessStamp(Base):
        system_id = pw.BigIntegerField(primary_key=True)
        stamp = pw.BigIntegerField(index=True)

        class Meta:
            table_name = "completeness_stamp"

    class PortfolioRow(Base):
        as_of = pw.DateField()
        system_id = pw.BigIntegerField()
        stamp = pw.BigIntegerField()
        agency_stamp = pw.BigIntegerField()
        catalogue_key = pw.CharField(max_length=64)
        changes_at = pw.DateTimeField(null=True)
        computed_at = pw.DateTimeField()
        name = pw.CharField(max_length=200)
        name_key = pw.CharField(max_length=200)
        lifecycle_stage = pw.CharField(max_length=40)
        risk_level = pw.CharField(max_length=10)
        retired = pw.BooleanField()
        ready = pw.BooleanField(null=True)
        nothing_applies = pw.BooleanField()
        percent = pw.FloatField(null=True)
        percent_key = pw.FloatField()
        overdue = pw.IntegerField()
        missing = pw.IntegerField()
        expiring_soon = pw.IntegerField()
        pending_review = pw.IntegerField()
        expired = pw.IntegerField()
        stage_overdue = pw.IntegerField()
        event_overdue = pw.IntegerField()
        frameworks = pw.JSONField(default=dict)

        class Meta:
            table_name = "portfolio_row"
            primary_key = pw.CompositeKey("as_of", "system_id")
            indexes = (
                (("as_of", "name_key"), False),
                (("as_of", "overdue"), False),
                (("as_of", "percent_key"), False),
            )

    db.create_tables([CompletenessStamp, PortfolioRow])
    if isinstance(db, pw.PostgresqlDatabase):
        _postgres_triggers(db)
    else:
        _sqlite_triggers(db)


def _sqlite_triggers(db):
    def bump(system_ids_sql):
        # A new stamp is above every stamp so far; the index on stamp makes max() a look-up.
        return (
            "INSERT INTO completeness_stamp (system_id, stamp) "
            f"SELECT ids.system_id, (SELECT coalesce(max(stamp), 0) + 1 FROM completeness_stamp) "
            f"FROM ({system_ids_sql}) AS ids WHERE ids.system_id IS NOT NULL "
            "ON CONFLICT (system_id) DO UPDATE SET stamp = excluded.stamp;"
        )

    def of_evidence(ref):
        return bump(
            f"SELECT 0 AS system_id WHERE (SELECT agency_wide FROM evidence WHERE id = {ref}) "
            f"UNION SELECT system_id FROM evidence_system WHERE evidence_id = {ref}"
        )

    statements = []
    for table, column in BY_SYSTEM.items():
        for event in EVENTS:
            rows = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}[event]
            ids = " UNION ".join(f"SELECT {row}.{column} AS system_id" for row in rows)
            statements.append((table, event, bump(ids)))
    for event in EVENTS:
        rows = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}[event]
        # A deleted item is gone: its own flag says whether it counted for every system.
        ids = " UNION ".join(
            f"SELECT 0 AS system_id WHERE {row}.agency_wide "
            f"UNION SELECT system_id FROM evidence_system WHERE evidence_id = {row}.id"
            for row in rows
        )
        statements.append(("evidence", event, bump(ids)))
        body = "".join(of_evidence(f"{row}.evidence_id") for row in rows)
        statements.append(("evidence_review", event, body))
    for table, event, body in statements:
        db.execute_sql(
            f"CREATE TRIGGER completeness_{table}_{event.lower()} AFTER {event} ON {table} "
            f"FOR EACH ROW BEGIN {body} END"
        )


def _postgres_triggers(db):
    db.execute_sql("CREATE SEQUENCE completeness_stamp_seq")
    db.execute_sql(
        """
        CREATE FUNCTION completeness_bump(target bigint) RETURNS void AS $$
        BEGIN
            IF target IS NOT NULL THEN
                INSERT INTO completeness_stamp (system_id, stamp)
                VALUES (target, nextval('completeness_stamp_seq'))
                ON CONFLICT (system_id) DO UPDATE SET stamp = EXCLUDED.stamp;
            END IF;
        END $$ LANGUAGE plpgsql
        """
    )
    db.execute_sql(
        """
        CREATE FUNCTION completeness_bump_evidence(item bigint, agency_wide boolean)
        RETURNS void AS $$
        BEGIN
            IF agency_wide THEN
                PERFORM completeness_bump(0);
            END IF;
            PERFORM completeness_bump(system_id) FROM evidence_system WHERE evidence_id = item;
        END $$ LANGUAGE plpgsql
        """
    )
    for table, column in BY_SYSTEM.items():
        db.execute_sql(
            f"""
            CREATE FUNCTION completeness_touch_{table}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'DELETE' THEN PERFORM completeness_bump(NEW.{column}); END IF;
                IF TG_OP <> 'INSERT' THEN PERFORM completeness_bump(OLD.{column}); END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
    db.execute_sql(
        """
        CREATE FUNCTION completeness_touch_evidence() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                PERFORM completeness_bump_evidence(NEW.id, NEW.agency_wide);
            END IF;
            IF TG_OP <> 'INSERT' THEN
                PERFORM completeness_bump_evidence(OLD.id, OLD.agency_wide);
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    db.execute_sql(
        """
        CREATE FUNCTION completeness_touch_evidence_review() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                PERFORM completeness_bump_evidence(NEW.evidence_id,
                    (SELECT agency_wide FROM evidence WHERE id = NEW.evidence_id));
            END IF;
            IF TG_OP <> 'INSERT' THEN
                PERFORM completeness_bump_evidence(OLD.evidence_id,
                    (SELECT agency_wide FROM evidence WHERE id = OLD.evidence_id));
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    for table in (*BY_SYSTEM, "evidence", "evidence_review"):
        db.execute_sql(
            f"CREATE TRIGGER completeness_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION completeness_touch_{table}()"
        )
