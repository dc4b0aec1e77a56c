"""Kept answers: each system's whole completeness answer for today, as the API sends it.

One system's answer costs a dozen milliseconds of a server's time at national scale: eight
queries and the engine over a hundred requirements. Like a portfolio row (:mod:`.index`) or a
chart point (:mod:`.chart_points`), the answer only changes when what it was computed from
changes: the system's facts (its stamp), the agency-wide items (the agency's stamp), the
catalogue or the lead time (the catalogue key, which also names the tracker's version), or,
today, the time, when an open event deadline passes (``changes_at``). So each answer is kept,
compressed, with those, and read back while they still match: :func:`refresh` (the
scheduler's job, or ``tracker portfolio refresh``) computes the answers that are missing or
stale, and :func:`kept` gives the API the current one. An answer that is not current is
computed by the request, never sent stale, and the next refresh keeps it again.

Only today's answers are kept: another date is asked for rarely and is replayed. The API
speaks English whoever calls it, so one answer per system serves every reader.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import date, datetime

import orjson
import peewee as pw

from tracker import completeness, db, i18n, prepared
from tracker.completeness import evaluator_for
from tracker.completeness.export import system_dict
from tracker.completeness.facts import OperatorFact, SystemCompleteness
from tracker.db import database, utcnow
from tracker.models import KeptAnswer
from tracker.plugin_host import Catalogue
from tracker.portfolio import detail, recompute, stamps
from tracker.portfolio.index import AT_ONCE, catalogue_key
from tracker.portfolio.recompute import Progress

# The answer's layout (the API's JSON, tracker.completeness.export): part of every kept answer's
# key, so that answers an earlier layout wrote are stale, never sent. Change it with the layout.
FORMAT = 1
COLUMNS = (
    "system_id",
    "day",
    "stamp",
    "agency_stamp",
    "catalogue_key",
    "changes_at",
    "body",
    "page",
)
KEY = ("system_id",)
# zlib's fastest level: a 35 KB answer in 5 KB (twenty thousand in 100 MB), 0.1 ms each way.
LEVEL = 1


def answer_key(catalogue: Catalogue, expiring_soon_days: int) -> str:
    """What every kept answer depends on besides the stamps: the portfolio's catalogue key (the
    catalogue, the deployment, the lead time, the tracker's version) and the layouts of the
    API's answer and of the page's."""
    cache = ("answer-key", expiring_soon_days)
    found = catalogue.derived.get(cache)
    if found is None:
        layouts = f"answer format {FORMAT}, page format {detail.FORMAT}"
        text = f"{catalogue_key(catalogue, expiring_soon_days)}|{layouts}"
        found = catalogue.derived[cache] = hashlib.sha256(text.encode()).hexdigest()
    return found


def for_system(
    system_id: int, day: date, catalogue: Catalogue, expiring_soon_days: int = 30
) -> bytes:
    """The API's answer for one system on ``day``: today's kept one while it is current, else
    computed (:func:`answer_json`); the same bytes either way."""
    if day == date.today():
        body = kept(system_id, day, answer_key(catalogue, expiring_soon_days))
        if body is not None:
            return body
    return answer_json(completeness.for_system(system_id, day, catalogue, expiring_soon_days))


def answer_json(result: SystemCompleteness) -> bytes:
    """The API's answer for one system: its JSON (keys sorted, compact, a line end), exactly
    as Flask's ``jsonify`` wrote it (``tests/api/test_completeness.py`` checks so)."""
    with i18n.using(i18n.DEFAULT_LANGUAGE):  # the API's language, whoever computes it
        data = system_dict(result)
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def kept(system_id: int, day: date, key: str) -> bytes | None:
    """The system's current kept answer for ``day`` (its JSON), or None: computed at its stamp,
    the agency's stamp and the key ``key`` (:func:`answer_key`), and not yet due to change by
    itself. Each answer asks once: the SQL is built once (:mod:`tracker.prepared`)."""
    found = prepared.rows(("kept answer",), _kept, system_id, day, key, utcnow())
    return zlib.decompress(found[0][0]) if found else None


def kept_page(
    system_id: int, day: date, key: str
) -> tuple[SystemCompleteness, list[OperatorFact]] | None:
    """The system's current kept answer for ``day`` as its page reads it (every sentence in
    the reader's language, :mod:`.detail`) with the operators it counted, or None: as
    :func:`kept`, in one prepared query."""
    found = prepared.rows(("kept page",), _kept_page, system_id, day, key, utcnow())
    # A row kept before pages were (schema 23) has none, and an older key: never current.
    return detail.loads(zlib.decompress(found[0][0])) if found and found[0][0] else None


def _kept_page(system_id: int, day: date, key: str, now: datetime) -> pw.Query:
    return _kept(system_id, day, key, now, KeptAnswer.page)


def _kept(
    system_id: int, day: date, key: str, now: datetime, column: pw.Field = KeptAnswer.body
) -> pw.Query:
    return KeptAnswer.select(column).where(
        (KeptAnswer.system_id == system_id)
        & (KeptAnswer.day == day)
        & (KeptAnswer.catalogue_key == key)
        & stamps.still_current(KeptAnswer)
        & (KeptAnswer.changes_at.is_null() | (KeptAnswer.changes_at > now))
    )


def stale(day: date, key: str) -> list[int]:
    """Systems registered by the end of ``day`` whose kept answer for the day is missing, was
    computed from what has changed since, or is due to change by itself by now."""
    query = stamps.not_current(
        KeptAnswer, KeptAnswer.day, day, key, KeptAnswer.changes_at <= utcnow()
    )
    return [system_id for system_id, _held in query]


def refresh(
    today: date,
    catalogue: Catalogue,
    expiring_soon_days: int = 30,
    *,
    everything: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> int:
    """Compute and keep the answers of ``today`` that are missing or stale (every system's with
    ``everything``), forget those of other days; return how many were computed. ``progress``
    is told (answers done, answers to do) after each chunk."""
    key = answer_key(catalogue, expiring_soon_days)
    wanted = recompute.registered_by(today) if everything else stale(today, key)
    evaluator = evaluator_for(catalogue, expiring_soon_days)
    day_value = KeptAnswer.day.db_value
    moment_value = KeptAnswer.changes_at.db_value

    def write(chunk: recompute.Chunk) -> int:
        values = []
        pages = detail.Writer()  # per chunk: it keeps every sentence it wrote alive
        for system, _risk in chunk.systems:
            result = evaluator.evaluate(system, chunk.snapshot)
            operators = chunk.snapshot.operators.get(system.id, [])
            values.append(
                (
                    system.id,
                    day_value(today),
                    chunk.stamps[system.id],
                    chunk.agency_stamp,
                    key,
                    moment_value(result.changes_at),
                    zlib.compress(answer_json(result), LEVEL),
                    zlib.compress(pages.dumps(result, operators), LEVEL),
                )
            )
        with database.atomic():
            recompute.upsert(KeptAnswer._meta.table_name, COLUMNS, KEY, values)
        return len(values)

    every = len(wanted) if everything else None  # all of them: no need to count
    done = (
        recompute.each_chunk(today, catalogue, wanted, write, progress, workers, every)
        if wanted  # nothing stale reads nothing
        else 0
    )
    KeptAnswer.delete().where(KeptAnswer.day != today).execute()
    if done > AT_ONCE:
        db.refresh_statistics(KeptAnswer)  # as for the portfolio's rows
    return done
