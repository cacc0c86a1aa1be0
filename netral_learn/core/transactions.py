"""The one commit point of a view: run a service call, then commit once or roll back."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .errors import InvalidInput


def attempt(action: Callable):
    """(result, None) after committing, or (None, message) after a broken rule.

    A broken rule rolls back, unless the error says its work must stay (``keep_work``: a failed
    re-authentication still counts towards the account lock)."""
    try:
        result = action()
    except InvalidInput as exc:
        if getattr(exc, "keep_work", False):
            db.session.commit()
        else:
            db.session.rollback()
        return None, exc.message
    db.session.commit()
    return result, None


def on_postgresql() -> bool:
    """Is this session's database PostgreSQL (production), not SQLite (the embedded default)?"""
    return db.session.get_bind().dialect.name == "postgresql"


def insert_or_nothing(model):
    """``INSERT … ON CONFLICT DO NOTHING`` for ``model`` on this session's database (PostgreSQL or
    SQLite): a row that would break a unique constraint or index is left out instead of failing,
    so racing inserts need no savepoint; with RETURNING, only the rows inserted come back."""
    dialect = postgresql if on_postgresql() else sqlite
    return dialect.insert(model).on_conflict_do_nothing()
