"""Programs a person sees, the order they learn in, and recording that they did.

Services flush and never commit; the views commit once. Every refusal is a DomainError with a
message for the person (StepLocked: "finish the previous module first").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..accounts.models import Person, Role, Unit
from ..core.clock import now_utc
from ..core.errors import DomainError, OutOfScope
from ..core.i18n import format_date_id, format_duration
from ..extensions import db
from . import progress
from .models import (
    CourseVersion,
    Enrollment,
    Module,
    ModuleProgress,
    Program,
    ProgramTarget,
    VersionStatus,
)
from .progress import JourneyState, Step


class StepLocked(DomainError):
    """A step was asked for before its turn."""

    status = 403
    default_message = _l("Langkah ini belum terbuka. Selesaikan langkah sebelumnya terlebih dahulu.")


class ReadingTooShort(DomainError):
    """'Saya sudah membaca' pressed before the module's minimum reading time has passed."""

    status = 409
    default_message = _l("Modul ini belum dapat ditandai selesai; baca dulu sampai waktu baca minimum terpenuhi.")


class ProgramClosed(DomainError):
    status = 403
    default_message = _l("Program ini sedang tidak dibuka.")


# --- targeting -----------------------------------------------------------------------------

def program_status(program: Program, today: date) -> str:
    """'draft', 'scheduled' (not yet open), 'open' or 'closed'."""
    if not program.published:
        return "draft"
    if today < program.starts_on:
        return "scheduled"
    if today > program.ends_on:
        return "closed"
    return "open"


def is_targeted(person: Person, program: Program) -> bool:
    """Does the program target this person (active, right jenis, unit inside a target subtree)?"""
    if not (program.published and person.active and person.jenis in program.jenis_set):
        return False
    if person.role == Role.WITNESS:
        return False
    return any(person.unit.path.startswith(target.unit.path) for target in program.targets)


def targeted_people_clause(program_id_column):
    """SQL: Person (joined to their Unit) is targeted by the program whose id is given.

    Used by reports so the denominator is computed in SQL, never by loading people.
    """
    target_unit = Unit.__table__.alias("target_unit")
    upper_bound = func.substr(target_unit.c.path, 1, func.length(target_unit.c.path) - 1) + literal("0")
    return exists(
        select(ProgramTarget.program_id)
        .join(target_unit, target_unit.c.id == ProgramTarget.unit_id)
        .where(ProgramTarget.program_id == program_id_column,
               Unit.path >= target_unit.c.path, Unit.path < upper_bound)
    )


def programs_for(person: Person) -> list[Program]:
    """Published programs of the person's instansi that target them, newest first."""
    candidates = db.session.scalars(
        select(Program).where(Program.instansi_id == person.unit.root_id, Program.published.is_(True))
        .order_by(Program.starts_on.desc(), Program.id.desc())
    ).all()
    return [program for program in candidates if is_targeted(person, program)]


#: What every learner page reads of a program (the targets' units for the targeting check, its
#: course version and modules, without their texts), with the program rather than one lazy load
#: after another.
_LEARNER_PROGRAM = (joinedload(Program.targets).joinedload(ProgramTarget.unit),
                    joinedload(Program.course_version).joinedload(CourseVersion.modules))


def get_program_for(person: Person, program_id: int) -> Program:
    """The program, if it targets the person; OutOfScope (404) otherwise."""
    program = db.session.get(Program, program_id, options=_LEARNER_PROGRAM)
    if program is None or not is_targeted(person, program):
        raise OutOfScope()
    return program


# --- journey state -------------------------------------------------------------------------

def find_enrollment(person: Person, program: Program) -> Enrollment | None:
    """The person's enrollment with its module progress (one query)."""
    return db.session.scalars(select(Enrollment).options(joinedload(Enrollment.progress))
                              .where(Enrollment.program_id == program.id, Enrollment.person_id == person.id)
                              ).unique().first()


def enroll(person: Person, program: Program) -> Enrollment:
    """The person's enrollment, created on first visit (safe when two requests race)."""
    enrollment = find_enrollment(person, program)
    if enrollment is not None:
        return enrollment
    try:
        with db.session.begin_nested():
            enrollment = Enrollment(program_id=program.id, person_id=person.id)
            db.session.add(enrollment)
    except IntegrityError:
        enrollment = find_enrollment(person, program)
    return enrollment


def journey_state(program: Program, enrollment: Enrollment | None) -> JourneyState:
    modules = program.course_version.modules
    if enrollment is None:
        return JourneyState(module_count=len(modules))
    position_of = {m.id: m.position for m in modules}
    completed = frozenset(position_of[p.module_id] for p in enrollment.progress
                          if p.completed_at is not None and p.module_id in position_of)
    return JourneyState(
        module_count=len(modules),
        completed=completed,
        quiz_passed=enrollment.quiz_passed_at is not None,
        pact_signed=enrollment.pact_signed_at is not None,
        certificate_issued=enrollment.completed_at is not None,
    )


@dataclass
class ProgramCard:
    """What the beranda shows for one program: status, progress and the next action."""

    program: Program
    status: str
    state: JourneyState
    next_step: Step
    next_position: int | None
    percent: int
    #: Set by the beranda when the quiz is the next step but no attempt is left (quiz.grants.OutOfAttempts).
    out_of_attempts: object = None


def program_card(person: Person, program: Program, today: date) -> ProgramCard:
    state = journey_state(program, find_enrollment(person, program))
    step, position = progress.next_step(state)
    return ProgramCard(program, program_status(program, today), state, step, position,
                       progress.percent_done(state))


def require_open(program: Program, today: date) -> None:
    status = program_status(program, today)
    if status == "scheduled":
        raise ProgramClosed(_l("Program ini baru dibuka pada %(date)s.", date=format_date_id(program.starts_on)))
    if status != "open":
        raise ProgramClosed(_l("Program ini sudah ditutup. Hubungi BKPSDM bila Anda perlu menyelesaikannya."))


def module_at(program: Program, position: int) -> Module:
    modules = program.course_version.modules
    if not 0 <= position < len(modules):
        raise OutOfScope()
    return modules[position]


def open_module(person: Person, program: Program, position: int, today: date) -> tuple[Module, Enrollment]:
    """Show a module if its turn has come; remember that the person opened it."""
    require_open(program, today)
    module = module_at(program, position)
    enrollment = enroll(person, program)
    if not progress.module_unlocked(journey_state(program, enrollment), position):
        raise StepLocked(_l("Modul ini belum terbuka. Selesaikan modul sebelumnya terlebih dahulu."))
    if _progress_row(enrollment, module) is None:
        enrollment.progress.append(ModuleProgress(module_id=module.id))  # in the loaded collection: no reload
        db.session.flush()
    return module, enrollment


def _progress_row(enrollment: Enrollment, module: Module) -> ModuleProgress | None:
    return next((p for p in enrollment.progress if p.module_id == module.id), None)


def complete_module(person: Person, program: Program, position: int, today: date) -> Enrollment:
    """'Saya sudah membaca modul ini': only for a module that is open and was opened."""
    require_open(program, today)
    module = module_at(program, position)
    enrollment = find_enrollment(person, program)
    row = _progress_row(enrollment, module) if enrollment else None
    if row is None or not progress.module_unlocked(journey_state(program, enrollment), position):
        raise StepLocked(_l("Buka dan baca modul ini sampai selesai sebelum menandainya selesai."))
    if row.completed_at is None:
        wait = reading_wait(module, row, now_utc())
        if wait is not None:
            raise ReadingTooShort(_l(
                "Modul ini perlu dibaca sekurang-kurangnya %(minimum)s. Sisa waktu baca: %(left)s; setelah itu "
                "tekan lagi \u201cSaya sudah membaca modul ini\u201d.",
                minimum=format_duration(module.min_reading_seconds), left=format_duration(wait.seconds_left)))
        row.completed_at = now_utc()  # the row of the loaded collection: the state below sees it
        if journey_state(program, enrollment).modules_done and enrollment.modules_completed_at is None:
            enrollment.modules_completed_at = now_utc()
    db.session.flush()
    return enrollment


@dataclass(frozen=True)
class ReadingWait:
    """How long until a module may be marked read: at ``ready_at``, ``seconds_left`` from now."""

    ready_at: datetime
    seconds_left: int


def reading_wait(module: Module, row: ModuleProgress | None, now: datetime) -> ReadingWait | None:
    """The wait left of a module's minimum reading time, counted from its first opening; None when
    there is none (no minimum, already completed, or the time has passed)."""
    if not module.min_reading_seconds or row is None or row.completed_at is not None:
        return None
    ready_at = row.opened_at + timedelta(seconds=module.min_reading_seconds)
    left = math.ceil((ready_at - now).total_seconds())
    return ReadingWait(ready_at, left) if left > 0 else None


def reading_wait_in(enrollment: Enrollment, module: Module, now: datetime) -> ReadingWait | None:
    """:func:`reading_wait` of a module in a person's enrollment (as the module page shows it)."""
    return reading_wait(module, _progress_row(enrollment, module), now)


def require_step(person: Person, program: Program, step: Step) -> Enrollment:
    """Refuse the quiz, pact or certificate before their turn, whatever URL was typed."""
    enrollment = find_enrollment(person, program)
    state = journey_state(program, enrollment)
    allowed = {
        Step.QUIZ: progress.may_take_quiz,
        Step.PACT: progress.may_sign_pact,
        Step.CERTIFICATE: progress.may_get_certificate,
    }[step](state)
    if not allowed or enrollment is None:
        raise StepLocked()
    return enrollment


def published_versions() -> list[CourseVersion]:
    return db.session.scalars(select(CourseVersion).where(CourseVersion.status == VersionStatus.PUBLISHED)
                              .order_by(CourseVersion.title)).all()


def latest_review(version: CourseVersion):
    return version.reviews[0] if version.reviews else None

