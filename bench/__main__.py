"""``python -m bench [--only SCENARIO] [options]``: run the benchmarks, print one table.

Scenarios: roster, uploads (hostile XLSX refused), login, certificates, reports (SQLite, and PostgreSQL when BENCH_DATABASE_URL
is set); quizstart, journey and firstviews (gunicorn + PostgreSQL + Redis; BENCH_APP_TREE serves
another checkout's code, BENCH_OLD_TREE puts an older checkout beside this one in firstviews); startcost (one quiz start's CPU
and SQL in-process, PostgreSQL + Redis); slowlink (first loads over an emulated 3G link in
Chromium); sqliteburst (`make run` under 50 signatures + 50 submits at once); backup (create,
verify, restore of 100,000 people); faults (restarts PostgreSQL: only
with ``--only faults``). See bench/README.md. Exits with status 1 when a figure misses its target.
"""
from __future__ import annotations

import argparse
import os
import sys

from netral_learn.accounts.roster import MAX_ROWS

from . import (backup, certificates, firstviews, journey, load, login, quizstart, reports, roster_import, slow_link,
               sqliteburst, startcost, uploads)
from . import faults
from .harness import databases
from .table import render

SCENARIOS = {
    "roster": lambda args, dbs: roster_import.run(dbs, args.rows),
    "uploads": lambda args, dbs: uploads.run(dbs),
    "login": lambda args, dbs: login.run(dbs, args.logins),
    "certificates": lambda args, dbs: certificates.run(dbs[:1], args.certificates),
    "reports": lambda args, dbs: reports.run(dbs, args.report_people),
    "quizstart": lambda args, dbs: quizstart.run(dbs, quizstart.Options(args.people, think=args.think)),
    "startcost": lambda args, dbs: startcost.run(dbs),
    "firstviews": lambda args, dbs: firstviews.run(dbs, firstviews.Options(args.first_people,
                                                                           concurrency=args.first_concurrency)),
    "journey": lambda args, dbs: journey.run(dbs, journey.Options(args.people, args.rate, args.pause,
                                                                           concurrency=args.concurrency,
                                                                           seconds=args.seconds)),
    "slowlink": lambda args, dbs: slow_link.run(dbs),
    "backup": lambda args, dbs: backup.run(dbs, args.backup_people, args.backup_documents),
    # Issue 17: the embedded default (`make run`, SQLite) under N simultaneous signatures and submits.
    "sqliteburst": lambda args, dbs: sqliteburst.run(args.burst),
    # Restarts the PostgreSQL cluster: only when asked for by name, never in the default run.
    "faults": lambda args, dbs: faults.run(dbs) if args.only == "faults" else [],
}


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the benchmarks, print a table.")
    parser.add_argument("--only", choices=sorted(SCENARIOS), help="run one scenario (default: all)")
    parser.add_argument("--rows", type=_positive, default=100_000, help="roster rows (default 100000)")
    parser.add_argument("--logins", type=_positive, default=200, help="timed logins per database (default 200)")
    parser.add_argument("--certificates", type=_positive, default=1000,
                        help="certificates in the ZIP benchmark (default 1000; runs on SQLite)")
    parser.add_argument("--report-people", type=_positive, default=1_000_000,
                        help="people in the report benchmark, spread over 2,000 units (default 1000000)")
    parser.add_argument("--backup-people", type=_positive, default=100_000,
                        help="people in the backup benchmark (default 100000)")
    parser.add_argument("--backup-documents", type=_positive, default=2_000,
                        help="stored PDFs in the backup benchmark (default 2000)")
    parser.add_argument("--burst", type=_positive, default=50,
                        help="sqliteburst: simultaneous signatures, and as many simultaneous submits (default 50)")
    load.add_arguments(parser, _positive)
    args = parser.parse_args(argv)
    if args.rows > MAX_ROWS:
        parser.error(f"--rows: the import accepts at most {MAX_ROWS:,} rows")
    targets = databases()
    load_before = os.getloadavg()[0]
    measurements = []
    for name, scenario in SCENARIOS.items():
        if args.only in (None, name):
            measurements += scenario(args, targets)
    print(render(measurements))
    print(f"\nWall-clock figures; {os.cpu_count()} CPUs, 1-minute load average {load_before:.1f} before "
          f"and {os.getloadavg()[0]:.1f} after (other work on the machine inflates them).")
    return 1 if any(m.passed is False for m in measurements) else 0


if __name__ == "__main__":
    sys.exit(main())
