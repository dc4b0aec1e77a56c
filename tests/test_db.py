"""Transactions (tracker.db.write_transaction): all or nothing, and, when asked, committed
without waiting for the database's disk on PostgreSQL only, for that transaction only."""

from __future__ import annotations

import pytest

from tracker import db
from tracker.models import AgencyProfile as Agency


def synchronous_commit() -> str:
    return db.database.execute_sql("SHOW synchronous_commit").fetchone()[0]


def test_a_transaction_that_fails_writes_nothing(migrated):
    with pytest.raises(RuntimeError), db.write_transaction():
        Agency.create(name="half-written")
        raise RuntimeError
    assert not Agency.select().where(Agency.name == "half-written").exists()


def test_only_a_transaction_that_asks_commits_without_waiting_for_the_disk(migrated):
    if not db.is_postgres():
        # SQLite's commits never wait for the disk here (WAL, synchronous=NORMAL): the
        # same transaction is all there is to it.
        with db.write_transaction(wait_for_disk=False):
            Agency.create(name="quick")
        assert db.database.execute_sql("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        assert Agency.select().where(Agency.name == "quick").exists()
        return
    with db.write_transaction():
        assert synchronous_commit() == "on"
    with db.write_transaction(wait_for_disk=False):
        Agency.create(name="quick")
        assert synchronous_commit() == "off"
    # SET LOCAL: the connection's next transactions wait for the disk again.
    with db.write_transaction():
        assert synchronous_commit() == "on"
    assert Agency.select().where(Agency.name == "quick").exists()
