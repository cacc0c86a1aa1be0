"""A large instansi for the report benchmarks, written straight in SQL (a million rows in seconds).

The shape: one instansi, OPDs, and sub-units under them (``units`` in all); people spread over
the sub-units, 70 % PNS / 20 % PPPK / 10 % non-ASN, one in a hundred inactive; a program that
targets the whole instansi; enrollments at every step of the journey, spread over thirty days,
and certificates (a few revoked) for those who signed the pact.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from netral_learn.accounts.models import Jenis, Unit
from netral_learn.accounts.units import create_unit
from netral_learn.core.clock import now_utc
from netral_learn.courses.models import Course, CourseVersion, Module, Program, VersionStatus
from netral_learn.courses.programs import create_program
from netral_learn.extensions import db

from .synthetic import INSTANSI, opd_names

OPDS = 40
#: The share of people at or past each step (of those targeted), as integer percent thresholds on i % 100.
STARTED, MODULES, QUIZ, PACT, CERTIFICATE = 85, 75, 65, 60, 58


def build_units(total: int) -> Unit:
    """The instansi, ``OPDS`` OPDs and sub-units under them until there are ``total`` units."""
    instansi = create_unit(None, None, INSTANSI, timezone="Asia/Makassar")
    opds = [create_unit(None, instansi, name) for name in opd_names(OPDS)]
    for index in range(total - 1 - OPDS):
        create_unit(None, opds[index % OPDS], f"UPT {index // OPDS + 1:03d}")
    db.session.commit()
    return instansi


def build_program(instansi: Unit) -> Program:
    version = CourseVersion(number=1, status=VersionStatus.PUBLISHED, title="Netralitas ASN",
                            modules=[Module(position=0, slug="m", title="Modul", body_md="Isi", minutes=5)])
    db.session.add(Course(slug="bench-funnel", versions=[version]))
    db.session.flush()
    today = date.today()
    program = create_program(None, instansi, title="Sosialisasi Netralitas ASN 2026", version=version,
                             starts_on=today - timedelta(days=35), ends_on=today + timedelta(days=30),
                             targets=[instansi], jenis=set(Jenis), published=True)
    db.session.commit()
    return program


def _numbers(count: int, dialect: str) -> str:
    """SQL of a row source ``seq(n)`` with n = 0 … count-1."""
    if dialect == "postgresql":
        return f"seq AS (SELECT generate_series(0, {count - 1}) AS n)"
    return f"seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {count - 1})"


def _days_ago(days_sql: str, dialect: str) -> str:
    """SQL of a timestamp ``days_sql`` days (an integer expression) before the bound :base."""
    if dialect == "postgresql":
        return f"(CAST(:base AS timestamptz) - ({days_sql}) * interval '1 day')"
    return f"datetime(:base, '-' || ({days_sql}) || ' days')"


def fill(people: int, program: Program) -> None:
    """``people`` people in the leaf units, their enrollments and certificates (three statements)."""
    dialect = db.session.get_bind().dialect.name
    depth = db.session.scalar(text("SELECT max(depth) FROM units"))
    leaves = db.session.scalar(text("SELECT count(*) FROM units WHERE depth = :depth"), {"depth": depth})
    recursive = "" if dialect == "postgresql" else "RECURSIVE "
    base = now_utc().strftime("%Y-%m-%d %H:%M:%S")
    leaf_table = f"SELECT id AS unit_id, row_number() OVER (ORDER BY id) - 1 AS k FROM units WHERE depth = {depth}"
    jenis = "CASE WHEN n % 10 = 9 THEN 'NON_ASN' WHEN n % 10 >= 7 THEN 'PPPK' ELSE 'PNS' END"
    golongan = ("CASE WHEN n % 10 = 9 THEN NULL WHEN n % 10 >= 7 THEN 'IX' "
                "ELSE (CASE n % 4 WHEN 0 THEN 'II/c' WHEN 1 THEN 'III/a' WHEN 2 THEN 'III/b' ELSE 'IV/a' END) END")
    db.session.execute(text(f"""
        WITH {recursive}{_numbers(people, dialect)}, leaf AS ({leaf_table})
        INSERT INTO people (nip, name, golongan, jenis, unit_id, role, must_change_password, failed_logins,
                            lock_count, active, created_at, updated_at)
        SELECT 'B' || n, 'Pegawai ' || n, {golongan}, {jenis}, leaf.unit_id, 'participant', false, 0, 0,
               n % 100 <> 99, :base, :base
        FROM seq JOIN leaf ON leaf.k = n % {leaves}
    """), {"base": base})
    # Step k is reached when (n * 7) % 100 < its threshold; the day of each step follows the last.
    rank = "(CAST(substr(p.nip, 2) AS INTEGER) * 7) % 100"
    day = "(CAST(substr(p.nip, 2) AS INTEGER) % 30)"
    step = lambda threshold, offset: (  # noqa: E731 - a tiny SQL template
        f"CASE WHEN {rank} < {threshold} THEN {_days_ago(f'{day} - {offset} + 5', dialect)} END")
    db.session.execute(text(f"""
        INSERT INTO enrollments (program_id, person_id, started_at, modules_completed_at, quiz_passed_at,
                                 pact_signed_at, completed_at, quiz_best_score, pretest_score)
        SELECT :program, p.id, {_days_ago(f'{day} + 5', dialect)}, {step(MODULES, 1)}, {step(QUIZ, 2)},
               {step(PACT, 3)}, {step(CERTIFICATE, 3)},
               CASE WHEN {rank} < {QUIZ + 10} THEN 40 + ({rank} * 13) % 61 END,
               CASE WHEN {rank} % 2 = 0 THEN 30 + ({rank} * 11) % 51 END
        FROM people p WHERE p.nip LIKE 'B%' AND {rank} < {STARTED}
    """), {"program": program.id, "base": base})
    db.session.execute(text("""
        INSERT INTO certificates (program_id, person_id, instansi_id, year, seq, number, verify_code, score,
                                  issued_at, previous_hashes, revoked_at)
        SELECT e.program_id, e.person_id, :instansi, 2026, e.id, 'B/' || e.id, 'BV' || e.id, e.quiz_best_score,
               e.completed_at, '[]', CASE WHEN e.id % 200 = 0 THEN e.completed_at END
        FROM enrollments e WHERE e.program_id = :program AND e.completed_at IS NOT NULL
    """), {"program": program.id, "instansi": program.instansi_id})
    db.session.commit()
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
