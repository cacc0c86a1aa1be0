"""Which programs and units a viewer may report on: operators their subtree, admins their instansi.

Every report request goes through :func:`get_report_program` and :func:`report_unit`; anything
outside the viewer's scope answers 404 (OutOfScope), whatever id was typed in the URL.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, literal, or_, select

from ..accounts.models import ROLE_RANK, Person, Role, Unit
from ..core.errors import OutOfScope
from ..accounts.scope import get_unit, scope_path, subtree_clause
from ..courses.models import Program, ProgramTarget
from ..extensions import db
from .funnel import path_upper
from .models import FunnelSnapshot  # noqa: F401 - registers the report tables


def _programs_query(actor: Person):
    """SELECT of the programs the actor may report on, newest first."""
    query = select(Program).order_by(Program.starts_on.desc(), Program.id.desc())
    path = scope_path(actor)
    if path is None:
        return query
    if not path or not actor.is_staff:
        return query.where(Program.id.is_(None))
    root_id = int(path.strip("/").split("/")[0])
    target = Unit.__table__.alias("target_unit")
    overlaps = exists(select(ProgramTarget.program_id).join(target, target.c.id == ProgramTarget.unit_id).where(
        ProgramTarget.program_id == Program.id,
        or_(subtree_clause(target.c.path, path), _inside(path, target.c.path))))
    query = query.where(Program.instansi_id == root_id, overlaps)
    if actor.rank < ROLE_RANK[Role.ADMIN]:
        query = query.where(Program.published.is_(True))
    return query


def _inside(path: str, path_column):
    """SQL: the fixed ``path`` lies inside the subtree under ``path_column``."""
    return and_(literal(path) >= path_column, literal(path) < path_upper(path_column))


def programs_for_viewer(actor: Person) -> list[Program]:
    """Programs whose targets meet the actor's scope (drafts for admins only), newest first."""
    return db.session.scalars(_programs_query(actor)).all()


def running_programs(programs: list[Program], today) -> list[Program]:
    """The programs running on ``today`` (a local date), published first, the latest start first."""
    running = [p for p in programs if p.starts_on <= today <= p.ends_on]
    return sorted(running, key=lambda p: (not p.published, -p.starts_on.toordinal(), -p.id))


def current_program(programs: list[Program], today) -> Program | None:
    """The program a report opens on: one running today; else the one that ended last; else the
    next to start (never a future program while one is running or has run)."""
    running = running_programs(programs, today)
    if running:
        return running[0]
    ended = [p for p in programs if p.ends_on < today]
    if ended:
        return max(ended, key=lambda p: (p.ends_on, p.published, p.id))
    upcoming = [p for p in programs if p.starts_on > today]
    return min(upcoming, key=lambda p: (p.starts_on, not p.published, p.id), default=None)


def get_report_program(actor: Person, program_id: int) -> Program:
    """A program the actor may report on; OutOfScope (404) otherwise."""
    program = db.session.scalar(_programs_query(actor).where(Program.id == program_id))
    if program is None:
        raise OutOfScope()
    return program


def report_unit(actor: Person, program: Program, unit_id: int | None) -> Unit:
    """The unit to report on: the one asked for if it is in scope and in the program's instansi,
    else the top of the actor's scope (the instansi for a superadmin)."""
    if unit_id is None:
        path = scope_path(actor)
        return program.instansi if path is None else actor.scope_unit
    unit = get_unit(actor, unit_id)
    if unit.root_id != program.instansi_id:
        raise OutOfScope()
    return unit


def breadcrumb(actor: Person, unit: Unit) -> list[Unit]:
    """The units from the top of the actor's scope down to ``unit`` (for drill-down links)."""
    top = scope_path(actor) or ""
    ids = unit.ancestor_ids
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [units[i] for i in ids if i in units and units[i].path.startswith(top)]


def funnel_report(program: Program, unit: Unit):
    """The funnel of ``program`` under ``unit`` for display (dashboard, API); the caller checked
    scope. Read from the program's snapshot: ``as_of`` says when the figures were counted, never
    more than REPORT_MAX_AGE seconds ago (see :mod:`.snapshot`)."""
    from .snapshot import current_report

    return current_report(program, unit)
