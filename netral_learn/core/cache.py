"""A small shared cache: Redis when configured (all app servers share it), else this process.

When Redis is unreachable the cache falls back to this process (a little more database work,
no error page) and uses Redis again as soon as it answers."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout

logger = logging.getLogger("netral_learn.cache")
REDIS_DOWN = (RedisConnectionError, RedisTimeout, OSError)
_local: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def cached_json(key: str, ttl: int, compute: Callable[[], object]):
    """The value of ``compute()`` for ``key``, recomputed at most once every ``ttl`` seconds."""
    from .jobs import redis_connection

    connection = redis_connection()
    if connection is not None:
        name = f"netral:cache:{key}"
        try:
            hit = connection.get(name)
        except REDIS_DOWN as error:
            logger.warning("cache: Redis unreachable, using this process's cache (%s)", type(error).__name__)
        else:
            if hit is not None:
                return json.loads(hit)
            value = compute()
            try:
                connection.set(name, json.dumps(value, default=str), ex=ttl)
            except REDIS_DOWN:
                pass  # computed anyway; the next call tries Redis again
            return value
    return _local_cached(key, ttl, compute)


#: Past this many entries, expired ones are dropped on the next insert (keys that embed a
#: version, like the report sums per count, would otherwise pile up in a long-running process).
_PURGE_ABOVE = 256


def _local_cached(key: str, ttl: int, compute: Callable[[], object]):
    now = time.monotonic()
    with _lock:
        hit = _local.get(key)
        if hit is not None and now < hit[0]:
            return json.loads(hit[1])
    value = compute()
    with _lock:
        if len(_local) >= _PURGE_ABOVE:
            for stale in [k for k, (expires, _payload) in _local.items() if expires <= now]:
                del _local[stale]
        _local[key] = (now + ttl, json.dumps(value, default=str))
    return value
