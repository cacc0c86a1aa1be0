"""Program operations for admins: load in scope, create, edit targets and dates, publish."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import ROLE_RANK, Jenis, Person, Role, Unit
from ..core import audit
from ..core.errors import InvalidInput, OutOfScope
from ..accounts.scope import instansi_in_scope, unit_in_scope
from ..extensions import db
from .authoring import courses_for
from .models import CourseVersion, Program, ProgramTarget, VersionStatus


def get_program_for_admin(actor: Person, program_id: int) -> Program:
    """Load a program by id for an admin of its instansi (or a superadmin); OutOfScope (404) otherwise."""
    program = db.session.get(Program, program_id)
    if program is None or actor.rank < ROLE_RANK[Role.ADMIN] or not unit_in_scope(actor, program.instansi):
        raise OutOfScope()
    return program


def programs_for_admin(actor: Person) -> list[Program]:
    """The programs of the instansi the actor manages, newest first."""
    own = instansi_in_scope(actor).with_only_columns(Unit.id).order_by(None)
    return db.session.scalars(select(Program).where(Program.instansi_id.in_(own))
                              .order_by(Program.starts_on.desc(), Program.id.desc())).all()


def usable_versions(actor: Person) -> list[CourseVersion]:
    """Published versions of the courses the actor may read: what a new program can pin."""
    course_ids = [course.id for course in courses_for(actor)]
    return db.session.scalars(select(CourseVersion).where(
        CourseVersion.course_id.in_(course_ids), CourseVersion.status == VersionStatus.PUBLISHED)
        .order_by(CourseVersion.title, CourseVersion.number)).all()


def _validate(instansi: Unit, title: str, version: CourseVersion, starts_on: date, ends_on: date,
              targets: list[Unit], jenis: set[Jenis], *, pinned: bool = False) -> str:
    """The common rules; ``pinned``: the program already uses this version (it may be archived since)."""
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(_l("Judul program wajib diisi."))
    if version.status != VersionStatus.PUBLISHED and not pinned:
        raise InvalidInput(_l("Program hanya dapat memakai versi kursus yang sudah terbit."))
    if version.course.instansi_id not in (None, instansi.id):
        raise InvalidInput(_l("Kursus ini milik instansi lain."))
    if ends_on < starts_on:
        raise InvalidInput(_l("Tanggal selesai tidak boleh sebelum tanggal mulai."))
    if not targets:
        raise InvalidInput(_l("Pilih paling sedikit satu unit sasaran."))
    if any(unit.root_id != instansi.id for unit in targets):
        raise InvalidInput(_l("Unit sasaran harus berada di instansi program."))
    if not jenis:
        raise InvalidInput(_l("Pilih paling sedikit satu jenis pegawai sasaran."))
    return title


def _minimal_targets(targets: list[Unit]) -> list[Unit]:
    """Drop targets already covered by another target's subtree."""
    unique = {u.id: u for u in targets}.values()
    return [u for u in unique if not any(o.id != u.id and u.path.startswith(o.path) for o in unique)]


def create_program(actor: Person | None, instansi: Unit, *, title: str, version: CourseVersion,
                   starts_on: date, ends_on: date, targets: list[Unit], jenis: set[Jenis],
                   description: str = "", published: bool = False) -> Program:
    """A new program of ``instansi`` binding a published course version to target units."""
    title = _validate(instansi, title, version, starts_on, ends_on, targets, jenis)
    program = Program(
        instansi_id=instansi.id, title=title, description=(description or "").strip(),
        course_version_id=version.id, starts_on=starts_on, ends_on=ends_on,
        target_jenis=",".join(sorted(j.value for j in jenis)), published=published,
        created_by_id=actor.id if actor else None,
    )
    program.targets = [ProgramTarget(unit_id=u.id) for u in _minimal_targets(targets)]
    db.session.add(program)
    db.session.flush()
    audit.record(actor, "program.create", f"program:{program.id}", title=title)
    return program


def update_program(actor: Person | None, program: Program, *, title: str, starts_on: date, ends_on: date,
                   targets: list[Unit], jenis: set[Jenis], description: str = "",
                   version: CourseVersion | None = None) -> Program:
    """Change a program's title, dates and targets; its course version only while nobody started."""
    version = version or program.course_version
    title = _validate(program.instansi, title, version, starts_on, ends_on, targets, jenis,
                      pinned=version.id == program.course_version_id)
    if version.id != program.course_version_id:
        from .models import Enrollment

        if db.session.query(Enrollment.id).filter_by(program_id=program.id).first() is not None:
            raise InvalidInput(_l("Versi kursus tidak dapat diganti setelah ada peserta yang mulai belajar."))
        program.course_version_id = version.id
    program.title = title
    program.description = (description or "").strip()
    program.starts_on, program.ends_on = starts_on, ends_on
    program.target_jenis = ",".join(sorted(j.value for j in jenis))
    wanted = {u.id for u in _minimal_targets(targets)}
    program.targets = [t for t in program.targets if t.unit_id in wanted] + [
        ProgramTarget(unit_id=i) for i in wanted - {t.unit_id for t in program.targets}]
    db.session.flush()
    audit.record(actor, "program.update", f"program:{program.id}")
    return program


def set_published(actor: Person | None, program: Program, published: bool) -> Program:
    """Open a program to its targets (from its start date) or hide it again."""
    program.published = published
    db.session.flush()
    details = {"unreviewed_course": True} if published and not program.course_version.reviews else {}
    audit.record(actor, "program.publish" if published else "program.unpublish", f"program:{program.id}", **details)
    return program
