"""The API's rules: issuing, revoking and checking client tokens, and the per-person status list.

Figures come from the report services (``reports.services``) with the client's
:class:`~.models.ClientActor` as the viewer, so the API sees exactly what a user of the same
scope sees on the Laporan pages.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import Jenis, Person, Role, Unit
from ..certificates.models import Certificate
from ..core import audit
from ..core.errors import DomainError, InvalidInput, OutOfScope
from ..accounts.scope import instansi_in_scope, require_role, unit_in_scope
from ..courses.models import Enrollment, Program
from ..extensions import db
from ..reports.followup import RowPage, count_rows
from ..reports.funnel import STEPS, population
from .models import ApiClient

#: Every token starts with this, so secret scanners and people recognise one.
TOKEN_MARK = "nlk_"
#: Characters kept in clear (the mark plus 8 random ones) to tell tokens apart in lists.
PREFIX_LENGTH = len(TOKEN_MARK) + 8
#: ``last_used_at`` is written at most this often per client, so a busy client is no hot row.
USAGE_RESOLUTION = timedelta(minutes=1)
#: Furthest step a person reached, in journey order ("not_started" before the funnel's steps).
STATUSES = ("not_started", *STEPS)


class TokenRejected(DomainError):
    """The bearer token is missing, unknown, revoked or expired (answered 401, never saying which)."""

    status = 401
    default_message = _l("Token API tidak ada, tidak dikenal, sudah dicabut, atau kedaluwarsa.")


# --- tokens --------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh token: the mark and 256 random bits, URL-safe."""
    return TOKEN_MARK + secrets.token_urlsafe(32)


def clients_for(actor: Person) -> list[ApiClient]:
    """The clients of the instansi the actor administers, newest first."""
    require_role(actor, Role.ADMIN)
    instansi_ids = instansi_in_scope(actor).with_only_columns(Unit.id).order_by(None)
    return db.session.scalars(select(ApiClient).where(ApiClient.instansi_id.in_(instansi_ids))
                              .order_by(ApiClient.created_at.desc(), ApiClient.id.desc())).all()


def get_client(actor: Person, client_id: int) -> ApiClient:
    """A client of an instansi the actor administers; OutOfScope (404) otherwise."""
    require_role(actor, Role.ADMIN)
    client = db.session.get(ApiClient, client_id)
    if client is None or not unit_in_scope(actor, client.instansi):
        raise OutOfScope()
    return client


def create_client(actor: Person, name: str, scope_unit: Unit, expires_at: datetime | None,
                  now: datetime) -> tuple[ApiClient, str]:
    """Issue a client and its token; the token is returned here once and never stored."""
    require_role(actor, Role.ADMIN)
    instansi = db.session.get(Unit, scope_unit.root_id)
    if not unit_in_scope(actor, instansi):
        raise OutOfScope()
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_l("Nama klien wajib diisi."))
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_l("Tanggal kedaluwarsa harus di masa depan."))
    token = new_token()
    client = ApiClient(instansi_id=instansi.id, name=name[:120], scope_unit_id=scope_unit.id,
                       token_prefix=token[:PREFIX_LENGTH], token_hash=hash_token(token), created_at=now,
                       created_by_id=actor.id, expires_at=expires_at)
    db.session.add(client)
    db.session.flush()
    audit.record(actor, "api.client.create", f"api_client:{client.id}", name=client.name,
                 scope_unit=scope_unit.id, prefix=client.token_prefix,
                 expires_at=expires_at.isoformat() if expires_at else None)
    return client, token


def revoke_client(actor: Person, client: ApiClient, now: datetime) -> None:
    """Revoke a client's token for good: its next request is answered 401."""
    require_role(actor, Role.ADMIN)
    if client.revoked_at is not None:
        raise InvalidInput(_l("Token ini sudah dicabut."))
    client.revoked_at, client.revoked_by_id = now, actor.id
    db.session.flush()
    audit.record(actor, "api.client.revoke", f"api_client:{client.id}", name=client.name,
                 prefix=client.token_prefix)


def authenticate(token: str | None, now: datetime) -> ApiClient:
    """The usable client holding ``token``; TokenRejected otherwise."""
    if not token or not token.startswith(TOKEN_MARK) or len(token) > 100:
        raise TokenRejected()
    client = db.session.scalar(select(ApiClient).where(ApiClient.token_hash == hash_token(token)))
    if client is None or not client.is_usable(now):
        raise TokenRejected()
    return client


def record_use(client: ApiClient, now: datetime) -> bool:
    """Set ``last_used_at`` when it is older than USAGE_RESOLUTION; True if a row was written.

    The UPDATE repeats the age test, so concurrent requests write the row once."""
    if client.last_used_at is not None and now - client.last_used_at < USAGE_RESOLUTION:
        return False
    result = db.session.execute(
        update(ApiClient)
        .where(ApiClient.id == client.id,
               or_(ApiClient.last_used_at.is_(None), ApiClient.last_used_at <= now - USAGE_RESOLUTION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    set_committed_value(client, "last_used_at", now)  # already written: no second UPDATE at commit
    return bool(result.rowcount)


# --- per-person status ---------------------------------------------------------------------

#: The time each step was reached, per step of the funnel.
STEP_TIMES = {
    "started": Enrollment.started_at,
    "modules": Enrollment.modules_completed_at,
    "quiz": Enrollment.quiz_passed_at,
    "pact": Enrollment.pact_signed_at,
    "certificate": Certificate.issued_at,
}


@dataclass
class PersonStatus:
    """One targeted person and how far they got."""

    nip: str
    name: str
    jenis: Jenis
    golongan: str | None
    unit_id: int
    unit_name: str
    status: str
    #: When each step was reached (None for steps not reached), in STEPS order.
    steps: dict[str, datetime | None]
    best_score: float | None
    certificate_number: str | None


def _status_column():
    """SQL CASE: the furthest step reached (a valid certificate counts, a revoked one does not)."""
    return case(*((STEP_TIMES[step].is_not(None), step) for step in reversed(STEPS)), else_="not_started")


def people_query(program: Program, unit: Unit, *, status: str | None = None, jenis: Jenis | None = None):
    """SELECT of the people the program targets under ``unit`` with their furthest step, by unit and name."""
    status_column = _status_column()
    query = population(
        program, unit, Person.nip, Person.name, Person.jenis, Person.golongan, Unit.id, Unit.name,
        status_column.label("status"), *STEP_TIMES.values(), Enrollment.quiz_best_score, Certificate.number,
    ).order_by(Unit.name, Unit.id, Person.name, Person.id)
    if status is not None:
        query = query.where(status_column == status)
    if jenis is not None:
        query = query.where(Person.jenis == jenis)
    return query


def people_page(program: Program, unit: Unit, *, page: int, per_page: int, status: str | None = None,
                jenis: Jenis | None = None) -> RowPage:
    """One page of :func:`people_query` (a page past the end is empty, not clamped)."""
    query = people_query(program, unit, status=status, jenis=jenis)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = [PersonStatus(nip, name, Jenis(jenis_), golongan, unit_id, unit_name, status_,
                          dict(zip(STEP_TIMES, times)), score, number)
             for nip, name, jenis_, golongan, unit_id, unit_name, status_, *times, score, number
             in (tuple(row) for row in rows)]
    return RowPage(items, page, per_page, count_rows(query))


# --- certificates --------------------------------------------------------------------------

#: A certificate's standing: valid, or revoked (the reason stays with the holder and staff).
CERTIFICATE_STATUSES = ("valid", "revoked")


@dataclass
class CertificateStatus:
    """One certificate of a person under the client's unit, as an integration client sees it."""

    nip: str
    name: str
    unit_id: int
    unit_name: str
    id: int
    number: str
    verify_code: str
    instansi_id: int
    issued_at: datetime
    reissued_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at is not None else "valid"


def certificates_query(program: Program, unit: Unit, *, status: str | None = None, nip: str | None = None):
    """SELECT of the program's certificates (valid and revoked) of the people in ``unit``'s subtree."""
    from ..accounts.scope import subtree_clause

    query = (select(Person.nip, Person.name, Unit.id, Unit.name, Certificate.id, Certificate.number,
                    Certificate.verify_code, Certificate.instansi_id, Certificate.issued_at, Certificate.reissued_at,
                    Certificate.revoked_at)
             .join(Person, Person.id == Certificate.person_id).join(Unit, Unit.id == Person.unit_id)
             .where(Certificate.program_id == program.id, subtree_clause(Unit.path, unit.path))
             .order_by(Unit.name, Unit.id, Person.name, Person.id, Certificate.id))
    if status == "valid":
        query = query.where(Certificate.revoked_at.is_(None))
    elif status == "revoked":
        query = query.where(Certificate.revoked_at.is_not(None))
    if nip is not None:
        query = query.where(Person.nip == nip)
    return query


def certificates_page(program: Program, unit: Unit, *, page: int, per_page: int, status: str | None = None,
                      nip: str | None = None) -> RowPage:
    """One page of :func:`certificates_query` (a page past the end is empty)."""
    query = certificates_query(program, unit, status=status, nip=nip)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return RowPage([CertificateStatus(*row) for row in rows], page, per_page, count_rows(query))
