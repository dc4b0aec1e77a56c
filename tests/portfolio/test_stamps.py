"""Stamps: every write to a fact completeness reads moves the system's stamp, and a later stamp
is always a later commit (what lets a reader trust "nothing newer than the stamp I saw")."""

import threading
import time

from tests.factories import profile
from tracker import db, register
from tracker.portfolio import stamps


def test_a_later_stamp_is_a_later_commit(database_url, migrated):
    first = register.create_system(profile(name="First"), "test").id
    second = register.create_system(profile(name="Second"), "test").id
    param = "%s" if db.is_postgres() else "?"
    touch = f"UPDATE ai_system SET purpose = purpose WHERE id = {param}"
    one, two = db.open_database(database_url), db.open_database(database_url)
    one.connect()
    two.connect()
    done = threading.Event()
    try:
        with one.atomic():
            one.execute_sql(touch, (first,))  # stamped, not committed yet

            def write_second() -> None:
                with two.atomic():
                    two.execute_sql(touch, (second,))
                done.set()

            writer = threading.Thread(target=write_second)
            writer.start()
            time.sleep(0.5)
            assert not done.is_set(), "a second writer got its stamp before the first committed"
        writer.join(10)
        assert done.is_set()
    finally:
        one.close()
        two.close()
    found = stamps.of_systems([first, second])
    assert found[first] < found[second] == stamps.newest()
