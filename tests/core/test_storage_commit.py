"""Files written for a transaction follow its fate, and are kept when the fate is unknown."""
from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from netral_learn.accounts.models import Unit
from netral_learn.core.storage import write_new_file
from netral_learn.extensions import db


def test_a_failed_flush_removes_the_new_file(app):
    """Does a transaction that fails before COMMIT take its new file with it?"""
    with app.app_context():
        path = write_new_file("uji/sebelum-commit.pdf", b"%PDF-1.7 uji")
        db.session.add(Unit(name=None, path="/x/"))  # NOT NULL name: the flush fails
        with pytest.raises(Exception):
            db.session.commit()
        db.session.rollback()
        assert not path.exists()


def test_a_connection_lost_during_commit_keeps_the_new_file(app):
    """When the database may have stored the row (the connection broke during COMMIT), is the
    file kept rather than leaving a stored row without its document?"""

    def broken_commit(connection):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    with app.app_context():
        path = write_new_file("uji/saat-commit.pdf", b"%PDF-1.7 uji")
        db.session.add(Unit(name="Unit Uji Commit", path="/9999/"))
        event.listen(Engine, "commit", broken_commit)
        try:
            with pytest.raises(OperationalError):
                db.session.commit()
        finally:
            event.remove(Engine, "commit", broken_commit)
        db.session.rollback()
        assert path.exists()
