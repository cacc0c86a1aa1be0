"""The embedded database (SQLite) under a burst: one writer at a time, queued in the process.

SQLite lets one connection write at a time. Left to itself, every waiting writer polls the lock
(``busy_timeout``) with growing sleeps, so under a burst — fifty people signing the pact at the
same moment — some wait the whole 30 s and fail while others are served twice. Here a write
transaction first takes a process-wide lock, in the order the requests arrive, and gives it back
at its commit or rollback: writers queue without polling and each holds SQLite's lock only for
its own short transaction. Readers never take it (WAL lets them read while one writes).

A writer that cannot get its turn within ``SQLITE_WRITER_WAIT_SECONDS`` gets
``sqlite3.OperationalError("database is locked")`` like SQLite's own timeout, which the app
answers with its 503 page (core/faults.py). PostgreSQL connections are left alone.
"""
from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "CREATE", "DROP", "ALTER")
_HELD = "netral_sqlite_writer"
#: Seconds a write transaction waits for its turn (SQLite's own busy_timeout is the same 30 s).
WAIT_SECONDS = 30.0


class _Turns:
    """A first-come, first-served lock (threading.Lock wakes its waiters in no particular order)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()

    def acquire(self, timeout: float) -> bool:
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            if self._condition.wait_for(lambda: self._serving == ticket, timeout):
                return True
            self._abandoned.add(ticket)  # later tickets must not wait for one that left
            self._skip_abandoned()
            return False

    def release(self) -> None:
        with self._condition:
            self._serving += 1
            self._skip_abandoned()

    def _skip_abandoned(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._condition.notify_all()


_turns = _Turns()


def _is_sqlite(connection) -> bool:
    return connection.dialect.name == "sqlite"


@event.listens_for(Engine, "before_cursor_execute")
def _take_turn(connection, cursor, statement, parameters, context, executemany):
    if not _is_sqlite(connection) or connection.info.get(_HELD):
        return
    if statement.lstrip()[:15].upper().startswith(_WRITES):
        if not _turns.acquire(WAIT_SECONDS):
            raise sqlite3.OperationalError("database is locked (waited for the writer queue)")
        connection.info[_HELD] = True


def _give_back(connection) -> None:
    if not _is_sqlite(connection):
        return  # PostgreSQL: never held (and an invalidated connection has no info to read)
    try:
        held = connection.info.pop(_HELD, False)
    except Exception:  # noqa: BLE001 - an invalidated connection: its pool checkin gives the turn back
        return
    if held:
        _turns.release()


@event.listens_for(Engine, "commit")
def _after_commit(connection):
    _give_back(connection)


@event.listens_for(Engine, "rollback")
def _after_rollback(connection):
    _give_back(connection)


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection, connection_record):
    """A connection going back to the pool never keeps the turn (a failed request's cleanup)."""
    if connection_record is not None and connection_record.info.pop(_HELD, False):
        _turns.release()


@event.listens_for(Pool, "invalidate")
def _on_invalidate(dbapi_connection, connection_record, exception):
    """A connection thrown away (it failed) gives its turn back before its record is reused."""
    if connection_record is not None and connection_record.info.pop(_HELD, False):
        _turns.release()
