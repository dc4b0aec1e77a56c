"""Schema migrations, applied in numeric order by ``tracker db upgrade``.

Each file defines ``up(migrator, db)`` with frozen model copies, deliberately
independent of ``tracker.models`` so that an old migration keeps meaning what
it meant when it was written.
"""
