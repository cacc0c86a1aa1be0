"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise run inline (the embedded default).

A job is a plain importable function taking plain values; it opens its own app context, so
the same function runs in the request (inline) or in `flask worker` (Redis).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app

logger = logging.getLogger("netral_learn.jobs")
QUEUE_NAME = "netral"


def redis_connection():
    from redis import Redis

    url = current_app.config.get("REDIS_URL")
    return Redis.from_url(url) if url else None


def enqueue(func: Callable, *args, **kwargs):
    """Queue ``func(*args, **kwargs)``; without Redis run it now. Returns the RQ job or the result."""
    connection = redis_connection()
    if connection is None:
        return func(*args, **kwargs)
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection).enqueue(func, *args, **kwargs, job_timeout=600,
                                                           result_ttl=3600, failure_ttl=86400)


def run_in_app(func: Callable, *args, **kwargs):
    """Run ``func`` inside an app context (a worker has none of its own)."""
    from flask import has_app_context

    if has_app_context():
        return func(*args, **kwargs)
    from .. import create_app

    with create_app().app_context():
        return func(*args, **kwargs)
