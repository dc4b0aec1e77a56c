"""Schema version 21: the completeness chart's points are kept.

The system page charts a system's completeness on the first of each of the last twelve months,
replayed from the register as it stood then: twelve evaluations per page view, a fifth of the
page's time at national scale. ``chart_point`` keeps each system's overall percent on those
dates with the stamps it was computed at (tracker.portfolio.chart_points); the page replays
only the dates with no current point.
"""

import peewee as pw


def up(migrator, db):
    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class ChartPoint(Base):
        system_id = pw.BigIntegerField()
        day = pw.DateField()
        stamp = pw.BigIntegerField()
        agency_stamp = pw.BigIntegerField()
        catalogue_key = pw.CharField(max_length=64)
        percent = pw.FloatField(null=True)

        class Meta:
            table_name = "chart_point"
            primary_key = pw.CompositeKey("system_id", "day")

    db.create_tables([ChartPoint])
