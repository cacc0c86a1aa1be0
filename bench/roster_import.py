"""Roster import figure: N synthetic rows planned, applied and committed, then imported again."""
from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter, process_time

from sqlalchemy import delete

from netral_learn.accounts import roster
from netral_learn.accounts.models import Person
from netral_learn.extensions import db

from . import synthetic
from .harness import Database, fresh_app, note
from .table import Measurement

OPD_COUNT = 50
#: The target: 100,000 rows in under 20 s on PostgreSQL (scaled to the number of rows).
TARGET_SECONDS_PER_100K = 20.0


@dataclass(frozen=True)
class ImportRun:
    """One timed import: what it did, how long reading+checking and writing took (wall clock),
    and the CPU time the bench process spent (the database server's is not included)."""

    rows: int
    result: roster.ImportResult
    plan_seconds: float
    write_seconds: float
    cpu_seconds: float

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.write_seconds

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def timed_import(filename: str, data: bytes, scope_path: str) -> ImportRun:
    """plan_import + apply_plan + commit, as the web upload does them (inside an app context)."""
    started, cpu_started = perf_counter(), process_time()
    plan = roster.plan_import(filename, data, scope_path=scope_path)
    planned = perf_counter()
    if not plan.ok:
        shown = "; ".join(f"row {e.row} {e.column}: {e.message}" for e in plan.errors[:3])
        raise RuntimeError(f"synthetic roster refused ({len(plan.errors)} errors): {shown}")
    result = roster.apply_plan(None, plan)
    db.session.commit()
    return ImportRun(plan.total_rows, result, planned - started, perf_counter() - planned,
                     process_time() - cpu_started)


def _measurement(benchmark: str, database: Database, run: ImportRun, target: str = "–",
                 passed: bool | None = None) -> Measurement:
    result = run.result
    return Measurement(
        benchmark, database.label, f"{run.seconds:.1f} s · {run.rate:,.0f} rows/s",
        f"{result.created:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged; "
        f"read+check {run.plan_seconds:.1f} s, write+commit {run.write_seconds:.1f} s; "
        f"bench CPU {run.cpu_seconds:.1f} s",
        target, passed)


def _run_on(database: Database, rows: list[list[str]], files: dict[str, bytes]) -> list[Measurement]:
    """Each file into an empty people table; the CSV once more to check that nothing changes."""
    target_seconds = TARGET_SECONDS_PER_100K * len(rows) / 100_000
    results = []
    with fresh_app(database) as app, app.app_context():
        scope = synthetic.create_instansi(synthetic.opd_names(OPD_COUNT)).path
        for filename, data in files.items():
            kind = filename.rsplit(".", 1)[1].upper()
            db.session.execute(delete(Person))
            db.session.commit()
            note(f"{database.label}: importing {len(rows):,} rows from {kind} into an empty table")
            first = timed_import(filename, data, scope)
            benchmark = f"roster import {kind}, {len(rows):,} new"
            if kind == "CSV" and database.is_postgres:
                results.append(_measurement(benchmark, database, first, f"< {target_seconds:g} s",
                                            first.seconds < target_seconds))
            else:
                results.append(_measurement(benchmark, database, first))
            if kind == "CSV":
                note(f"{database.label}: importing the same {kind} again")
                again = timed_import(filename, data, scope)
                results.append(_measurement(
                    f"roster re-import {kind}, same rows", database, again, "0 new, 0 updated",
                    again.result.created == 0 and again.result.updated == 0))
    return results


def run(databases: list[Database], row_count: int) -> list[Measurement]:
    """The roster figures on every database, from one generated CSV and its XLSX twin."""
    note(f"roster: generating {row_count:,} rows (CSV and XLSX)")
    rows = synthetic.roster_rows(row_count, synthetic.opd_names(OPD_COUNT))
    files = {"bench.csv": synthetic.to_csv(rows), "bench.xlsx": synthetic.to_xlsx(rows)}
    results = []
    for database in databases:
        results += _run_on(database, rows, files)
    return results
