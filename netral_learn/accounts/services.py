"""Login, sessions, passwords and the people-management actions of operators and admins.

Services flush, never commit: the view or CLI command commits once (house rule).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.clock import now_utc
from ..core.errors import InvalidInput, NotAllowed
from .scope import Action, require
from ..extensions import db
from . import activation, login_cache, passwords, throttle
from .models import ROLE_RANK, LoginSession, Person, Role, Unit
from .activation import FIRST_PASSWORD_EXPIRED, first_password_expired
from .nip import canonical_text, is_ascii_digits, normalize

#: One answer for an unknown NIP, a wrong password and a locked account (no account probing).
WRONG_CREDENTIALS = _l(
    "NIP/ID atau kata sandi salah, atau akun sedang dikunci sementara setelah terlalu banyak "
    "percobaan gagal. Periksa kembali lalu coba lagi nanti, atau hubungi operator unit Anda.")
LOCKED_WHILE_LOGGED_IN = _l(
    "Terlalu banyak kata sandi salah: akun Anda dikunci sementara dari perangkat ini. Coba lagi "
    "nanti, atau hubungi operator unit Anda.")
_DUMMY_HASH: dict[tuple, str] = {}


@dataclass
class LoginOutcome:
    """Result of a login attempt: a person and their new session, or an error message."""

    person: Person | None = None
    session: LoginSession | None = None
    error: object = None


def normalize_login_id(raw: str) -> str:
    """The login key as stored, whatever keyboard typed it: NFKC (full-width digits from a phone
    keyboard become ASCII), spaces or dots between NIP groups dropped; agency IDs (non-ASN) may
    contain dots. Anything still not ASCII cannot be a stored key and matches nobody."""
    digits = normalize(raw)
    if is_ascii_digits(digits):
        return digits
    text = "".join(canonical_text(raw).split())
    return text.upper() if text.isascii() else text


def _spend_hash_time(password: str) -> None:
    """Verify against a dummy hash of the configured cost, so an unknown or locked account takes
    as long as a known one (one argon2 verification on every path)."""
    cfg = current_app.config
    cost = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"])
    if cost not in _DUMMY_HASH:
        _DUMMY_HASH[cost] = passwords.hash_password(secrets.token_urlsafe(16))
    passwords.verify_password(_DUMMY_HASH[cost], password)


def _password_opens(person: Person, password: str) -> bool:
    """One argon2 verification whatever kind of password the account has."""
    if person.password_hash:
        return passwords.verify_password(person.password_hash, password)
    _spend_hash_time(password)
    return passwords.matches_initial(person.initial_password_enc, password)


def record_failed_password(person: Person, ip: str | None = None) -> None:
    """A wrong password at re-authentication (signing, password change) counts like a failed login."""
    throttle.record_failure(person, ip)


def authenticate(login_id: str, password: str, *, ip: str | None, user_agent: str | None,
                 remember: bool = False) -> LoginOutcome:
    """Check a login; on success start a server-side session. Failures are counted per
    (account, address) and per account (accounts/throttle.py); the answer to a failure is the
    same whether the NIP is unknown, the password wrong or the account locked."""
    login_id = normalize_login_id(login_id)
    person = db.session.scalar(select(Person).where(Person.nip == login_id)) if login_id else None
    if person is None or not person.active or throttle.locked_for(person, ip):
        _spend_hash_time(password)  # a refused attempt is not counted: it cannot lengthen a lock
        return LoginOutcome(error=WRONG_CREDENTIALS)
    if not _password_opens(person, password):
        throttle.record_failure(person, ip)
        return LoginOutcome(error=WRONG_CREDENTIALS)
    if not person.password_hash and first_password_expired(person):
        return LoginOutcome(error=FIRST_PASSWORD_EXPIRED)  # said only to whoever knows the password
    if person.password_hash and passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)
    throttle.record_success(person, ip)
    person.last_login_at = now_utc()
    session = start_session(person, ip=ip, user_agent=user_agent, remember=remember)
    return LoginOutcome(person=person, session=session)


def start_session(person: Person, *, ip: str | None, user_agent: str | None,
                  remember: bool = False) -> LoginSession:
    """Create the server-side session whose id the cookie will carry."""
    cfg = current_app.config
    lifetime = (timedelta(seconds=cfg["REMEMBER_COOKIE_DURATION"]) if remember
                else timedelta(hours=cfg["LOGIN_SESSION_HOURS"]))
    session = LoginSession(
        id=secrets.token_urlsafe(32),
        person_id=person.id,
        expires_at=now_utc() + lifetime,
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:255] or None,
    )
    db.session.add(session)
    db.session.flush()
    person.session_token = session.id
    return session


def load_session(token: str, person_id: int | None = None) -> Person | None:
    """The person behind a session id, if the session still exists and has not expired. With Redis,
    ``person_id`` (the id the signed cookie names, see login_cache.py) finds a fresh copy of the
    login without the database."""
    redis = login_cache.connection() if isinstance(person_id, int) else None
    generations = None
    if redis is not None:
        person, generations = login_cache.lookup(redis, token, person_id)
        if person is not None:
            person.session_token = token
            return person  # with session_expires_at from the copy
    row = db.session.execute(
        select(LoginSession, Person).join(Person, LoginSession.person_id == Person.id)
        .options(joinedload(Person.unit))  # every page asks for the person's unit (targeting, scope, zone)
        .where(LoginSession.id == token)
    ).first()
    if row is None:
        return None
    session, person = row
    if session.expires_at <= now_utc() or not person.active:
        return None
    person.session_token = token
    person.session_expires_at = session.expires_at
    if generations is not None and person.id == person_id:
        login_cache.store(redis, token, person, session.expires_at, generations)
    return person


def end_session(person: Person) -> None:
    """Log out: delete the session row, so the cookie is refused even if replayed."""
    token = person.session_token
    if not token:
        return
    db.session.execute(delete(LoginSession).where(LoginSession.id == token)
                       .execution_options(**login_cache.of_person(person.id)))
    redis = login_cache.connection()
    if redis is not None:
        login_cache.forget(redis, token)


def end_all_sessions(person: Person, *, keep: str | None = None) -> None:
    query = delete(LoginSession).where(LoginSession.person_id == person.id)
    if keep:
        query = query.where(LoginSession.id != keep)
    db.session.execute(query.execution_options(**login_cache.of_person(person.id)))


def purge_expired_sessions() -> int:
    # Expired sessions are refused by their expiry whether cached or not: nothing to invalidate.
    result = db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now_utc())
                                .execution_options(**login_cache.of_nobody()))
    return result.rowcount or 0


def check_current_password(person: Person, password: str) -> bool:
    """Re-authentication: does ``password`` open this account right now?"""
    if person.password_hash:
        return passwords.verify_password(person.password_hash, password)
    return passwords.matches_initial(person.initial_password_enc, password)


def _places_of(person: Person) -> list[str]:
    """Names of the person's unit and instansi (root unit): context for the password check."""
    unit = db.session.get(Unit, person.unit_id)
    if unit is None:
        return []
    root = unit if unit.parent_id is None else db.session.get(Unit, unit.root_id)
    return [unit.name, *([root.name] if root is not None and root is not unit else [])]


class WrongCurrentPassword(InvalidInput):
    """The current password was wrong; the failure counter is committed all the same."""

    keep_work = True


def change_password(person: Person, current: str, new: str, *, ip: str | None = None) -> None:
    """Set the person's own password (argon2id), ending their other sessions. A wrong current
    password counts towards the account's lock, like a failed login from the same address."""
    if throttle.locked_for(person, ip):
        _spend_hash_time(current)
        raise InvalidInput(LOCKED_WHILE_LOGGED_IN)
    if not check_current_password(person, current):
        throttle.record_failure(person, ip)
        raise WrongCurrentPassword(_l("Kata sandi saat ini salah."))
    problems = passwords.password_problems(new, nip=person.nip, name=person.name, places=_places_of(person))
    if new == current:
        problems.append(_l("Kata sandi baru harus berbeda dari kata sandi saat ini."))
    if problems:
        raise InvalidInput(" ".join(str(p) for p in problems))
    person.password_hash = passwords.hash_password(new)
    person.initial_password_enc = None
    person.must_change_password = False
    person.password_changed_at = now_utc()
    end_all_sessions(person, keep=person.session_token)
    db.session.flush()
    audit.record(person, "password.change", f"person:{person.id}")


def reset_password(actor: Person, person: Person):
    """Start the person over: a participant gets a new generated first password (to hand over or
    print), a staff member a one-time activation link. Locks are lifted, sessions end.
    Returns an :class:`~.activation.NewCredential`."""
    require(actor, person, Action.RESET)
    throttle.clear(person)
    end_all_sessions(person)
    if person.is_staff:
        person.password_hash = None
        person.initial_password_enc = None
        person.initial_password_at = None
        person.must_change_password = True
        db.session.flush()
        audit.record(actor, "password.reset", f"person:{person.id}", via="link")
        return activation.create_link(actor, person)
    new = activation.give_first_password(person)
    db.session.flush()
    audit.record(actor, "password.reset", f"person:{person.id}", via="first_password")
    return activation.NewCredential(password=new, expires_at=activation.first_password_expires_at(person))


def unlock(actor: Person, person: Person) -> None:
    """Lift a failed-login lock."""
    require(actor, person, Action.UNLOCK)
    throttle.clear(person)
    db.session.flush()
    audit.record(actor, "account.unlock", f"person:{person.id}")


def set_person_active(actor: Person, person: Person, active: bool) -> None:
    """Deactivate (no login, not counted in reports) or reactivate a person."""
    require(actor, person, Action.ACTIVATE)
    before = person.active
    person.active = active
    if not active:
        end_all_sessions(person)
    db.session.flush()
    audit.record(actor, "person.activate" if active else "person.deactivate", f"person:{person.id}",
                 changes={"active": [before, active]})


def assign_role(actor: Person, person: Person, role: Role, scope_unit: Unit | None) -> None:
    """Make a person participant, operator of a subtree, or (superadmin only) admin."""
    from .scope import unit_in_scope

    require(actor, person, Action.ROLE)
    if ROLE_RANK[role] >= actor.rank and actor.role != Role.SUPERADMIN:
        raise NotAllowed(_l("Anda tidak dapat memberikan peran setara atau lebih tinggi dari peran Anda."))
    if role == Role.PARTICIPANT:
        scope_unit = None
    else:
        if scope_unit is None:
            raise InvalidInput(_l("Pilih unit yang menjadi cakupan peran ini."))
        if not unit_in_scope(actor, scope_unit):
            raise NotAllowed(_l("Unit cakupan berada di luar wewenang Anda."))
        if role in (Role.ADMIN,) and scope_unit.parent_id is not None:
            raise InvalidInput(_l("Cakupan admin harus sebuah instansi (unit puncak)."))
    before = (person.role.value, person.scope_unit_id)
    person.role = role
    person.scope_unit_id = scope_unit.id if scope_unit else None
    if person.is_staff and person.initial_password_enc:
        # Staff never keep a printable first password: they activate through a link.
        person.initial_password_enc = None
        person.initial_password_at = None
    end_all_sessions(person)
    db.session.flush()
    audit.record(actor, "person.role", f"person:{person.id}", role=role.value,
                 scope=person.scope_unit_id,
                 changes={"role": [before[0], role.value], "scope_unit_id": [before[1], person.scope_unit_id]})


def new_person_password(person: Person) -> str:
    """Give a brand-new participant a generated first password; returns it."""
    return activation.give_first_password(person)
