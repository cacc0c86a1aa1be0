"""The in-process fallback of the shared cache: values live for their TTL, and expired ones go."""
from __future__ import annotations

from netral_learn.core import cache


def test_values_are_reused_until_they_expire_and_expired_ones_are_dropped(app, monkeypatch):
    """Is a value computed once per TTL, and does the process cache not grow with dead keys?"""
    clock = {"now": 1000.0}
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(cache, "_local", {})
    calls = []
    with app.app_context():
        assert cache.cached_json("k", 10, lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}
        assert cache.cached_json("k", 10, lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}
        clock["now"] += 11
        assert cache.cached_json("k", 10, lambda: calls.append(1) or {"n": len(calls)}) == {"n": 2}
        for version in range(cache._PURGE_ABOVE * 3):
            clock["now"] += 1
            cache.cached_json(f"report:{version}", 5, lambda: {"x": 1})
        assert len(cache._local) <= cache._PURGE_ABOVE + 1
