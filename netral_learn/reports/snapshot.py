"""Funnel figures for any subtree in milliseconds, never more than a minute old.

A refresh recounts a whole program from the people themselves (one GROUP BY over the people,
one over the program's enrollments, which carry a trigger-kept copy of their person's cell) into
per-unit cells (:mod:`.models`); a report adds up the cells of the chosen subtree. A report page
(a GET) only reads; recounts run in the worker, or from the recount button. Freshness, per program:

* counted less than ``REPORT_REFRESH_AFTER`` seconds ago (30): shown as is;
* older than that: shown as is, and a recount is queued for the worker (with Redis);
* older than ``REPORT_MAX_AGE`` (60), or never counted: this view counts the people themselves
  (read only, as :func:`funnel.build_report`), and a recount is queued. Without Redis there is
  no worker: a program is then counted live for each view once its snapshot is that old.

The day-by-day history behind the progress line changes only through corrections (a person
moved or deactivated, a certificate revoked), so it is recounted every ``REPORT_HISTORY_MAX_AGE``
seconds (600) and at each new local day; the line's last point is always the fresh total.
Two refreshes of one program never interleave: each locks the program's snapshot row first,
and one that finds the count fresher than it needs returns at once.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, delete, exists, func, insert, literal, select, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..accounts.models import Person, Unit
from ..certificates.models import Certificate
from ..core.cache import cached_json
from ..core.clock import now_utc
from ..accounts.scope import subtree_clause
from ..courses.models import Enrollment, Program
from ..core.transactions import on_postgresql
from ..extensions import db
from . import funnel
from .models import FunnelCell, FunnelDay, FunnelSnapshot

logger = logging.getLogger("netral_learn.reports")

#: FunnelCell's measure columns in the order of funnel.measures_sql() (FunnelRow's field order).
MEASURES = ("targeted", "started", "modules", "quiz", "pact", "certificate", "scored", "score_sum",
            "band_0", "band_1", "band_2", "band_3", "band_4", "paired", "pre_sum", "post_sum")


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _age(moment: datetime | None, now: datetime) -> float:
    return float("inf") if moment is None else (now - moment).total_seconds()


# --- counting ------------------------------------------------------------------------------

def _replace(model, program: Program, columns: list[str], query) -> None:
    """Swap the program's rows of ``model`` for the rows of ``query`` (whose columns are ``columns``).

    No row passes through Python objects. SQLite inserts straight from the query. PostgreSQL runs
    the SELECT of an INSERT … SELECT without parallel workers (several times slower at a million
    people), so there the query runs as ``COPY (…) TO``, planned like any SELECT, and its output
    goes back unparsed into ``COPY … FROM`` (a few MB at most: cells, not people)."""
    db.session.execute(delete(model).where(model.program_id == program.id))
    names = ["program_id", *columns]
    rows = query.with_only_columns(literal(program.id), *query.selected_columns)
    if not on_postgresql():
        db.session.execute(insert(model).from_select(names, rows))
        return
    with db.session.connection().connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY ({_inline_sql(rows)}) TO STDOUT") as source:
            data = b"".join(source)
        with cursor.copy(f"COPY {model.__tablename__} ({', '.join(names)}) FROM STDIN") as target:
            target.write(data)


#: Renders SQL with its values inline: COPY takes no bind parameters. Not the engine's own dialect,
#: whose pyformat paramstyle doubles every % for a driver that formats nothing here.
_INLINE = postgresql.dialect(paramstyle="named")


def _inline_sql(query) -> str:
    """``query`` with its values as literals: ids, enum codes, step names and a zone from a fixed list."""
    return str(query.compile(dialect=_INLINE, compile_kwargs={"literal_binds": True}))


def _cells(program: Program, unit_ids: list[int]):
    """SELECT unit_id, jenis, golongan, *MEASURES: the program's cells, counted from the people themselves.

    Two single-table counts, joined per cell (a few thousand rows): the targeted people from
    ``people``, every other measure from the program's ``enrollments`` grouped by the copy of
    their person's cell each enrollment carries (kept by database triggers), so no million-row join.

    A certificate is issued in the transaction that sets the enrollment's ``completed_at`` and is
    never deleted, only revoked; so the certificates are counted as completed enrollments minus
    revoked certificates (a handful, found through their partial index and subtracted per cell
    after the count), which spares the count a join with every certificate."""
    keys = ("unit_id", "jenis", "golongan")
    people_cell = (Person.unit_id, Person.jenis, func.coalesce(Person.golongan, ""))
    labelled = [column.label(key) for column, key in zip(people_cell, keys)]
    targeted = (select(*labelled, func.count().label("targeted"))
                .where(*funnel.counted_people(program), Person.unit_id.in_(unit_ids))
                .group_by(*people_cell).subquery("targeted"))
    enrollment_cell = (Enrollment.person_unit_id, Enrollment.person_jenis,
                       func.coalesce(Enrollment.person_golongan, ""))
    measures = funnel.measures_sql(Enrollment.completed_at)[1:]  # all but the targeted count
    steps = (select(*(column.label(key) for column, key in zip(enrollment_cell, keys)),
                    *(column.label(name) for name, column in zip(MEASURES[1:], measures)))
             .where(Enrollment.program_id == program.id, Enrollment.person_counted.is_(True))
             .group_by(*enrollment_cell).subquery("steps"))  # cells of other units or jenis: dropped by the join
    # Per revoked certificate one lookup of its enrollment (a join would read every enrollment); no unit
    # filter: the outer join below keeps the counted cells only.
    completed = (select(Enrollment.completed_at)
                 .where(Enrollment.program_id == program.id, Enrollment.person_id == Certificate.person_id)
                 .scalar_subquery())
    # A person who signed again after a reopened pact has a valid certificate beside the revoked one.
    valid = aliased(Certificate)
    replaced = exists(select(valid.id).where(valid.program_id == program.id, valid.person_id == Certificate.person_id,
                                             valid.revoked_at.is_(None)))
    revoked = (select(*labelled, func.count(Certificate.person_id.distinct()).label("n"))
               .select_from(Certificate).join(Person, Person.id == Certificate.person_id)
               .where(Certificate.program_id == program.id, Certificate.revoked_at.is_not(None),
                      completed.is_not(None), ~replaced, *funnel.counted_people(program))
               .group_by(*people_cell).subquery("revoked"))

    def same_cell(other):
        return and_(*(other.c[key] == targeted.c[key] for key in keys))

    def measure(name):
        if name == "targeted":
            return targeted.c.targeted
        value = func.coalesce(steps.c[name], 0)
        return value - func.coalesce(revoked.c.n, 0) if name == "certificate" else value

    return (select(*(targeted.c[key] for key in keys), *(measure(name) for name in MEASURES))
            .select_from(targeted.outerjoin(steps, same_cell(steps)).outerjoin(revoked, same_cell(revoked))))


def _history(program: Program, unit_ids: list[int]):
    """SELECT unit_id, day, *STEPS: per unit and local day, the people who reached each step."""
    reached = (funnel.journeys(program, Person.unit_id.label("unit_id"),
                               *(column.label(step) for step, column in funnel.step_times().items()))
               .where(Person.unit_id.in_(unit_ids), Enrollment.id.is_not(None)).cte("reached"))
    zone = funnel.instansi_zone(program)
    events = union_all(*(
        select(reached.c.unit_id, funnel.local_day(reached.c[step], zone).label("day"), literal(step).label("step"))
        .where(reached.c[step].is_not(None)) for step in funnel.STEPS)).subquery()
    return (select(events.c.unit_id, events.c.day,
                   *(func.sum(case((events.c.step == step, 1), else_=0)) for step in funnel.STEPS))
            .group_by(events.c.unit_id, events.c.day))


def _locked_snapshot(program_id: int) -> FunnelSnapshot:
    """The program's snapshot row, created if missing, locked until the transaction ends."""
    if db.session.get(FunnelSnapshot, program_id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(FunnelSnapshot(program_id=program_id, count_ms=0))
        except IntegrityError:
            pass  # created by a concurrent refresh; lock theirs
    return db.session.scalars(select(FunnelSnapshot).where(FunnelSnapshot.program_id == program_id)
                              .with_for_update().execution_options(populate_existing=True)).one()


def refresh(program: Program, *, fresher_than: float = 0, history: bool | None = None) -> FunnelSnapshot:
    """Recount ``program`` into its cells and commit, unless it was counted less than
    ``fresher_than`` seconds ago. ``history`` None recounts the day-by-day history when it is due."""
    snapshot = _locked_snapshot(program.id)
    now = now_utc()
    if history is None:
        history = _history_due(program, snapshot, now)
    if _age(snapshot.counted_at, now) < fresher_than and not history:
        db.session.commit()
        return snapshot
    started = time.perf_counter()
    if on_postgresql():
        # A million people group into a few tens of thousands of cells: let them hash in memory.
        # JIT compiling this one query costs more than it saves (~0.1 s of a ~1 s count).
        db.session.execute(select(func.set_config("work_mem", "64MB", True), func.set_config("jit", "off", True)))
    unit_ids = funnel.targeted_unit_ids(program)
    _replace(FunnelCell, program, ["unit_id", "jenis", "golongan", *MEASURES], _cells(program, unit_ids))
    if history:
        _replace(FunnelDay, program, ["unit_id", "day", *funnel.STEPS], _history(program, unit_ids))
        snapshot.history_at = now
    snapshot.counted_at = now
    snapshot.count_ms = round(1000 * (time.perf_counter() - started))
    db.session.commit()
    logger.info("funnel counted", extra={"program": program.id, "ms": snapshot.count_ms, "history": history})
    return snapshot


def _history_due(program: Program, snapshot: FunnelSnapshot, now: datetime) -> bool:
    """Older than REPORT_HISTORY_MAX_AGE, counted on an earlier local day, or never counted."""
    if _age(snapshot.history_at, now) > _setting("REPORT_HISTORY_MAX_AGE", 600):
        return True
    zone = ZoneInfo(funnel.instansi_zone(program))
    return snapshot.history_at.astimezone(zone).date() != now.astimezone(zone).date()


def refresh_job(program_id: int) -> None:
    """Queued recount (see :func:`usable_snapshot`); skipped when someone recounted meanwhile."""
    from ..core.jobs import run_in_app

    def run():
        program = db.session.get(Program, program_id)
        if program is not None:
            refresh(program, fresher_than=_setting("REPORT_REFRESH_AFTER", 30))

    run_in_app(run)


def usable_snapshot(program: Program, now: datetime) -> FunnelSnapshot | None:
    """The program's snapshot when it may be shown (counted within REPORT_MAX_AGE, with its
    history), else None; a recount is queued once it is older than REPORT_REFRESH_AFTER. Reads only."""
    snapshot = db.session.get(FunnelSnapshot, program.id)
    age = _age(snapshot.counted_at if snapshot else None, now)
    history_missing = snapshot is None or snapshot.history_at is None
    if age > _setting("REPORT_REFRESH_AFTER", 30) or history_missing or _history_due(program, snapshot, now):
        _queue_refresh(program.id)
    return None if age > _setting("REPORT_MAX_AGE", 60) or history_missing else snapshot


def _queue_refresh(program_id: int) -> None:
    """Queue one recount per program and half-minute for the worker, whatever the number of
    viewers (only with Redis: without a worker, old figures are counted live by each view)."""
    from ..core.jobs import enqueue, redis_connection

    connection = redis_connection()
    if connection is None:
        return
    try:
        if not connection.set(f"netral:funnel-refresh:{program_id}", 1, nx=True,
                              ex=_setting("REPORT_REFRESH_AFTER", 30)):
            return
        enqueue(refresh_job, program_id)
    except Exception:  # noqa: BLE001 - the page shows the current figures whatever the queue does
        logger.warning("funnel recount not queued", exc_info=True, extra={"program": program_id})


# --- reading -------------------------------------------------------------------------------

def snapshot_cells(program: Program, unit: Unit):
    """Subquery (prefix, jenis, golongan, m0…) summed from the cells of ``unit``'s subtree, the
    same columns as :func:`funnel.exact_cells`."""
    prefix = funnel.child_prefix(unit)
    golongan = func.nullif(FunnelCell.golongan, "")
    return (select(prefix.label("prefix"), FunnelCell.jenis.label("jenis"), golongan.label("golongan"),
                   *(func.sum(getattr(FunnelCell, name)).label(f"m{i}") for i, name in enumerate(MEASURES)))
            .join(Unit, Unit.id == FunnelCell.unit_id)
            .where(FunnelCell.program_id == program.id, subtree_clause(Unit.path, unit.path))
            .group_by(prefix, FunnelCell.jenis, golongan).subquery())


def snapshot_daily(program: Program, unit: Unit) -> dict:
    """Per step, the people of ``unit``'s subtree who reached it on each day (from the history)."""
    query = (select(FunnelDay.day, *(func.sum(getattr(FunnelDay, step)) for step in funnel.STEPS))
             .join(Unit, Unit.id == FunnelDay.unit_id)
             .where(FunnelDay.program_id == program.id, subtree_clause(Unit.path, unit.path))
             .group_by(FunnelDay.day))
    daily: dict = {step: {} for step in funnel.STEPS}
    for day, *counts in db.session.execute(query):
        for step, count in zip(funnel.STEPS, counts):
            if count:
                daily[step][day] = int(count)
    return daily


def _breakdown(program: Program, unit: Unit, snapshot: FunnelSnapshot) -> funnel.Breakdown:
    """The subtree's sums of this snapshot's cells, kept in the shared cache until the next count
    (so hundreds of viewers of one unit cost one query per count, not one each)."""
    key = f"funnel:{program.id}:{unit.id}:{snapshot.counted_at.timestamp()}"

    def compute():
        parts = funnel.breakdown(program, unit, cells=snapshot_cells(program, unit))
        return {name: [asdict(row) for row in getattr(parts, name)] for name in ("children", "by_jenis", "by_golongan")}

    data = cached_json(key, 2 * _setting("REPORT_MAX_AGE", 60), compute)
    return funnel.Breakdown(**{name: [funnel.FunnelRow(**{**row, "bands": tuple(row["bands"])}) for row in rows]
                               for name, rows in data.items()})


def _daily(program: Program, unit: Unit, snapshot: FunnelSnapshot) -> dict:
    """:func:`snapshot_daily`, cached until the history is counted again."""
    key = f"funnel-days:{program.id}:{unit.id}:{snapshot.history_at.timestamp()}"

    def compute():
        return {step: {day.isoformat(): n for day, n in days.items()}
                for step, days in snapshot_daily(program, unit).items()}

    data = cached_json(key, _setting("REPORT_HISTORY_MAX_AGE", 600) + 60, compute)
    return {step: {date.fromisoformat(day): n for day, n in days.items()} for step, days in data.items()}


def current_report(program: Program, unit: Unit) -> funnel.FunnelReport:
    """The funnel of ``program`` under ``unit`` from its snapshot, or counted now when there is
    none recent enough (the caller checked scope); ``as_of`` is when the figures were counted.
    Writes nothing."""
    now = now_utc()
    snapshot = usable_snapshot(program, now)
    if snapshot is None:
        return funnel.build_report(program, unit, now)
    return funnel.assemble_report(program, unit, snapshot.counted_at, _breakdown(program, unit, snapshot),
                                  _daily(program, unit, snapshot), now_utc())
