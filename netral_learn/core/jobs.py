"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise run inline (the embedded default).

A job is a plain importable function taking plain values; it opens its own app context, so
the same function runs in the request (inline) or in `flask worker` (Redis).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import current_app

logger = logging.getLogger("netral_learn.jobs")
QUEUE_NAME = "netral"


#: Seconds before a Redis call gives up: an unreachable Redis costs a request this much, not a hang.
REDIS_TIMEOUT = 2


@functools.cache
def redis_at(url: str):
    """One client (one connection pool) per URL and process; it reconnects by itself when Redis
    comes back, so no restart is needed after a Redis outage."""
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT,
                          health_check_interval=30)


def redis_connection():
    url = current_app.config.get("REDIS_URL")
    return redis_at(url) if url else None


def enqueue(func: Callable, *args, at_front: bool = False, **kwargs):
    """Queue ``func(*args, **kwargs)`` (``at_front``: before the jobs already waiting); without
    Redis run it now. Returns the RQ job or the result.

    With Redis configured but down this raises (the request gets the 503 page and its transaction
    rolls back): running a job meant for the queue inline could outlast the request timeout."""
    connection = redis_connection()
    if connection is None:
        return func(*args, **kwargs)
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection).enqueue(func, *args, **kwargs, at_front=at_front,
                                                           job_timeout=600, result_ttl=3600, failure_ttl=86400)


def run_in_app(func: Callable, *args, **kwargs):
    """Run ``func`` inside an app context (a worker has none of its own)."""
    from flask import has_app_context

    if has_app_context():
        return func(*args, **kwargs)
    from .. import create_app

    with create_app().app_context():
        return func(*args, **kwargs)


def queue_after_commit(func: Callable, *args, urgent: bool = False) -> bool:
    """Queue ``func(*args)`` once the current transaction has committed, and never if it rolls
    back — for work that may wait (a PDF to render ahead of its first download); ``urgent`` jobs
    go before those already waiting (what the person asks for next). Only with Redis, and says
    whether it queued: without a queue there is nobody to do it later, so the caller does the
    work now or leaves it to its lazy path."""
    from ..extensions import db

    if not current_app.config.get("REDIS_URL"):
        return False
    db.session.info.setdefault("queue_after_commit", []).append((func, args, urgent))
    return True


def _install_after_commit_hooks() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    @event.listens_for(Session, "after_commit")
    def _enqueue(session):
        for func, args, urgent in session.info.pop("queue_after_commit", []):
            try:
                enqueue(func, *args, at_front=urgent)
            except Exception:  # noqa: BLE001 - committed work stands; the lazy path does the job later
                logger.warning("job not queued after commit: %s", func.__name__, exc_info=True)

    @event.listens_for(Session, "after_rollback")
    def _forget(session):
        session.info.pop("queue_after_commit", None)


_install_after_commit_hooks()
