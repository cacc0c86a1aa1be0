"""Rendered learner pages kept in Redis per login session, served while nothing they show changed.

A module page is read again and again (reloads on a weak connection, back from the next module,
a last look before the quiz) and building it took five queries and a template. The page as sent
is kept under a key made of everything it was built from that is not in the database — the login
session, its CSRF secret, the language, the path, the person's local date and this release's
code — and stored with the freshness counters read *before* the view ran (``freshness.py``): any
committed change to the person's own rows or to shared content makes it stale on every server.

A stored page is served by a WSGI middleware, before Flask builds a request: the signed session
cookie names the login session and the person, the stored page names the login's expiry and the
person's time zone, and the person's counter changes whenever the login is ended (logout,
deactivation, password reset, new role). A hit costs one Redis round trip, no database and none
of the per-request work of Flask and its extensions (the page is then served as cheaply as a
bare Flask app serves a constant string); it carries the same security headers as every page.

Only a plain GET with nothing flashed is served or stored, and a response the request itself
changed data for is not stored. The CSRF tokens inside a stored page stay valid: a page lives
``PAGE_CACHE_SECONDS`` (10 minutes), at most a quarter of ``WTF_CSRF_TIME_LIMIT`` (config.py).
Without Redis every request runs the view.
"""
from __future__ import annotations

import functools
import hashlib
import io
import logging
import pickle
import time
from datetime import timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

from flask import current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadSignature
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from ..extensions import db
from . import freshness
from .cache import REDIS_DOWN
from .clock import now_utc
from .headers import security_headers
from .i18n import choose_locale, zone_of
from .jobs import redis_at

logger = logging.getLogger("netral_learn.page_cache")

#: Paths and session cookies remembered per process, at most.
_REMEMBERED = 4096
#: WSGI environ key: (the page's Redis key, the counters read, commits made before) after a lookup
#: that missed.
_LOOKED_UP = "netral.page_cache"
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


def cached_page(view=None, *, at_most: int | None = None):
    """Mark a learner page as one to keep; ``StoredPages`` serves it while fresh. ``at_most``:
    seconds a stored copy may be served, for a page showing the server's clock (the quiz timer)."""

    def mark(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            response = current_app.make_response(view(*args, **kwargs))
            looked_up = request.environ.pop(_LOOKED_UP, None)
            if looked_up is not None and _storable(response, looked_up[2]):
                _store(*looked_up[:2], response, at_most)
            return response

        wrapper.page_cached = True
        return wrapper

    return mark(view) if view is not None else mark


def build_page(path: str):
    """The page at ``path`` as this browser's GET of it would get it, built inside this request
    and stored for that GET when it is a stored page: for a POST everyone makes at the same
    moment (the quiz start) to answer with its next page directly, instead of a redirect whose GET
    would queue a second time behind everyone else's POST. Call it after the commit, made with
    ``commit_keeping_loaded``: the page is built from the objects the request holds when only its
    own commit moved the counters since the request began, otherwise the counters are read and then
    the data again, as for any stored page. Returns None unless the page came out whole (200),
    and when building fails: the POST's work is already committed, so the caller then redirects
    as usual."""
    script_root = request.environ.get("SCRIPT_NAME", "")
    environ = {**request.environ, "REQUEST_METHOD": "GET", "PATH_INFO": path.removeprefix(script_root),
               "QUERY_STRING": "", "CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO()}
    environ.pop("CONTENT_TYPE", None)
    environ.pop(_LOOKED_UP, None)
    app = current_app._get_current_object()
    try:
        with app.request_context(environ):  # the same app context: the same database session and login
            redis = freshness.redis_for("PAGE_CACHE_SECONDS")
            if redis is not None and getattr(app.view_functions.get(request.endpoint), "page_cached", False):
                name = _name(session, environ.get("HTTP_ACCEPT_LANGUAGE"), app.config["LANGUAGES"], f"{path}?")
                counters = freshness.moved_only_by_this_request(session[freshness.PERSON_IN_COOKIE]) if name else None
                if name and counters is None:  # read the counters, then the data again
                    db.session.expire_all()
                    counters = freshness.read(redis, session[freshness.PERSON_IN_COOKIE])
                    if counters is not None:
                        freshness.remember(counters, again=True)  # shared copies too (core/shared.py)
                if counters is not None:
                    environ[_LOOKED_UP] = (name, counters, freshness.commits_here())
            response = app.full_dispatch_request()
    except Exception:  # noqa: BLE001 — see the docstring
        logger.exception("page_cache: building %s failed", path)
        return None
    return response if response.status_code == 200 else None


def _storable(response, commits_before: int) -> bool:
    """A page the view built whole for this login, from data nothing changed while it was read."""
    return (response.status_code == 200 and response.mimetype == "text/html" and current_user.is_authenticated
            and current_user.id == session.get(freshness.PERSON_IN_COOKIE) and current_user.session_expires_at
            and freshness.commits_here() == commits_before and "_flashes" not in session)


def _store(name: str, counters, response, at_most: int | None) -> None:
    expires_at, seconds = current_user.session_expires_at, current_app.config["PAGE_CACHE_SECONDS"]
    if at_most:
        expires_at, seconds = min(expires_at, now_utc() + timedelta(seconds=at_most)), min(seconds, at_most)
    zone = zone_of(current_user)
    entry = (counters, expires_at, zone, _local_date(zone), response.get_data())
    try:
        redis_at(current_app.config["REDIS_URL"]).set(name, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL),
                                                      ex=seconds)
    except REDIS_DOWN:
        pass


def _name(data, accept_language: str | None, languages, path: str) -> str | None:
    """The Redis key of a page: the login session, the person, the CSRF secret, the language, the
    path with its query string and this release. None for a session without a login."""
    token, person_id, csrf = data.get("_user_id"), data.get(freshness.PERSON_IN_COOKIE), data.get("csrf_token")
    if not (isinstance(token, str) and isinstance(person_id, int) and isinstance(csrf, str)):
        return None
    parts = (token, str(person_id), csrf, choose_locale(data.get("lang"), accept_language, languages), path, release())
    return "netral:page:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


class StoredPages:
    """WSGI middleware answering with a stored page before Flask builds a request: no request
    context, session object, extension hooks or login. It reads only what the page's key is made
    of — the path, the signed session cookie (checked as Flask checks it), the language — and one
    Redis MGET. On a miss it leaves the key and the counters in the WSGI environ for the view."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._endpoints: dict[str, str | None] = {}
        self._signing = (None, None)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            body = self._stored(environ)
            if body is not None:
                headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                           ("Cache-Control", "no-store"), ("Vary", "Cookie"),
                           *security_headers(self.app.config)]
                start_response("200 OK", headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _stored(self, environ) -> bytes | None:
        app = self.app
        if not (app.config.get("REDIS_URL") and app.config.get("PAGE_CACHE_SECONDS", 0) > 0):
            return None
        if not getattr(app.view_functions.get(self._endpoint(environ)), "page_cached", False):
            return None
        if app.config.get("TRUSTED_HOSTS") is not None:
            try:
                get_host(environ, app.config["TRUSTED_HOSTS"])
            except SecurityError:
                return None  # Flask refuses it (400), as any request for a host not served here
        data = self._session(environ)
        if data is None or "_flashes" in data:
            return None
        path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
        name = _name(data, environ.get("HTTP_ACCEPT_LANGUAGE"), app.config["LANGUAGES"], path)
        if name is None:
            return None
        person_id = data[freshness.PERSON_IN_COOKIE]
        redis = redis_at(app.config["REDIS_URL"])
        try:
            stored, *counters = redis.mget([name, freshness.key(person_id), freshness.key(freshness.EVERYONE)])
        except REDIS_DOWN:
            return None
        counters = freshness.counters_in(counters) or freshness.read(redis, person_id)
        if counters is None:
            return None
        if stored is not None:
            built_under, login_expires_at, zone, day, body = pickle.loads(stored)
            if built_under == counters and login_expires_at > now_utc() and _local_date(zone) == day:
                return body
        environ[_LOOKED_UP] = (name, counters, 0)
        return None

    def _endpoint(self, environ) -> str | None:
        """The endpoint a path routes to, remembered per path (the app matches no hosts)."""
        path = f"{environ.get('SCRIPT_NAME', '')}\0{environ.get('PATH_INFO', '')}"
        endpoint = self._endpoints.get(path, False)
        if endpoint is False:
            try:
                endpoint = self.app.url_map.bind_to_environ(environ).match(method="GET")[0]
            except HTTPException:
                endpoint = None
            if len(self._endpoints) > _REMEMBERED:
                self._endpoints.clear()
            self._endpoints[path] = endpoint
        return endpoint

    def _session(self, environ) -> dict | None:
        """The session cookie's contents if its signature and age hold, as Flask reads it."""
        interface = self.app.session_interface
        if not isinstance(interface, SecureCookieSessionInterface):
            return None
        header = environ.get("HTTP_COOKIE")
        if not header:
            return None
        secrets = (self.app.secret_key, tuple(self.app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signing = self._signing
        if signing[0] != secrets:
            signing = self._signing = (secrets, interface.get_signing_serializer(self.app))
        if signing[1] is None:
            return None
        opened = _opened(header, interface.get_cookie_name(self.app), signing[1])
        if opened is None:
            return None
        data, signed_at = opened
        age = time.time() - signed_at
        return data if 0 <= age <= self.app.permanent_session_lifetime.total_seconds() else None


@functools.lru_cache(maxsize=_REMEMBERED)
def _opened(header: str, cookie_name: str, serializer) -> tuple[dict, float] | None:
    """The session cookie's contents and signing time, out of a Cookie header, its signature
    checked once per process: the same header comes with every request of a login, and parsing
    and checking it (HMAC, base64, zlib, tagged JSON) cost more than the rest of serving a stored
    page. Never mutate the returned dict."""
    value = parse_cookie(header).get(cookie_name)
    if value is None:
        return None
    try:
        data, signed_at = serializer.loads(value, return_timestamp=True)
    except BadSignature:
        return None
    return (data, signed_at.timestamp()) if isinstance(data, dict) else None


def _remember_counters():
    """before_request on a miss: the counters the lookup read serve the rest of the request."""
    looked_up = request.environ.get(_LOOKED_UP)
    if looked_up is not None:
        freshness.remember(looked_up[1])


def install(app) -> None:
    """Serve stored pages ahead of Flask; the hook passes a miss's counters on to the request."""
    app.wsgi_app = StoredPages(app, app.wsgi_app)
    app.before_request(_remember_counters)
