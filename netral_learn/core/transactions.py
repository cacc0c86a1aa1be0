"""The one commit point of a view: run a service call, then commit once or roll back."""
from __future__ import annotations

from collections.abc import Callable

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
