"""A small shared cache: Redis when configured (all app servers share it), else this process."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

_local: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def cached_json(key: str, ttl: int, compute: Callable[[], object]):
    """The value of ``compute()`` for ``key``, recomputed at most once every ``ttl`` seconds."""
    from .jobs import redis_connection

    connection = redis_connection()
    if connection is not None:
        try:
            hit = connection.get(f"netral:cache:{key}")
            if hit is not None:
                return json.loads(hit)
            value = compute()
            connection.set(f"netral:cache:{key}", json.dumps(value, default=str), ex=ttl)
            return value
        except OSError:
            pass  # Redis unreachable: fall back to this process's cache
    now = time.monotonic()
    with _lock:
        hit = _local.get(key)
        if hit is not None and now - hit[0] < ttl:
            return json.loads(hit[1])
    value = compute()
    with _lock:
        _local[key] = (now, json.dumps(value, default=str))
    return value
