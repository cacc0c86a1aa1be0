"""Rendered learner pages kept in Redis per login session, served while nothing they show changed.

A module page is read again and again (reloads on a weak connection, back from the next module,
a last look before the quiz) and building it took five queries and a template. The page as sent
is kept under a key made of everything it was built from that is not in the database — the login
session, its CSRF secret, the language, the path, the person's local date and this release's
code — and stored with the freshness counters read *before* the view ran (``freshness.py``): any
committed change to the person's own rows or to shared content makes it stale on every server.

A stored page is served by a hook that runs before the login is loaded: the signed session
cookie names the login session and the person, the stored page names the login's expiry and the
person's time zone, and the person's counter changes whenever the login is ended (logout,
deactivation, password reset, new role). A hit costs one Redis round trip and no database.

Only a plain GET with nothing flashed is served or stored, and a response the request itself
changed data for is not stored. The CSRF tokens inside a stored page stay valid: a page lives
``PAGE_CACHE_SECONDS`` (10 minutes), at most a quarter of ``WTF_CSRF_TIME_LIMIT`` (config.py).
Without Redis every request runs the view.
"""
from __future__ import annotations

import functools
import hashlib
import pickle
from zoneinfo import ZoneInfo
from pathlib import Path

from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user

from . import freshness
from .cache import REDIS_DOWN
from .clock import now_utc
from .i18n import zone_of

_LOOKED_UP = "netral_page_cache"
_ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def release() -> str:
    """A digest of the code, templates and translations: pages of another release never match."""
    digest = hashlib.sha256()
    for folder, pattern in (("netral_learn", "**/*.py"), ("templates", "**/*"), ("translations", "**/*.po")):
        for path in sorted((_ROOT / folder).glob(pattern)):
            if path.is_file():
                digest.update(path.relative_to(_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _local_date(zone: str):
    return now_utc().astimezone(ZoneInfo(zone)).date()


def cached_page(view):
    """Mark a learner page as one to keep; the hook in ``install`` serves it while fresh."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        looked_up = g.pop(_LOOKED_UP, None)
        if looked_up is not None and _storable(response):
            name, counters, redis = looked_up
            zone = zone_of(current_user)
            entry = (counters, current_user.session_expires_at, zone, _local_date(zone), response.get_data())
            try:
                redis.set(name, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL),
                          ex=current_app.config["PAGE_CACHE_SECONDS"])
            except REDIS_DOWN:
                pass
        return response

    wrapper.page_cached = True
    return wrapper


def _storable(response) -> bool:
    return (response.status_code == 200 and response.mimetype == "text/html" and current_user.is_authenticated
            and current_user.id == session.get(freshness.PERSON_IN_COOKIE) and current_user.session_expires_at
            and not freshness.changed_here() and "_flashes" not in session)


def _serve_stored_page():
    """before_request: the stored page if it is fresh; otherwise remember what to store it under."""
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "page_cached", False) or request.method != "GET" or "_flashes" in session:
        return None
    token, person_id, csrf = session.get("_user_id"), session.get(freshness.PERSON_IN_COOKIE), session.get("csrf_token")
    if not (isinstance(token, str) and isinstance(person_id, int) and isinstance(csrf, str)):
        return None
    redis = freshness.redis_for("PAGE_CACHE_SECONDS")
    if redis is None:
        return None
    parts = (token, str(person_id), csrf, str(get_locale()), request.full_path, release())
    name = "netral:page:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]
    try:
        stored, *counters = redis.mget([name, freshness.key(person_id), freshness.key(freshness.EVERYONE)])
    except REDIS_DOWN:
        return None
    counters = freshness.counters_in(counters) or freshness.read(redis, person_id)
    if counters is None:
        return None
    freshness.remember(counters)
    if stored is not None:
        built_under, login_expires_at, zone, day, body = pickle.loads(stored)
        if built_under == counters and login_expires_at > now_utc() and _local_date(zone) == day:
            # no-store as for every logged-in page, set here so no hook loads the login to decide it
            return Response(body, mimetype="text/html", headers={"Cache-Control": "no-store"})
    setattr(g, _LOOKED_UP, (name, counters, redis))
    return None


def install(app) -> None:
    """Serve stored pages before anything loads the login (register before other request hooks)."""
    app.before_request(_serve_stored_page)
