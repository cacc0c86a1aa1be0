"""Reports at regency-and-beyond scale: a million people in 2,000 units.

* Funnel page: server time of GET /laporan for the whole instansi and for one OPD, read from a
  fresh snapshot (target < 100 ms on PostgreSQL, < 2 s on SQLite).
* Exact recount: ``snapshot.refresh`` (the whole program into per-unit cells, written back)
  side by side with the plain GROUP BY join of people, enrollments and certificates per unit
  computing the same figures, same data, same run, alternated so neither enjoys a warmer cache
  (target: recount no slower than the join); and, for the record, against a bare join that
  counts only the six step totals per unit.
* History recount (the day-by-day line, every 10 minutes in the background): for the record.
* XLSX: the export with 100,000 follow-up rows, in time (target < 15 s on PostgreSQL; SQLite's for
  the record) and in peak Python memory at 20,000 and at 100,000 rows (flat: the sheet is
  streamed, never held).
"""
from __future__ import annotations

import itertools
import statistics
import tempfile
import time
import tracemalloc

from sqlalchemy import text

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person, Role, Unit
from netral_learn.extensions import db
from netral_learn.reports import exports, followup, funnel, snapshot

from . import funnel_data
from .harness import Database, fresh_app, note
from .table import Measurement

PASSWORD = "Bench#Sandi-2026"
UNITS = 2000
PAGE_SAMPLES = 20
RECOUNTS = 3
XLSX_ROWS = 100_000

BARE_JOIN = text("""
    SELECT p.unit_id, count(*), count(e.id), count(e.modules_completed_at), count(e.quiz_passed_at),
           count(e.pact_signed_at), count(c.id)
    FROM people p
    LEFT JOIN enrollments e ON e.person_id = p.id AND e.program_id = :program
    LEFT JOIN certificates c ON c.person_id = p.id AND c.program_id = :program AND c.revoked_at IS NULL
    GROUP BY p.unit_id
""")


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _admin(instansi: Unit) -> Person:
    admin = Person(nip="ADMIN-LAPORAN", name="Admin Laporan", jenis=Jenis.NON_ASN, unit_id=instansi.id,
                   role=Role.ADMIN, scope_unit_id=instansi.id, password_hash=passwords.hash_password(PASSWORD),
                   must_change_password=False)
    db.session.add(admin)
    db.session.commit()
    return admin


def plain_join(program):
    """The same figures per unit by one plain GROUP BY over people, enrollments and certificates."""
    return funnel.journeys(program, Person.unit_id, *funnel.measures_sql()).group_by(Person.unit_id)


def _recounts(program) -> tuple[float, float, float]:
    """Medians of the plain join, the bare join and the exact recount, run alternately."""
    plain, bare, recounts = [], [], []
    for _ in range(RECOUNTS):
        plain.append(_seconds(lambda: db.session.execute(plain_join(program)).all()))
        bare.append(_seconds(lambda: db.session.execute(BARE_JOIN, {"program": program.id}).all()))
        db.session.commit()
        recounts.append(_seconds(lambda: snapshot.refresh(program, history=False)))
    return statistics.median(plain), statistics.median(bare), statistics.median(recounts)


def _page_times(app, program, unit_id: int) -> list[float]:
    client = app.test_client()
    response = client.post("/masuk", data={"nip": "ADMIN-LAPORAN", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    url = f"/laporan?program={program.id}&unit={unit_id}"
    assert client.get(url).status_code == 200  # warm: templates compiled, snapshot read once
    times = []
    for _ in range(PAGE_SAMPLES):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and b"Data per" in response.data
    return times


def _xlsx(report, rows: int) -> None:
    """The report's XLSX with its first ``rows`` follow-up rows (checked to be that many)."""
    program, instansi = report.program, report.unit
    written = 0

    def limited():
        nonlocal written
        for row in itertools.islice(followup.iter_rows(followup.followup_query(program, instansi)), rows):
            written += 1
            yield row

    with tempfile.TemporaryFile() as target:  # as the export view spools it (memory holds no file)
        exports.write_report_xlsx(report, limited(), followup.module_count(program), target)
    if written != rows:
        raise RuntimeError(f"only {written:,} follow-up rows to write; use more people")


def _xlsx_peak(report, rows: int) -> float:
    """Peak traced Python memory in MB while writing ``rows`` follow-up rows."""
    tracemalloc.start()
    try:
        _xlsx(report, rows)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _run_on(database: Database, people: int) -> list[Measurement]:
    label = database.label
    page_target, page_limit = ("< 100 ms", 0.1) if database.is_postgres else ("< 2 s", 2.0)
    # Issue 7 states its targets for PostgreSQL at a million people, with SQLite's own limit for the
    # page only; SQLite's XLSX time is shown for the record, its memory still has to stay flat.
    xlsx_target = "< 15 s, flat memory" if database.is_postgres else "flat memory"
    with fresh_app(database) as app, app.test_request_context():
        note(f"{label}: {UNITS:,} units and {people:,} people with their journeys")
        started = time.perf_counter()
        instansi = funnel_data.build_units(UNITS)
        program = funnel_data.build_program(instansi)
        funnel_data.fill(people, program)
        _admin(instansi)
        note(f"{label}: data written in {time.perf_counter() - started:.0f} s")
        history = _seconds(lambda: snapshot.refresh(program, history=True))
        note(f"{label}: plain join vs exact recount, {RECOUNTS} times each")
        join, bare, recount = _recounts(program)
        opd = db.session.scalars(text("SELECT id FROM units WHERE depth = 1 ORDER BY id LIMIT 1")).one()
        snapshot.refresh(program, history=False)  # the page loop runs well inside the 30 s of freshness
        note(f"{label}: funnel page, {PAGE_SAMPLES} requests each for the instansi and one OPD")
        root_times = _page_times(app, program, instansi.id)
        opd_times = _page_times(app, program, opd)
        note(f"{label}: XLSX with {XLSX_ROWS:,} follow-up rows")
        report = snapshot.current_report(program, instansi)  # the export's figures, as the view has them
        xlsx_seconds = _seconds(lambda: _xlsx(report, XLSX_ROWS))
        small_peak, large_peak = _xlsx_peak(report, XLSX_ROWS // 5), _xlsx_peak(report, XLSX_ROWS)
        cells = db.session.scalar(text("SELECT count(*) FROM funnel_cells"))
        days = db.session.scalar(text("SELECT count(*) FROM funnel_days"))
    scale = f"{people:,} people, {UNITS:,} units"
    rows = [
        Measurement(f"funnel page, whole instansi ({scale})", label,
                    f"p50 {statistics.median(root_times) * 1000:.0f} ms · p95 {_percentile(root_times, .95) * 1000:.0f} ms",
                    f"server time of GET /laporan over {cells:,} cells and {days:,} day rows; figures ≤ 60 s old",
                    page_target, _percentile(root_times, .95) < page_limit),
        Measurement("funnel page, one OPD", label,
                    f"p50 {statistics.median(opd_times) * 1000:.0f} ms · p95 {_percentile(opd_times, .95) * 1000:.0f} ms",
                    "drill-down one level below the instansi", page_target, _percentile(opd_times, .95) < page_limit),
        Measurement("exact recount vs plain GROUP BY join, same figures", label,
                    f"{recount:.2f} s vs {join:.2f} s",
                    f"ratio {recount / join:.2f}; medians of {RECOUNTS}, alternated; the recount runs every 30 s "
                    "in the worker, never in a learner's request", "ratio ≤ 1.00", recount <= join),
        Measurement("exact recount vs bare join (6 step counts per unit)", label, f"{recount:.2f} s vs {bare:.2f} s",
                    f"ratio {recount / bare:.2f}; the bare join has no jenis/golongan cells and no scores"),
        Measurement("history recount (day-by-day line)", label, f"{history:.2f} s",
                    "every 10 minutes and at each new local day, in the worker"),
        Measurement(f"XLSX export, {XLSX_ROWS:,} follow-up rows", label, f"{xlsx_seconds:.1f} s",
                    f"peak Python memory {small_peak:.1f} MB at {XLSX_ROWS // 5:,} rows, {large_peak:.1f} MB at "
                    f"{XLSX_ROWS:,} (streamed)", xlsx_target,
                    (xlsx_seconds < 15 or not database.is_postgres) and large_peak < 2 * small_peak + 5),
    ]
    return rows


def run(databases: list[Database], people: int) -> list[Measurement]:
    return [row for database in databases for row in _run_on(database, people)]
