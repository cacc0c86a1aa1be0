"""The login checked without the database on most requests, when Redis is configured.

Reading the session row with its person and unit on every request cost more than the rest of a
small page. With Redis, the person, unit and instansi as read (never password hashes) are kept as
JSON for ``LOGIN_CACHE_SECONDS`` under a hash of the session id, together with two generations
read *before* the database: the person's **account** generation and the **content** generation.
A request uses the copy only while both are unchanged, so a change committed in between always
makes it stale, never the other way round.

What moves them is found by three ORM session events, for three tables only:
- a row of ``people`` or ``login_sessions`` flushed → that person's account generation;
- a row of ``units`` flushed → the content generation;
- a bulk INSERT/UPDATE/DELETE on those tables → the account generation of the person it names with
  ``execution_options(**of_person(id))``, else the content generation (every copy goes stale).
The increments happen after the commit. Logout, deactivation, a password reset, a new role or unit
therefore take effect at once on every app server, while progress, answers and signatures leave
the copy in place. Without Redis every request reads the database; changes made with SQL outside
the app reach copies within ``LOGIN_CACHE_SECONDS``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import event, inspect as sa_inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..core.cache import REDIS_DOWN
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db
from .models import LoginSession, Person, Unit

logger = logging.getLogger("netral_learn.login_cache")

#: The session-cookie key holding the logged-in person's id (signed with the cookie), so the copy
#: and the person's account generation come back in one Redis round trip.
PERSON_IN_COOKIE = "_pid"
CONTENT = "content"
_PREFIX = "netral:gen:"
_FORMAT = 3
_SECRET_COLUMNS = frozenset({"password_hash", "initial_password_enc"})
_OPTION = "netral_login_of"
_NOBODY = "nobody"
_PENDING = "netral_login_changed"
#: A generation outlives every copy read under it; one that expired starts again from a random
#: value, so an old copy can never match it by chance.
_GENERATION_TTL = 2 * 24 * 3600


def connection():
    """Redis when the login cache is on (REDIS_URL set and LOGIN_CACHE_SECONDS > 0)."""
    if current_app.config.get("LOGIN_CACHE_SECONDS", 0) <= 0:
        return None
    from ..core.jobs import redis_connection

    return redis_connection()


def of_person(person_id: int) -> dict:
    """Execution options for a bulk statement on people or login sessions of this person only."""
    return {_OPTION: person_id}


def of_nobody() -> dict:
    """Execution options for a bulk statement no copy can show (rows every copy refuses anyway)."""
    return {_OPTION: _NOBODY}


def account(person_id: int) -> str:
    return f"account:{person_id}"


def _key(owner: str) -> str:
    return _PREFIX + owner


def _name(token: str) -> str:
    return "netral:login:" + hashlib.sha256(token.encode()).hexdigest()[:40]


def lookup(redis, token: str, person_id: int) -> tuple[Person | None, list[int] | None]:
    """(the copy of this login attached to the request's ORM session, or None; the generations
    read now, before the database, to store a fresh copy under — None when nothing may be stored)."""
    generations = [_key(account(person_id)), _key(CONTENT)]
    try:
        stored, *values = redis.mget([_name(token), *generations])
        if None in values:  # new or expired: start from random values
            pipe = redis.pipeline(transaction=False)
            for name in generations:
                pipe.set(name, secrets.randbits(62), nx=True, ex=_GENERATION_TTL)
            pipe.mget(generations)
            values, stored = pipe.execute()[-1], None
    except REDIS_DOWN as error:
        logger.warning("login cache: Redis unreachable, reading the session from the database (%s)",
                       type(error).__name__)
        return None, None
    values = [int(value) for value in values]
    if stored is None:
        return None, values
    entry = json.loads(stored)
    expires_at = datetime.fromisoformat(entry["expires_at"])
    if (entry.get("format") != _FORMAT or entry["generations"] != values or entry["person"]["id"] != person_id
            or expires_at <= now_utc()):
        return None, values
    person = _attach(entry)
    person.session_expires_at = expires_at
    return person, values


def store(redis, token: str, person: Person, expires_at: datetime, generations: list[int]) -> None:
    """Keep what the database said, under the generations read before it (see ``lookup``)."""
    lifetime = min(current_app.config["LOGIN_CACHE_SECONDS"], int((expires_at - now_utc()).total_seconds()))
    if lifetime <= 0:
        return
    unit = person.unit
    # The instansi (root unit) gives the person's time zone, which nearly every page asks for.
    root = unit if unit.parent_id is None else db.session.get(Unit, unit.root_id)
    entry = {"format": _FORMAT, "generations": generations, "expires_at": expires_at.isoformat(),
             "person": _columns(person), "units": [_columns(unit), *([_columns(root)] if root is not unit else [])]}
    try:
        redis.set(_name(token), json.dumps(entry, default=_encoded), ex=lifetime)
    except REDIS_DOWN:
        pass  # read from the database again next time


def forget(redis, token: str) -> None:
    """Drop the copy of one session (logout), in addition to the generation the deletion moves."""
    try:
        redis.delete(_name(token))
    except REDIS_DOWN:
        pass  # its generation still moves after the commit, or it expires


def _encoded(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _columns(obj) -> dict:
    state = sa_inspect(obj)
    return {attr.key: state.dict[attr.key] for attr in state.mapper.column_attrs
            if attr.key in state.dict and attr.key not in _SECRET_COLUMNS}


def _attach(entry: dict) -> Person:
    """The cached person and units as persistent objects of this request's session, without SQL.
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
    columns = model.__mapper__.columns
    for name, value in values.items():
        column_type = columns[name].type
        if value is not None and isinstance(column_type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and getattr(column_type, "enum_class", None) is not None:
            value = column_type.enum_class(value)
        set_committed_value(obj, name, value)
    make_transient_to_detached(obj)
    return obj


# --- what moves the generations ---------------------------------------------------------------

def _pending(session: Session) -> set:
    return session.info.setdefault(_PENDING, set())


def _after_flush(session: Session, _context) -> None:
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Unit):
            pending.add(CONTENT)
        elif isinstance(obj, Person) and obj.id is not None:
            pending.add(account(obj.id))
        elif isinstance(obj, LoginSession) and obj.person_id is not None:
            pending.add(account(obj.person_id))


_WATCHED = {Person.__tablename__, LoginSession.__tablename__, Unit.__tablename__}


def _on_execute(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in _WATCHED:
        return
    person = state.execution_options.get(_OPTION)
    if person == _NOBODY:
        return
    _pending(state.session).add(account(person) if person is not None and table != Unit.__tablename__ else CONTENT)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: nothing is visible to others before the real commit
    owners = session.info.pop(_PENDING, None)
    if not owners or not has_app_context() or not current_app.config.get("REDIS_URL"):
        return
    from ..core.jobs import redis_connection

    redis = redis_connection()
    try:
        pipe = redis.pipeline(transaction=False)
        for owner in owners:
            pipe.incr(_key(owner))
            pipe.expire(_key(owner), _GENERATION_TTL)
        pipe.execute()
    except REDIS_DOWN as error:
        logger.warning("login cache: Redis unreachable, copies of %s stay until they expire (%s)",
                       sorted(owners), type(error).__name__)


_installed = False


def install() -> None:
    """Listen on every ORM session of this process (once)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        _installed = True
