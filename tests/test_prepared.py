"""Queries built once per shape (tracker.prepared) read exactly what peewee reads building them
each time: model instances with every value converted, dicts, tuples; and a query that cannot be
prepared is built every time, never answered wrongly. On PostgreSQL the server prepares each
shape once per connection, and one it refuses runs as plain SQL inside the caller's
transaction."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import peewee as pw

from tests.factories import profile
from tests.web.queries import sent_as_is
from tracker import accounts, db, prepared, register
from tracker.db import utcnow
from tracker.models import AISystem, User, WebSession


def counted(build):
    calls = []

    def counting(*values):
        calls.append(values)
        return build(*values)

    return counting, calls


def test_model_instances_dicts_and_tuples_are_what_peewee_reads(migrated):
    for number in range(3):
        register.create_system(profile(name=f"System {number}"), "test")
    since = utcnow() - timedelta(days=1)

    def systems(name: str, created: object):
        return AISystem.select().where((AISystem.name == name) & (AISystem.created_at > created))

    for name in ("System 0", "System 2", "Nobody"):
        built = list(systems(name, since))
        found = prepared.select(("t systems",), systems, name, since)
        assert [s.__data__ for s in found] == [s.__data__ for s in built]
        assert all(isinstance(s.created_at, type(utcnow())) for s in found)  # converted
        assert prepared.select(
            ("t dicts",), lambda n, c: systems(n, c).dicts(), name, since
        ) == list(systems(name, since).dicts())
        tuples = prepared.rows(("t tuples",), lambda n, c: systems(n, c).tuples(), name, since)
        assert len(tuples) == len(built) == (0 if name == "Nobody" else 1)
    assert prepared.first(("t systems",), systems, "Nobody", since) is None


def test_a_shape_is_built_once_then_given_other_values(migrated):
    for number in range(3):
        register.create_system(profile(name=f"System {number}"), "test")
    build, calls = counted(lambda i: AISystem.select(AISystem.name).where(AISystem.id == i))
    names = [prepared.rows(("t by id",), build, i) for i in (1, 2, 3, 99)]
    assert names == [[("System 0",)], [("System 1",)], [("System 2",)], []]
    assert len(calls) == 2  # with its two sets of stand-ins, once


def test_a_value_with_no_stand_in_or_not_found_back_is_built_each_time(migrated):
    register.create_system(profile(name="System 0", public_facing=True), "test")
    build, calls = counted(
        lambda flag: AISystem.select(AISystem.name).where(AISystem.public_facing == flag)
    )
    assert prepared.rows(("t flag",), build, True) == [("System 0",)]
    assert prepared.rows(("t flag",), build, False) == []
    assert len(calls) == 2  # no stand-in for a boolean: built as it is, each time
    # A value the query transforms, even one its first stand-in would pass through unchanged
    # (made lower case), or derives another parameter from, is not prepared: built each time.
    for number, transformed in enumerate(
        (lambda n: AISystem.name == n.lower(), lambda n: AISystem.name.in_([n, n + " 0"]))
    ):

        def direct(name, where=transformed):
            return AISystem.select(AISystem.name).where(where(name))

        build, calls = counted(direct)
        for name in ("system 0", "System", "Other"):
            expected = list(direct(name).tuples())
            assert prepared.rows(("t transformed", number), build, name) == expected
        assert len(calls) == 2 + 3  # two sets of stand-ins, then each call: never prepared
    shifted, calls = counted(
        lambda day: AISystem.select(AISystem.id).where(
            AISystem.created_at > datetime.combine(day, time()) - timedelta(days=400)
        )
    )
    today = utcnow().date()
    assert prepared.rows(("t shifted",), shifted, today) == [(1,)]
    assert prepared.rows(("t shifted",), shifted, today + timedelta(days=500)) == []
    assert len(calls) == 4  # two sets of stand-ins, then each call


def test_a_value_of_another_type_is_another_shape(migrated):
    register.create_system(profile(name="System 0"), "test")
    build, calls = counted(
        lambda moment: AISystem.select(AISystem.id).where(AISystem.created_at > moment)
    )
    yesterday = utcnow() - timedelta(days=1)
    assert prepared.rows(("t typed",), build, yesterday.date()) == [(1,)]
    assert prepared.rows(("t typed",), build, yesterday) == [(1,)]  # a datetime: its own shape
    assert prepared.rows(("t typed",), build, utcnow() + timedelta(days=1)) == []
    assert len(calls) == 4  # each type's two sets of stand-ins


def test_the_signed_in_user_is_read_through_a_prepared_query(migrated):
    user = accounts.create_user("ada", "dpo", "test")
    key = accounts.start_session(user, 8)
    _, secret = accounts.issue_token(user, "laptop", "test")
    for _ in range(2):
        assert accounts.session_user(key).id == user.id
        assert accounts.authenticate(secret).username == "ada"
    (shape,) = [key for key in prepared._shapes if key[:2] == (db.is_postgres(), "session's user")]
    assert prepared._shapes[shape] is not None  # prepared
    WebSession.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    assert accounts.session_user(key) is None
    User.update(is_active=False).where(User.id == user.id).execute()
    assert accounts.authenticate(secret) is None


def by_id(system_id: int) -> pw.Query:
    # Its own SQL (a statement's name is its SQL's): no other test has run it in this process.
    return AISystem.select(AISystem.name, AISystem.version).where(AISystem.id == system_id)


def test_postgres_prepares_a_shape_once_per_connection(migrated):
    for number in range(3):
        register.create_system(profile(name=f"System {number}"), "test")
    with sent_as_is(db.database.obj) as first:
        assert prepared.rows(("t server",), by_id, 1) == [("System 0", "4.2")]
    with sent_as_is(db.database.obj) as later:
        assert prepared.rows(("t server",), by_id, 2) == [("System 1", "4.2")]
        assert prepared.rows(("t server",), by_id, 99) == []
    if not db.is_postgres():  # SQLite has no server: its plain SQL, each time
        assert [sql.split()[0] for sql in first + later] == ["SELECT"] * 3
        return
    name = prepared._shapes[(True, "t server", int)].server_name
    # Prepared, then run; later runs only EXECUTE it.
    assert [sql.split()[:2] for sql in first] == [["PREPARE", name], ["EXECUTE", name]]
    assert [sql.split()[:2] for sql in later] == [["EXECUTE", name]] * 2
    (statement,) = db.database.execute_sql(
        "SELECT statement FROM pg_prepared_statements WHERE name = %s", [name]
    ).fetchone()
    assert '"t1"."id" = $1' in statement
    # A new connection has none of this one's statements: it prepares its own.
    db.database.close()  # the tests bind no pool: a closed connection is gone
    with sent_as_is(db.database.obj) as anew:
        assert prepared.rows(("t server",), by_id, 3) == [("System 2", "4.2")]
    assert [sql.split()[:2] for sql in anew] == [["PREPARE", name], ["EXECUTE", name]]


def test_a_statement_the_server_refuses_runs_as_plain_sql_in_the_same_transaction(migrated):
    # "$1 IS NOT NULL": PostgreSQL cannot infer the parameter's type, so will not prepare it;
    # given as a literal in plain SQL, it runs.
    def named_if(value: str) -> pw.Query:
        return AISystem.select(AISystem.name).where(pw.Value(value).is_null(False))

    with db.write_transaction():
        register.create_system(profile(name="Before"), "test")
        with sent_as_is(db.database.obj) as run:
            assert prepared.rows(("t refused",), named_if, "x") == [("Before",)]
        register.create_system(profile(name="After"), "test")  # the transaction goes on
    assert sorted(s.name for s in AISystem.select()) == ["After", "Before"]
    with sent_as_is(db.database.obj) as again:
        assert sorted(prepared.rows(("t refused",), named_if, "y")) == [("After",), ("Before",)]
    assert [sql.split()[0] for sql in again] == ["SELECT"]  # refused once: not asked again
    if db.is_postgres():
        name = prepared._shapes[(True, "t refused", str)].server_name
        assert name in prepared._refused
        assert [sql.split()[0] for sql in run] == ["SAVEPOINT", "PREPARE", "ROLLBACK", "SELECT"]


def test_the_server_statement_keeps_the_drivers_percent_escapes():
    sql = "SELECT 1 WHERE a = %s AND b LIKE 'x%%' AND c = %s"
    assert prepared._numbered(sql) == "SELECT 1 WHERE a = $1 AND b LIKE 'x%%' AND c = $2"
