"""Failed-login throttling: per (account, address) locks, a slower account-wide lock, and the
address key shared with the per-address guess limit. See docs/security-notes.md for the design.

* An address that fails ``LOGIN_MAX_FAILURES`` times on one account is locked out of that account
  for ``LOGIN_LOCK_MINUTES``, doubling on each further lock (up to 64×). Someone guessing from one
  place therefore never locks the owner out elsewhere.
* Failures from every address together lock the account itself after
  ``LOGIN_ACCOUNT_MAX_FAILURES``, for ``LOGIN_ACCOUNT_LOCK_MINUTES`` (not doubling): a guesser
  with many addresses gets at most that many guesses per period, and the owner waits at most
  that long.
* Attempts refused because of a lock are not counted (they cannot lengthen it) and still cost an
  argon2 verification, so a locked account answers like any wrong password.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from ..core import audit
from ..core.clock import now_utc
from ..core.transactions import insert_or_nothing
from ..extensions import db
from . import login_cache
from .models import LoginThrottle, Person

#: Throttle rows without a failure for this long are deleted by ``flask sessions purge``.
FORGET_AFTER = timedelta(days=1)
_MAX_DOUBLINGS = 6


def address_key(ip: str | None) -> str:
    """The address failures are counted against: IPv4 as is, IPv6 as its /64 (one subscriber's
    whole network, which a guesser could otherwise walk through address by address)."""
    raw = (ip or "").strip()
    try:
        parsed = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _throttle(person_id: int, address: str) -> LoginThrottle | None:
    return db.session.scalar(select(LoginThrottle).where(LoginThrottle.person_id == person_id,
                                                         LoginThrottle.address == address))


def locked_for(person: Person, ip: str | None, now: datetime | None = None) -> bool:
    """Is this account locked, for everyone or for this address?"""
    now = now or now_utc()
    if person.locked_until and person.locked_until > now:
        return True
    row = _throttle(person.id, address_key(ip))
    return bool(row and row.locked_until and row.locked_until > now)


def lock_ends(person_ids: list[int], now: datetime | None = None) -> dict[int, datetime]:
    """When the last running lock (account-wide or for some address) of each person ends; people
    without a running lock are left out. One query for a page of people."""
    now = now or now_utc()
    if not person_ids:
        return {}
    ends: dict[int, datetime] = {}
    rows = db.session.execute(
        select(Person.id, Person.locked_until).where(Person.id.in_(person_ids), Person.locked_until > now)
        .union_all(select(LoginThrottle.person_id, LoginThrottle.locked_until)
                   .where(LoginThrottle.person_id.in_(person_ids), LoginThrottle.locked_until > now)))
    for person_id, until in rows:
        if person_id not in ends or until > ends[person_id]:
            ends[person_id] = until
    return ends


def locked_clause(now: datetime | None = None):
    """SQL: the person has a running lock, account-wide or for some address (people list filter)."""
    now = now or now_utc()
    return (Person.locked_until > now) | Person.id.in_(
        select(LoginThrottle.person_id).where(LoginThrottle.locked_until > now))


def record_failure(person: Person, ip: str | None) -> None:
    """Count a failure against (account, address) and against the account, atomically; lock each
    at its limit."""
    cfg = current_app.config
    now = now_utc()
    address = address_key(ip)
    db.session.execute(insert_or_nothing(LoginThrottle).values(
        person_id=person.id, address=address, failures=0, lock_count=0, updated_at=now))
    failures, lock_count = db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.person_id == person.id, LoginThrottle.address == address)
        .values(failures=LoginThrottle.failures + 1, updated_at=now)
        .returning(LoginThrottle.failures, LoginThrottle.lock_count)
        .execution_options(synchronize_session=False)
    ).one()
    if failures >= cfg["LOGIN_MAX_FAILURES"]:
        minutes = cfg["LOGIN_LOCK_MINUTES"] * (2 ** min(lock_count, _MAX_DOUBLINGS))
        db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.person_id == person.id, LoginThrottle.address == address)
            .values(failures=0, lock_count=LoginThrottle.lock_count + 1,
                    locked_until=now + timedelta(minutes=minutes))
            .execution_options(synchronize_session=False)
        )
        audit.record(None, "auth.lockout", f"person:{person.id}", scope="address", address=address, minutes=minutes)
    total = db.session.execute(
        update(Person).where(Person.id == person.id)
        .values(failed_logins=Person.failed_logins + 1)
        .returning(Person.failed_logins)
        .execution_options(synchronize_session=False, **login_cache.of_person(person.id))
    ).scalar_one()
    if total >= cfg["LOGIN_ACCOUNT_MAX_FAILURES"]:
        db.session.execute(
            update(Person).where(Person.id == person.id)
            .values(failed_logins=0, lock_count=Person.lock_count + 1,
                    locked_until=now + timedelta(minutes=cfg["LOGIN_ACCOUNT_LOCK_MINUTES"]))
            .execution_options(synchronize_session=False, **login_cache.of_person(person.id))
        )
        audit.record(None, "auth.lockout", f"person:{person.id}", scope="account",
                     minutes=cfg["LOGIN_ACCOUNT_LOCK_MINUTES"])
    db.session.expire(person)


def record_success(person: Person, ip: str | None) -> None:
    """A correct password from this address: its count and the account's start again. Other
    addresses keep theirs (the owner logging in does not free a guesser elsewhere)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.person_id == person.id,
                                                   LoginThrottle.address == address_key(ip)))
    person.failed_logins = 0
    person.lock_count = 0
    person.locked_until = None


def clear(person: Person) -> None:
    """Lift every lock on the account (an operator's unlock, a password reset)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.person_id == person.id))
    person.failed_logins = 0
    person.lock_count = 0
    person.locked_until = None


def purge_quiet() -> int:
    """Delete throttle rows with no failure for a day and no lock still running."""
    now = now_utc()
    result = db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.updated_at <= now - FORGET_AFTER,
                                    (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until <= now))
        .execution_options(**login_cache.of_nobody()))
    return result.rowcount or 0
