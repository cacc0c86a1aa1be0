"""Generations: how a cached copy (a login, a page) knows it is stale, on every app server.

Every committed transaction that changed rows belonging to one person (their account, login
sessions, enrollment, progress, attempts, pact, certificate) increments that person's counter in
Redis, and changes to their people row or login sessions also increment their *account*
counter (all a login copy depends on). Any other change a learner could see (a unit, a program,
a module, a bulk statement nobody attributed) increments the counter of everyone. A cached copy
stores the counters read *before* its data was read from the database and is used only while
both are unchanged, so a change committed in between always makes it stale, never the other way
round.

Changes are found by the ORM session's own events, so no service has to remember to call
anything: objects flushed are attributed to their person (directly, or through the parent row they
belong to), and a bulk UPDATE/DELETE/INSERT counts for everyone unless it names its person with
``execution_options(**freshness.of_person(id))``. Tables no learner page shows (audit, report
snapshots, certificate counters, API clients) are ignored.

Without Redis (the embedded default) nothing is counted and nothing is cached. If the process
dies between a commit and its increment, copies stay stale for at most their TTL.
"""
from __future__ import annotations

import logging
import secrets

from flask import current_app, g, has_app_context
from sqlalchemy import event, inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import MANYTOONE
from sqlalchemy.sql.elements import TextClause

from .cache import REDIS_DOWN

logger = logging.getLogger("netral_learn.freshness")

EVERYONE = "all"
#: Rows a login copy is made of: changing them bumps the person's account counter as well, so
#: progress, attempts or a signature (the person counter) leave the login copy in place.
ACCOUNT_TABLES = frozenset({"people", "login_sessions"})
_PERSON_OPTION = "netral_person"
_NOBODY = "nobody"
_PENDING = "netral_changed"
_CHANGED_HERE = "netral_changed_here"
_COMMITS_HERE = "netral_commits_here"
_PERSON_SEEN = "netral_person_seen"
_BUMPED = "netral_bumped"
_SEEN = "netral_everyone_seen"
_PREFIX = "netral:gen:"
#: A person's counter outlives every copy that read it; a counter that expired starts again from a
#: random value, so an old copy can never match it by chance.
_COUNTER_TTL = 2 * 24 * 3600
IGNORED_TABLES = frozenset({"audit_events", "funnel_cells", "funnel_days", "funnel_snapshots",
                            "certificate_counters", "api_clients", "login_throttles"})
_READ_ONLY_SQL = ("SELECT", "WITH", "SET", "SHOW", "EXPLAIN")


#: The session-cookie key holding the logged-in person's id (signed with the cookie), so a copy and
#: that person's counter come back in one Redis round trip.
PERSON_IN_COOKIE = "_pid"


def redis_for(lifetime_setting: str):
    """Redis when configured and the cache named by ``lifetime_setting`` (seconds) is on."""
    from .jobs import redis_connection

    return redis_connection() if current_app.config.get(lifetime_setting, 0) > 0 else None


def of_person(person_id: int) -> dict:
    """Execution options for a bulk statement that changes only this person's rows."""
    return {_PERSON_OPTION: person_id}


def of_nobody() -> dict:
    """Execution options for a bulk statement whose change no cached copy can show (e.g. deleting
    rows every copy already refuses by itself)."""
    return {_PERSON_OPTION: _NOBODY}


def account(person_id: int) -> str:
    """The owner name of a person's account counter (their people row and login sessions)."""
    return f"account:{person_id}"


def key(owner: int | str) -> str:
    return f"{_PREFIX}{owner}"


def read(connection, owner: int | str) -> tuple[int, int] | None:
    """(the counter of ``owner`` — a person id or ``account(id)`` —, everyone's counter), creating
    them if new; None if Redis is down."""
    values = _current(connection, [key(owner), key(EVERYONE)])
    return None if values is None else (values[0], values[1])


def _current(connection, names: list[str]) -> list[int] | None:
    try:
        values = connection.mget(names)
        if None in values:
            pipe = connection.pipeline(transaction=False)
            for name, value in zip(names, values, strict=True):
                if value is None:
                    pipe.set(name, secrets.randbits(62), nx=True, ex=_COUNTER_TTL)
            pipe.mget(names)
            values = pipe.execute()[-1]
    except REDIS_DOWN:
        return None
    return [int(value) for value in values]


def counters_in(values) -> tuple[int, int] | None:
    """The counters out of an MGET that asked for them (None when one is missing)."""
    return None if None in values else (int(values[0]), int(values[1]))


def remember(counters: tuple[int, int], *, again: bool = False) -> None:
    """Keep everyone's counter as read at the start of this request (before any data was read),
    for ``everyone()`` to answer without another round trip. ``again``: the request read the
    counters anew before reading its data again (a page built after its own commit)."""
    if has_app_context() and (again or _SEEN not in g):
        setattr(g, _SEEN, counters[1])


def everyone_read_first() -> bool:
    """Was everyone's counter read at the start of this request, before any data (as the login
    and the stored-page lookup read it)? Only then may what the request reads be kept under it."""
    return has_app_context() and _SEEN in g and EVERYONE not in changed_here()


def everyone() -> int | None:
    """Everyone's counter, read before the caller reads shared content; None without Redis."""
    if everyone_read_first():
        return g.get(_SEEN)  # this request's own commits (if any) changed only people's rows
    from .jobs import redis_connection

    connection = redis_connection()
    values = _current(connection, [key(EVERYONE)]) if connection is not None else None
    return None if values is None else values[0]


def bump(connection, owners: set) -> dict:
    """Increment the counters of ``owners`` (person ids, account names and/or EVERYONE); their new
    values, and everyone's counter as it is right after."""
    pipe = connection.pipeline(transaction=False)
    position = {}
    for owner in owners:
        position[owner] = len(pipe)
        pipe.incr(key(owner))
        if owner != EVERYONE:
            pipe.expire(key(owner), _COUNTER_TTL)
    pipe.get(key(EVERYONE))
    results = pipe.execute()
    values = {owner: int(results[index]) for owner, index in position.items()}
    values.setdefault(EVERYONE, None if results[-1] is None else int(results[-1]))
    return values


def remember_person(person_id: int, value: int) -> None:
    """Keep the person's counter as read at the start of this request, before any data was read."""
    if has_app_context() and _PERSON_SEEN not in g:
        setattr(g, _PERSON_SEEN, (person_id, value))


def moved_only_by_this_request(person_id: int) -> tuple[int, int] | None:
    """The counters (the person's, everyone's) under which a copy built from what this request
    holds in memory may be stored: when, since the start of the request, the person's counter moved
    only by this request's one commit (its increment came right after the value first read) and
    everyone's did not move at all. Any other commit's increment then still lies ahead and will
    make the copy stale. None otherwise: read the data again after reading the counters."""
    seen, bumped, everyone_seen = g.get(_PERSON_SEEN), g.get(_BUMPED), g.get(_SEEN)
    if seen is None or seen[0] != person_id or bumped is None or commits_here() != 1:
        return None
    if bumped.get(person_id) != seen[1] + 1 or everyone_seen is None or bumped.get(EVERYONE) != everyone_seen:
        return None
    return bumped[person_id], everyone_seen


# --- who a change belongs to ----------------------------------------------------------------

def changed_here() -> set:
    """What this request (or job) has committed changes for so far: person ids and/or EVERYONE."""
    return g.get(_CHANGED_HERE, set())


def commits_here() -> int:
    """How many commits of this request (or job) changed something so far."""
    return g.get(_COMMITS_HERE, 0)


def _table(mapper) -> str:
    return mapper.local_table.name


def _owned(mapper) -> bool:
    return _table(mapper) == "people" or "person_id" in mapper.columns


def _owners_of(session: Session, obj, depth: int = 0) -> set | None:
    """The people whose rows ``obj`` is (or belongs to); None if it belongs to no one person."""
    state = sa_inspect(obj)
    mapper = state.mapper
    if _table(mapper) == "people":
        return {obj.id}
    if "person_id" in mapper.columns:
        history = state.attrs.person_id.history
        return {value for value in (*history.added, *history.unchanged, *history.deleted) if value is not None}
    owners: set = set()
    parents = [rel for rel in mapper.relationships if rel.direction is MANYTOONE and _owned(rel.mapper)]
    if not parents or depth > 2:
        return None
    for rel in parents:
        parent = state.dict.get(rel.key)  # set when the row was added through its parent
        if parent is None:
            local, _remote = rel.local_remote_pairs[0]
            value = state.dict.get(mapper.get_property_by_column(local).key)
            parent = session.identity_map.get(rel.mapper.identity_key_from_primary_key([value]))
        found = _owners_of(session, parent, depth + 1) if parent is not None else None
        if found is None:
            return None  # the parent is not loaded: count the change for everyone
        owners |= found
    return owners


def _pending(session: Session) -> set:
    return session.info.setdefault(_PENDING, set())


def pending_here(session: Session) -> frozenset:
    """Whose rows the session has changed (flushed or executed) and not committed yet."""
    return frozenset(session.info.get(_PENDING, ()))


def _after_flush(session: Session, _context) -> None:
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        mapper = sa_inspect(obj).mapper
        if _table(mapper) in IGNORED_TABLES:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        owners = _owners_of(session, obj)
        if owners is None:
            pending.add(EVERYONE)
            continue
        pending.update(owners)
        if _table(mapper) in ACCOUNT_TABLES:
            pending.update(account(owner) for owner in owners)


def _on_execute(state) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        if statement.text.lstrip().upper().startswith(_READ_ONLY_SQL):
            return
    elif not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(statement, "table", None), "name", None)
    if table in IGNORED_TABLES:
        return
    person = state.execution_options.get(_PERSON_OPTION)
    if person == _NOBODY:
        return
    pending = _pending(state.session)
    if person is None:
        pending.add(EVERYONE)
        return
    pending.add(person)
    if table in ACCOUNT_TABLES:
        pending.add(account(person))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the change is not visible to others until the real commit
    owners = session.info.pop(_PENDING, None)
    if not owners:
        return
    if not has_app_context():
        return  # a script without the app: no cache configured to keep fresh
    g.setdefault(_CHANGED_HERE, set()).update(owners)
    setattr(g, _COMMITS_HERE, commits_here() + 1)
    from .jobs import redis_connection

    connection = redis_connection()
    if connection is None:
        return
    try:
        setattr(g, _BUMPED, bump(connection, owners))
    except REDIS_DOWN as error:
        logger.warning("freshness: Redis unreachable, cached copies of %s stay until they expire (%s)",
                       sorted(map(str, owners)), type(error).__name__)


_installed = False


def install() -> None:
    """Listen on every ORM session of this process (once)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_commit", _after_commit)
    _installed = True
