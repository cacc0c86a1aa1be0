"""Audit entries for sign-in: each login, each refused login (and why), each lockout.

Kept apart from the login rules so those can change without touching what the audit log says.
An unknown login id is copied only when it has the shape of a NIP (digits); anything else — which
could be a password typed into the wrong field — is recorded as a short hash, enough to see the
same id tried again.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from ..core import audit
from ..extensions import db
from .models import Person

#: The lengths of a digits-only login id copied into an entry for an account that does not exist.
_SHOWN_LENGTHS = range(8, 21)


def record_attempt(login_id: str, person: Person | None, *, ip: str | None) -> None:
    """Audit one login attempt: ``person`` is who logged in, None when it was refused."""
    if person is not None:
        audit.record(person, "auth.login", f"person:{person.id}", ip=ip)
        return
    from .services import normalize_login_id

    normalized = normalize_login_id(login_id or "")
    known = db.session.scalar(select(Person).where(Person.nip == normalized)) if normalized else None
    if known is None or not known.active:
        if normalized.isdigit() and len(normalized) in _SHOWN_LENGTHS:
            typed = {"login_id": normalized}
        else:
            typed = {"login_id_sha256": hashlib.sha256(normalized.encode()).hexdigest()[:16]}
        audit.record(None, "auth.login_failed", "login:unknown", ip=ip, reason="unknown" if known is None else "inactive",
                     **typed)
        return
    from .throttle import locked_for

    locked = locked_for(known, ip)
    audit.record(None, "auth.login_failed", f"person:{known.id}", ip=ip,
                 reason="locked" if locked else "wrong_password")
