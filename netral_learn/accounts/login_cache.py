"""The login session checked without the database on most requests.

Reading the session row with its person and unit from PostgreSQL on every request cost more
than the rest of a small page: a constant logged-in answer ran at 0.18 of a bare Flask app, an
anonymous one at 0.63. With Redis configured, the person, unit and instansi as read are kept there for a
few minutes under a hash of the session id, together with the freshness counters read *before*
the database (``core/freshness.py``): the person's *account* counter (their people row and login
sessions) and everyone's. A request uses the copy only while both are unchanged, so logout,
deactivation, a password reset, a new role or unit take effect at once on every app server, while
the person's own progress, answers and signature leave the copy in place. Password hashes are
never cached. Without Redis every request reads the database.

The person's id travels in the signed session cookie, so one Redis round trip fetches the copy
and both counters.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
from datetime import datetime

from flask import current_app, session as cookie
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..core import freshness
from ..core.cache import REDIS_DOWN
from ..core.clock import now_utc
from ..extensions import db
from .models import Person, Unit

logger = logging.getLogger("netral_learn.login_cache")

_FORMAT = 2
_SECRET_COLUMNS = frozenset({"password_hash", "initial_password_enc"})


def connection():
    """Redis when the login cache is on (REDIS_URL set and LOGIN_CACHE_SECONDS > 0)."""
    return freshness.redis_for("LOGIN_CACHE_SECONDS")


def _name(token: str) -> str:
    return "netral:login:" + hashlib.sha256(token.encode()).hexdigest()[:40]


def lookup(redis, token: str) -> tuple[Person | None, tuple[int, int] | None]:
    """(the cached person, attached to this request's ORM session, or None; the counters read now,
    to store a fresh copy under after a miss, or None when nothing may be stored)."""
    person_id = cookie.get(freshness.PERSON_IN_COOKIE)
    if not isinstance(person_id, int):
        return None, None
    try:
        values = redis.mget([_name(token), freshness.key(freshness.account(person_id)),
                             freshness.key(freshness.EVERYONE), freshness.key(person_id)])
    except REDIS_DOWN as error:
        logger.warning("login cache: Redis unreachable, reading the session from the database (%s)",
                       type(error).__name__)
        return None, None
    counters = freshness.counters_in(values[1:3]) or freshness.read(redis, freshness.account(person_id))
    if counters is not None:
        freshness.remember(counters)
    if values[3] is not None:  # for a page built from this request's own objects (page_cache.build_page)
        freshness.remember_person(person_id, int(values[3]))
    if values[0] is None or counters is None:
        return None, counters
    try:
        entry = pickle.loads(values[0])
    except Exception:  # noqa: BLE001 - a copy written by another release: read the database
        return None, counters
    if (entry.get("format") != _FORMAT or entry["counters"] != counters or entry["person"].get("id") != person_id
            or entry["expires_at"] <= now_utc()):
        return None, counters
    person = _attach(entry)
    person.session_expires_at = entry["expires_at"]
    return person, counters


def mark_login(person: Person) -> None:
    """At login: the person's id into the signed session cookie, so that the very first page after
    it reads the copy and the counters in one round trip (without it, that page would only set it)."""
    cookie[freshness.PERSON_IN_COOKIE] = person.id


def store(redis, token: str, person: Person, expires_at: datetime, counters: tuple[int, int] | None) -> None:
    """Keep what the database said, under the counters read before it (see ``lookup``)."""
    if cookie.get(freshness.PERSON_IN_COOKIE) != person.id:
        cookie[freshness.PERSON_IN_COOKIE] = person.id  # from the next request on, one round trip finds the copy
        return
    if counters is None:
        return
    lifetime = min(current_app.config["LOGIN_CACHE_SECONDS"], int((expires_at - now_utc()).total_seconds()))
    if lifetime <= 0:
        return
    unit = person.unit
    # The instansi (root unit) gives the person's time zone, which nearly every page asks for.
    root = unit if unit.parent_id is None else db.session.get(Unit, unit.root_id)
    entry = {"format": _FORMAT, "counters": counters, "expires_at": expires_at,
             "person": _columns(person), "units": [_columns(unit), *([_columns(root)] if root is not unit else [])]}
    try:
        redis.set(_name(token), pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), ex=lifetime)
    except REDIS_DOWN:
        pass  # read from the database again next time


def forget(redis, token: str) -> None:
    """Drop the copy of one session (logout), in addition to the counter the deletion bumps."""
    try:
        redis.delete(_name(token))
    except REDIS_DOWN:
        pass  # its counter still changes after the commit, or it expires


def _columns(obj) -> dict:
    state = sa_inspect(obj)
    return {attr.key: state.dict[attr.key] for attr in state.mapper.column_attrs
            if attr.key in state.dict and attr.key not in _SECRET_COLUMNS}


def _attach(entry: dict) -> Person:
    """The cached person and unit as persistent objects of this request's session, without SQL.
    Columns left out (the password hashes) load from the database if a request reads them."""
    session = db.session
    person = session.identity_map.get(sa_inspect(Person).identity_key_from_primary_key([entry["person"]["id"]]))
    if person is not None:
        return person  # already loaded in this session (a test or a job sharing the context)
    units = []
    for values in entry["units"]:
        unit = session.identity_map.get(sa_inspect(Unit).identity_key_from_primary_key([values["id"]]))
        if unit is None:
            unit = _restored(Unit, values)
            session.add(unit)
        units.append(unit)
    person = _restored(Person, entry["person"])
    set_committed_value(person, "unit", units[0])
    person._cached_units = units  # the session's identity map holds objects weakly: keep the instansi alive
    session.add(person)
    return person


def _restored(model, values: dict):
    """An instance as if just loaded from the database (no pending changes), not yet in a session."""
    obj = model.__mapper__.class_manager.new_instance()
    for name, value in values.items():
        set_committed_value(obj, name, value)
    make_transient_to_detached(obj)
    return obj
