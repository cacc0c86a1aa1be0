"""Extra quiz attempts for a learner who ran out: where a person stands, and the grant itself.

A grant names the running total of extra attempts it reaches, unique per person and program, so
two operators (or one double click) granting at once cannot both count: the second insert finds
the total taken and is refused. The admin's per-program ceiling is ``QuizSettings.max_extra_attempts``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.contacts import Contact, contacts_for
from ..accounts.models import Person
from ..core import audit
from ..core.errors import InvalidInput, NotAllowed
from ..accounts.scope import Action, may_manage_person
from ..core.transactions import insert_or_nothing
from ..courses.models import Program
from ..courses.progress import Step
from ..courses.services import ProgramCard
from ..extensions import db
from .models import AttemptGrant, AttemptKind, AttemptStatus
from .services import attempts_of, extra_attempts, settings_for

#: A reason shorter than this says nothing to the inspector reading the audit log.
MIN_REASON = 5
MAX_REASON = 500


@dataclass(frozen=True)
class AttemptStanding:
    """A person's quiz attempts in one program: used, allowed (base + granted), and what may still be granted."""

    used: int
    base: int  # 0: unlimited
    extra: int
    ceiling: int  # the most extra attempts the admin allows in all
    passed: bool
    active: bool

    @property
    def allowed(self) -> int:
        return self.base + self.extra

    @property
    def out_of_attempts(self) -> bool:
        """Failed every attempt allowed and cannot start another: the learner needs help."""
        return bool(self.base) and not self.passed and not self.active and self.used >= self.allowed

    @property
    def grantable(self) -> int:
        """How many more extra attempts may be granted (0 when none or not needed)."""
        return max(self.ceiling - self.extra, 0) if self.out_of_attempts else 0


def standing(person: Person, program: Program) -> AttemptStanding:
    """Where ``person`` stands on the post-test attempts of ``program``."""
    settings = settings_for(program)
    attempts = attempts_of(person, program, AttemptKind.POST)
    passed = any(a.passed for a in attempts)
    active = any(a.status == AttemptStatus.ACTIVE for a in attempts)
    return AttemptStanding(len(attempts), settings.max_attempts, extra_attempts(person, program),
                           settings.max_extra_attempts, passed, active)


def grant_attempts(actor: Person, person: Person, program: Program, extra: int, reason: str, seen_extra: int,
                   now: datetime) -> AttemptGrant:
    """Give ``person`` ``extra`` more attempts at ``program``'s quiz, with a reason, audited.

    ``seen_extra`` is the granted total the actor's page showed: when it moved since (a double
    click, a colleague), nothing is written and the actor is told. No commit."""
    if not may_manage_person(actor, person, Action.GRANT):
        raise NotAllowed()
    state = standing(person, program)
    if state.passed:
        raise InvalidInput(_l("Pegawai ini sudah lulus kuis."))
    if seen_extra != state.extra:
        raise InvalidInput(_l("Tambahan percobaan untuk pegawai ini sudah diberikan sejak halaman dibuka; "
                              "periksa keadaannya sekarang."))
    if not state.out_of_attempts:
        raise InvalidInput(_l("Pegawai ini masih dapat mengerjakan kuis; tambahan percobaan belum diperlukan."))
    if state.grantable < 1:
        raise InvalidInput(_l("Batas tambahan percobaan program ini (%(n)d) sudah tercapai. Hubungi Admin BKPSDM.",
                              n=state.ceiling))
    if not isinstance(extra, int) or isinstance(extra, bool) or not 1 <= extra <= state.grantable:
        raise InvalidInput(_l("Tambahan percobaan harus antara 1 dan %(n)d.", n=state.grantable))
    reason = " ".join((reason or "").split())
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise InvalidInput(_l("Tuliskan alasan pemberian tambahan percobaan (%(min)d–%(max)d karakter).",
                              min=MIN_REASON, max=MAX_REASON))
    total = state.extra + extra
    grant = db.session.scalars(insert_or_nothing(AttemptGrant).returning(AttemptGrant), [dict(
        program_id=program.id, person_id=person.id, granted_by_id=actor.id, extra=extra, total_extra=total,
        reason=reason, created_at=now)]).first()
    if grant is None:
        raise InvalidInput(_l("Tambahan percobaan untuk pegawai ini sudah diberikan sejak halaman dibuka; "
                              "periksa keadaannya sekarang."))
    audit.record(actor, "quiz.attempts_granted", f"person:{person.id}", program=program.id, extra=extra,
                 total_extra=total, reason=reason)
    return grant


def grants_of(person: Person, program: Program) -> list[AttemptGrant]:
    """The grants a person received in a program, oldest first (shown beside the grant form)."""
    return db.session.scalars(select(AttemptGrant).where(
        AttemptGrant.program_id == program.id, AttemptGrant.person_id == person.id)
        .order_by(AttemptGrant.total_extra)).all()


@dataclass(frozen=True)
class OutOfAttempts:
    """What the beranda says instead of 'Mulai Kuis' when no attempt is left: how many were used
    and whom to contact (the operators nearest the learner's unit, else BKPSDM)."""

    used: int
    contacts: list[Contact]


def mark_out_of_attempts(person: Person, cards: list[ProgramCard]) -> list[ProgramCard]:
    """Set ``out_of_attempts`` on the cards whose next step is the quiz of an open program and whose
    attempts are all used (the contacts are read once, only when some card needs them)."""
    contacts = None
    for card in cards:
        if card.next_step != Step.QUIZ or card.status != "open":
            continue
        state = standing(person, card.program)
        if state.out_of_attempts:
            contacts = contacts_for(person) if contacts is None else contacts
            card.out_of_attempts = OutOfAttempts(state.used, contacts)
    return cards
