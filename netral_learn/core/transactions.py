"""The one commit point of a view: run a service call, then commit once or roll back."""
from __future__ import annotations

from collections.abc import Callable

from ..extensions import db
from .errors import InvalidInput


def attempt(action: Callable):
    """(result, None) after committing, or (None, message) after rolling back a broken rule."""
    try:
        result = action()
    except InvalidInput as exc:
        db.session.rollback()
        return None, exc.message
    db.session.commit()
    return result, None
