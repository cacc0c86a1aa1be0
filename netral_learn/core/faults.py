"""A part the app depends on is briefly unavailable: the database, Redis, or disk space.

Such a request is answered with a 503 page ("try again shortly") and Retry-After, never a
traceback or a 500: the transaction is rolled back (files written for it are removed by
``core.storage``), one structured log line names the part, and the next request after the part
returns works without restarting anything (``pool_pre_ping``, redis-py reconnecting).
"""
from __future__ import annotations

import errno
import logging

from flask import current_app, make_response, request
from flask_babel import lazy_gettext as _l
from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
from sqlalchemy import exc as sa_exc

from ..extensions import db

logger = logging.getLogger("netral_learn.faults")

#: Seconds a client is asked to wait, per part: a restart takes seconds, freeing disk longer.
RETRY_AFTER = {"database": 5, "redis": 5, "disk": 60}
MESSAGE = _l("Layanan sedang terganggu sebentar. Tidak ada data yang berubah; "
             "silakan coba lagi dalam beberapa saat.")
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def _part_of(error: BaseException) -> str | None:
    # TimeoutError: no pooled connection came free in time (a burst beyond the pool): "try again".
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)) or (
            isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated):
        return "database"
    if isinstance(error, (RedisConnectionError, RedisTimeout)):
        return "redis"
    if isinstance(error, OSError) and error.errno in _DISK_FULL:
        return "disk"
    return None


def unavailable_part(error: BaseException | None) -> str | None:
    """'database', 'redis' or 'disk' when ``error`` (or an error it wraps) means that part is
    unreachable or full; None for every other error (a bug stays a logged 500)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        part = _part_of(error)
        if part:
            return part
        error = error.__cause__ or error.__context__
    return None


def unavailable_response(part: str, error: BaseException):
    """Roll back, log one line, answer 503 with Retry-After (a page, or JSON under /api/)."""
    from .errors import render_error

    try:
        db.session.rollback()
    except sa_exc.DBAPIError:  # the connection is gone; SQLAlchemy has already invalidated it
        discard_session()
    _forget_user()
    detail = (str(error).strip().splitlines() or [""])[0][:200]
    logger.warning("service unavailable: %s", part, extra={
        "fault": part, "path": request.path, "status": 503, "error": f"{type(error).__name__}: {detail}"})
    response = make_response(render_error(503, MESSAGE))
    response.headers["Retry-After"] = str(RETRY_AFTER[part])
    response.headers["Cache-Control"] = "no-store"
    return response


def _forget_user() -> None:
    """Render the page as for a visitor: the logged-in person cannot be (re)loaded without the
    database, and touching an expired ORM object would raise again inside the error page."""
    manager = getattr(current_app, "login_manager", None)
    if manager is not None:
        manager._update_request_context_with_user()  # flask-login: anonymous for this request only


def discard_session() -> None:
    """End the request's session even when its connection died after the response was built (its
    ROLLBACK then fails): the failed connection is already invalidated, so forgetting the session
    is safe, and the response the person gets stays the one the view made, not a 500."""
    try:
        db.session.remove()
    except sa_exc.DBAPIError as error:
        if unavailable_part(error) != "database":
            raise
        db.session.registry.clear()
        logger.info("database connection lost while ending a request; discarded", extra={"fault": "database"})


def install(app) -> None:
    """Close each request's session with :func:`discard_session`; registered after
    Flask-SQLAlchemy's own teardown, so it runs first and that one finds nothing left to close."""
    app.teardown_appcontext(lambda _error: discard_session())
