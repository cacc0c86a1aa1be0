"""How an account first gets its password: a first password on paper, or a one-time link.

Participants receive a generated first password (printed on a login slip) that expires after
``FIRST_PASSWORD_DAYS``. Staff (operator and above) never do: an admin gives them a one-time
activation link (only its SHA-256 is stored; single use; expires after ``ACTIVATION_LINK_HOURS``)
or sets a password with them in person. Services flush, never commit.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..core import audit
from ..core.clock import now_utc
from ..core.errors import InvalidInput
from .scope import Action, require
from ..extensions import db
from . import login_cache, passwords
from .models import ActivationLink, Person

#: Path of the page a link opens (services know no request, so no url_for here).
ACTIVATION_PATH = "/aktivasi/"

FIRST_PASSWORD_EXPIRED = _l(
    "Kata sandi awal Anda sudah kedaluwarsa. Minta operator unit Anda mereset kata sandi "
    "untuk mendapatkan slip login baru.")


@dataclass(frozen=True)
class NewCredential:
    """What an actor hands over after a reset: a first password (participants) or a link (staff)."""

    password: str | None = None
    link: str | None = None
    expires_at: datetime | None = None


# --- first passwords ---------------------------------------------------------------------------

def first_password_expires_at(person: Person) -> datetime | None:
    """When the person's first password stops working (None when they have none)."""
    if not person.initial_password_enc:
        return None
    issued = person.initial_password_at or person.created_at or now_utc()
    return issued + timedelta(days=current_app.config["FIRST_PASSWORD_DAYS"])


def first_password_expired(person: Person, now: datetime | None = None) -> bool:
    """Is the person still on a first password that can no longer log in?"""
    expires = first_password_expires_at(person)
    return expires is not None and expires <= (now or now_utc())


def expiry_cutoff(now: datetime | None = None) -> datetime:
    """First passwords issued before this moment have expired (for SQL filters)."""
    return (now or now_utc()) - timedelta(days=current_app.config["FIRST_PASSWORD_DAYS"])


def give_first_password(person: Person) -> str:
    """Give a participant a new generated first password, valid from now; returns it."""
    if person.is_staff:
        raise InvalidInput(_l("Akun staf tidak memakai kata sandi awal: buat tautan aktivasi."))
    plain = passwords.generate_initial_password()
    person.password_hash = None
    person.initial_password_enc = passwords.encrypt_initial(plain)
    person.initial_password_at = now_utc()
    person.must_change_password = True
    return plain


# --- one-time links ----------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _forget_links(person: Person) -> None:
    db.session.execute(delete(ActivationLink).where(ActivationLink.person_id == person.id)
                       .execution_options(**login_cache.of_nobody()))


def activation_url(token: str) -> str:
    return current_app.config["SITE_URL"] + ACTIVATION_PATH + token


def create_link(actor: Person | None, person: Person) -> NewCredential:
    """A new one-time link for ``person`` (earlier links stop working); no permission check here:
    callers decide with the rule first (see :func:`issue_activation_link`)."""
    token = secrets.token_urlsafe(32)
    expires = now_utc() + timedelta(hours=current_app.config["ACTIVATION_LINK_HOURS"])
    _forget_links(person)
    db.session.add(ActivationLink(person_id=person.id, token_sha256=_digest(token),
                                  created_by_id=getattr(actor, "id", None), expires_at=expires))
    db.session.flush()
    audit.record(actor, "activation.link", f"person:{person.id}", expires_at=expires.isoformat())
    return NewCredential(link=activation_url(token), expires_at=expires)


def issue_activation_link(actor: Person | None, person: Person) -> NewCredential:
    """Let a person (staff above all) set their own password through a one-time link."""
    require(actor, person, Action.RESET)
    return create_link(actor, person)


def valid_link(token: str) -> ActivationLink | None:
    """The unused, unexpired link behind ``token`` for an active person, or None."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(ActivationLink).where(ActivationLink.token_sha256 == _digest(token)))
    if link is None or link.used_at is not None or link.expires_at <= now_utc() or not link.person.active:
        return None
    return link


def activate(token: str, new_password: str) -> Person:
    """Use a one-time link: set the person's own password and burn the link."""
    link = valid_link(token)
    if link is None:
        raise InvalidInput(_l("Tautan aktivasi ini tidak berlaku lagi (sudah dipakai atau kedaluwarsa). "
                              "Minta admin Anda membuat tautan baru."))
    person = link.person
    problems = passwords.password_problems(new_password, nip=person.nip, name=person.name)
    if problems:
        raise InvalidInput(" ".join(str(p) for p in problems))
    _set_own_password(person, new_password)
    link.used_at = now_utc()
    db.session.flush()
    audit.record(person, "activation.use", f"person:{person.id}")
    return person


def set_password_in_person(actor: Person, person: Person, new_password: str) -> None:
    """An admin's desk: the person types their own new password on the admin's screen."""
    require(actor, person, Action.RESET)
    problems = passwords.password_problems(new_password, nip=person.nip, name=person.name)
    if problems:
        raise InvalidInput(" ".join(str(p) for p in problems))
    _set_own_password(person, new_password)
    _forget_links(person)
    db.session.flush()
    audit.record(actor, "password.set_in_person", f"person:{person.id}")


def _set_own_password(person: Person, new_password: str) -> None:
    person.password_hash = passwords.hash_password(new_password)
    person.initial_password_enc = None
    person.initial_password_at = None
    person.must_change_password = False
    person.password_changed_at = now_utc()
    person.failed_logins = 0
    person.lock_count = 0
    person.locked_until = None
    from .services import end_all_sessions

    end_all_sessions(person)


def pending_link(person: Person) -> ActivationLink | None:
    """The person's current unused, unexpired link, if any (to say so on their page)."""
    return db.session.scalar(select(ActivationLink).where(
        ActivationLink.person_id == person.id, ActivationLink.used_at.is_(None),
        ActivationLink.expires_at > now_utc()))
