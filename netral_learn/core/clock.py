"""The one clock of the app, so tests can move time (quiz deadlines, lockouts)."""
from __future__ import annotations

from datetime import datetime, timezone

_frozen: datetime | None = None


def now_utc() -> datetime:
    """Current time as an aware UTC datetime (or the frozen time in tests)."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def freeze(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (aware), or unfreeze it with ``None``. For tests."""
    global _frozen
    _frozen = moment


def as_utc(moment: datetime | None) -> datetime | None:
    """Treat a naive datetime read back from SQLite as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
