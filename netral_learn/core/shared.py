"""Content every learner reads alike, kept once per process while everyone's counter holds.

A program with its targets and modules, its quiz settings, the question bank: 500 people pressing
"Mulai" together would otherwise read the same rows 500 times. Any committed change to such rows
increments everyone's freshness counter (core/freshness.py), so a copy is used only while the
counter read at the start of the request equals the one it was kept under; the next request after
a change reads the database again. A copy is kept only by a request that read the counter before
any data (the login lookup does): objects it had loaded earlier could be older than a counter
read later. Without Redis there is no counter: nothing is kept. A copy is also read again after
``MAX_AGE`` seconds, as cached logins and pages expire: changes made with SQL outside the app, or
a process killed between its commit and the increment, move no counter.

ORM rows are kept detached and merged into each request's session with ``load=False``: the request
gets its own persistent objects, as if it had read them, without SQL. Columns a copy did not load
(deferred ones, relationships not loaded) still load from the database when read. A kept copy is
never handed out itself, and its values are shared by every merged object, so callers must not
change mutable values (JSON lists or dicts) in place: learner pages only read them.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from ..extensions import db
from . import freshness

T = TypeVar("T")

#: How many copies a process keeps; all are dropped when full (programs, settings and banks are few).
MAX_COPIES = 256
#: Seconds a copy is used at most (the login copies' default lifetime).
MAX_AGE = 300

#: key → (everyone's counter when read, monotonic time when read, the copy)
_copies: dict[Hashable, tuple[int, float, object]] = {}


def value_of(key: Hashable, load: Callable[[], T]) -> T:
    """Plain data made by ``load()`` (which must not return ORM objects), read once per process
    and content change; ``load()`` each time without Redis."""
    counter = _counter()
    if counter is not None:
        hit = _fresh(key, counter)
        if hit is not None:
            return hit[2]
    value = load()
    if counter is not None and freshness.everyone_read_first():
        _keep(key, counter, value)
    return value


def rows_of(key: Hashable, load: Callable[[], T]) -> T:
    """An ORM object (with the relationships ``load()`` loaded), or None, as this request's own
    persistent object: merged from the kept copy without SQL, or read by ``load()`` and kept."""
    counter = _counter()
    if counter is not None:
        hit = _fresh(key, counter)
        if hit is not None:
            return _in_session(hit[2])
    obj = load()
    if counter is not None and freshness.everyone_read_first():
        _keep(key, counter, _detached_copy(obj))  # clean: _counter() refuses a session with changes
    return obj


def forget_all() -> None:
    """Drop every copy (tests)."""
    _copies.clear()


def _counter() -> int | None:
    """Everyone's counter as read before this request read any data; None when no copy may be
    used or kept: no Redis, or this request holds changes not yet flushed (a copy merged in
    would overwrite them) or shared rows changed and not yet committed (they may roll back)."""
    session = db.session()
    if session.new or session.dirty or session.deleted or freshness.EVERYONE in freshness.pending_here(session):
        return None
    return freshness.everyone()


def _fresh(key: Hashable, counter: int):
    hit = _copies.get(key)
    if hit is not None and hit[0] == counter and time.monotonic() - hit[1] < MAX_AGE:
        return hit
    return None


def _keep(key: Hashable, counter: int, value: object) -> None:
    if len(_copies) >= MAX_COPIES:
        _copies.clear()
    _copies[key] = (counter, time.monotonic(), value)


def _in_session(kept):
    """The request's own object for a kept copy: the one it already holds (never overwritten by
    the copy), else the copy merged in."""
    if kept is None:
        return None
    present = db.session.identity_map.get(sa_inspect(kept).key)
    return present if present is not None else db.session.merge(kept, load=False)


def _detached_copy(obj):
    """A copy of ``obj`` and the related objects it has loaded, belonging to no session."""
    if obj is None:
        return None
    holder = Session()
    copy = holder.merge(obj, load=False)
    holder.expunge_all()
    return copy
