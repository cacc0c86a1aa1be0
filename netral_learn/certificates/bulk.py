"""Certificates of one program for the staff who manage its people: count, render in batches, list for a ZIP.

Which certificates: those of the program (not revoked) whose holder is in the actor's scope and,
when a unit is chosen, in that unit's subtree. Operators see the programs of the instansi their
unit belongs to; admins their instansi's; superadmins all.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, false, func, select, true
from sqlalchemy.orm import selectinload

from ..accounts.models import Person, Role, Unit
from ..core.errors import OutOfScope
from ..accounts.scope import get_unit, people_in_scope, require_role, scope_path, subtree_clause
from ..courses.models import Program
from ..extensions import db
from . import services
from .models import Certificate

#: PDFs rendered per request; a batch also stops after BATCH_SECONDS so a request never runs long.
BATCH_SIZE = 25
BATCH_SECONDS = 15.0


@dataclass(frozen=True)
class BulkScope:
    """One program's certificates as one staff member may see them, optionally narrowed to a unit."""

    actor: Person
    program: Program
    unit: Unit | None


def _programs_clause(actor: Person):
    path = scope_path(actor)
    if path is None:
        return true()
    if not path:
        return false()
    return Program.instansi_id == actor.scope_unit.root_id


def programs_for_staff(actor: Person) -> list[Program]:
    """The programs whose certificates the actor may download, newest first."""
    require_role(actor, Role.OPERATOR)
    return db.session.scalars(select(Program).where(_programs_clause(actor))
                              .order_by(Program.starts_on.desc(), Program.id.desc())).all()


def get_scope(actor: Person, program_id: int, unit_id: int | None) -> BulkScope:
    """Load program and unit through the access rule; OutOfScope (404) for anything outside it."""
    require_role(actor, Role.OPERATOR)
    program = db.session.scalar(select(Program).where(Program.id == program_id, _programs_clause(actor)))
    if program is None:
        raise OutOfScope()
    unit = get_unit(actor, unit_id) if unit_id else None
    if unit is not None and unit.root_id != program.instansi_id:
        raise OutOfScope()
    return BulkScope(actor, program, unit)


def certificates_query(scope: BulkScope) -> Select:
    """SELECT of the certificates in scope, in number order."""
    people = people_in_scope(scope.actor).with_only_columns(Person.id)
    if scope.unit is not None:
        people = people.where(subtree_clause(Unit.path, scope.unit.path))
    return (select(Certificate).where(Certificate.program_id == scope.program.id, Certificate.revoked_at.is_(None),
                                      Certificate.person_id.in_(people))
            .order_by(Certificate.year, Certificate.seq))


def progress(scope: BulkScope) -> tuple[int, int]:
    """(certificates in scope, of which the PDF is already rendered)."""
    query = certificates_query(scope).order_by(None).subquery()
    total, rendered = db.session.execute(select(func.count(), func.count(query.c.pdf_path)).select_from(query)).one()
    return total, rendered


def prepare_batch(scope: BulkScope, limit: int | None = None, seconds: float | None = None) -> int:
    """Render the next missing PDFs (at most ``limit``, stopping after ``seconds``); returns how many."""
    limit = BATCH_SIZE if limit is None else limit
    deadline = time.monotonic() + (BATCH_SECONDS if seconds is None else seconds)
    missing = db.session.scalars(certificates_query(scope).where(Certificate.pdf_path.is_(None)).limit(limit)).all()
    done = 0
    for certificate in missing:
        services.ensure_pdf(certificate)
        done += 1
        if time.monotonic() > deadline:
            break
    return done


def member_name(certificate: Certificate) -> str:
    """File name inside the ZIP: the download name plus the holder's NIP, so names never repeat."""
    nip = re.sub(r"[^0-9A-Za-z]+", "-", certificate.person.nip).strip("-")
    return services.download_name(certificate).removesuffix(".pdf") + f"-{nip}.pdf"


def zip_members(scope: BulkScope) -> list[tuple[str, Path]]:
    """(name in the ZIP, stored PDF) for every certificate in scope; call once all are rendered."""
    certificates = db.session.scalars(certificates_query(scope).options(selectinload(Certificate.person)))
    return [(member_name(c), services.pdf_path(c)) for c in certificates]


def zip_name(scope: BulkScope) -> str:
    """Download name of the ZIP: program, and unit when one was chosen."""
    suffix = f"-unit-{scope.unit.id}" if scope.unit is not None else ""
    return f"sertifikat-program-{scope.program.id}{suffix}.zip"
