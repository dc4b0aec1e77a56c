"""Queries built once per shape (tracker.prepared) read exactly what peewee reads building them
each time: model instances with every value converted, dicts, tuples; and a query that cannot be
prepared is built every time, never answered wrongly."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import profile
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
    assert len(calls) == 1  # with its stand-in


def test_a_value_with_no_stand_in_or_not_found_back_is_built_each_time(migrated):
    register.create_system(profile(name="System 0", public_facing=True), "test")
    build, calls = counted(
        lambda flag: AISystem.select(AISystem.name).where(AISystem.public_facing == flag)
    )
    assert prepared.rows(("t flag",), build, True) == [("System 0",)]
    assert prepared.rows(("t flag",), build, False) == []
    assert len(calls) == 2  # no stand-in for a boolean: built as it is, each time
    # A value the query transforms (here: made lower case) is not found back among its
    # parameters: the shape is never prepared.
    build, calls = counted(
        lambda name: AISystem.select(AISystem.id).where(AISystem.name == name.upper())
    )
    assert prepared.rows(("t upper",), build, "system 0") == []
    assert prepared.rows(("t upper",), build, "system 0") == []
    assert len(calls) == 3  # the stand-ins once, then each call


def test_the_signed_in_user_is_read_through_a_prepared_query(migrated):
    user = accounts.create_user("ada", "dpo", "test")
    key = accounts.start_session(user, 8)
    _, secret = accounts.issue_token(user, "laptop", "test")
    for _ in range(2):
        assert accounts.session_user(key).id == user.id
        assert accounts.authenticate(secret).username == "ada"
    assert prepared._shapes[(db.is_postgres(), "session's user")] is not None  # prepared
    WebSession.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    assert accounts.session_user(key) is None
    User.update(is_active=False).where(User.id == user.id).execute()
    assert accounts.authenticate(secret) is None
