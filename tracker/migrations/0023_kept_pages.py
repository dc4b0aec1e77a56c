"""Schema version 23: each kept answer is kept as the system page reads it too.

The system page replayed the system's facts for today's answer (seven queries and the engine
over a hundred requirements): a third of its time at national scale. ``kept_answer.page`` keeps
that answer with its sentences in every language and the operators it counted
(tracker.portfolio.detail), written by the refresh that writes the API's answer. The rows kept
before have none and an older key (tracker.portfolio.answers.answer_key): the next refresh
writes them again.
"""

import peewee as pw
from playhouse.migrate import migrate


def up(migrator, db):
    migrate(migrator.add_column("kept_answer", "page", pw.BlobField(null=True)))
