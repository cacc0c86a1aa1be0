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
