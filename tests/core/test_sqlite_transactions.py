"""SQLite, the embedded default: requests that write at the same time wait for each other instead
of failing, and a savepoint never commits on its own."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netral_learn.accounts.models import Unit
from netral_learn.extensions import db


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite behaviour")


def test_a_request_that_read_before_another_committed_can_still_write(app, sqlite_only):
    """A reads, B writes and commits, A writes: A must succeed (an autosave and a submit of the
    same quiz do this), not fail at once with 'database is locked' (a stale WAL snapshot)."""
    with app.app_context():
        with Session(db.engine) as first, Session(db.engine) as second:
            first.scalar(select(func.count()).select_from(Unit))
            second.add(Unit(name="Ditulis Duluan", path="/8001/"))
            second.commit()
            first.add(Unit(name="Ditulis Kemudian", path="/8002/"))
            first.commit()
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 2


def test_a_savepoint_before_any_write_rolls_back_with_its_transaction(app, sqlite_only):
    """Work inside begin_nested() taken before any write is undone when the outer transaction
    rolls back (pysqlite alone would have committed it at RELEASE)."""
    with app.app_context():
        with db.session.begin_nested():
            db.session.add(Unit(name="Dalam Savepoint", path="/8003/"))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_fifty_simultaneous_writers_take_turns_without_errors(app, sqlite_only):
    """Do fifty threads each holding a write transaction open for a moment all commit, one at a time,
    in the order they asked — none failing with 'database is locked'?"""
    import threading
    import time

    from netral_learn.core import sqlite as writer_queue

    inside, most_inside, order, errors = [0], [0], [], []
    gate = threading.Barrier(50)

    def writer(n: int) -> None:
        with app.app_context():
            gate.wait()
            try:
                with Session(db.engine) as session:
                    session.add(Unit(name=f"Unit {n}", path=f"/{9000 + n}/"))
                    session.flush()  # takes the turn
                    inside[0] += 1
                    most_inside[0] = max(most_inside[0], inside[0])
                    order.append(n)
                    time.sleep(0.02)
                    inside[0] -= 1
                    session.commit()
            except Exception as error:  # noqa: BLE001 - counted below
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(order) == 50 and most_inside[0] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 50
    assert writer_queue.WAIT_SECONDS >= 30


def test_a_writer_that_waits_too_long_gets_database_locked_and_leaves_the_queue(app, sqlite_only, monkeypatch):
    """Does a writer whose turn does not come in time fail like SQLite's own timeout (the 503 class),
    without blocking the writers after it?"""
    import sqlite3

    from netral_learn.core import sqlite as writer_queue

    monkeypatch.setattr(writer_queue, "WAIT_SECONDS", 0.2)
    with app.app_context():
        with Session(db.engine) as holder, Session(db.engine) as late:
            holder.add(Unit(name="Pemegang", path="/9901/"))
            holder.flush()
            late.add(Unit(name="Terlambat", path="/9902/"))
            with pytest.raises(Exception) as waited:
                late.flush()
            assert isinstance(waited.value.__cause__ or waited.value, sqlite3.OperationalError) or \
                "database is locked" in str(waited.value)
            late.rollback()
            holder.commit()
        with Session(db.engine) as next_one:
            next_one.add(Unit(name="Berikutnya", path="/9903/"))
            next_one.commit()
