"""Backup and restore of a 100,000-person installation with its documents: time and peak memory.

The database is the report benchmark's (people at every step of a program, certificates rows),
written in SQL; the stored files are copies of one real rendered certificate (each a little
different, so nothing deduplicates). `flask backup create`, `verify` and `restore` then run as
the operator runs them, each in its own process, whose peak resident memory is read at its end.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netral_learn.certificates import services as certificates
from netral_learn.core.storage import atomic_write

from . import funnel_data
from .harness import Database, fresh_app, note
from .table import Measurement

UNITS = 500
#: Runs a `flask` command in-process, then prints its peak resident memory (KiB) on stderr's last line.
RUNNER = ("import resource, sys\nfrom flask.cli import main\ntry:\n    main()\nfinally:\n"
          "    print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")


def _flask(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Seconds and peak resident MiB of ``flask --app app ARGS`` in its own process."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", RUNNER, "--app", "app", *args], env=env, capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parent.parent)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr[-1500:]}")
    peak = int(result.stderr.strip().splitlines()[-1].split()[1]) / 1024
    return seconds, peak


def _documents(storage: Path, count: int) -> int:
    """``count`` stored PDFs (copies of one rendered certificate); returns their total bytes."""
    from netral_learn.core.pdf import render_pdf

    pdf = render_pdf(certificates.render_html(certificates.DEFAULT_TEMPLATE.read_text(encoding="utf-8"),
                                              certificates.sample_data()))
    for index in range(count):
        atomic_write(storage / "certificates" / "2026" / f"BENCH-{index:06d}.pdf", pdf + f"\n% {index}\n".encode())
    return count * (len(pdf) + 10)


def _run_on(database: Database, people: int, documents: int) -> list[Measurement]:
    label = database.label
    with fresh_app(database) as app, app.test_request_context():
        note(f"{label}: {people:,} people and {documents:,} stored documents")
        program = funnel_data.build_program(funnel_data.build_units(UNITS))
        funnel_data.fill(people, program)
        stored = _documents(Path(app.config["STORAGE_DIR"]), documents)
        env = {**os.environ, "APP_ENV": "testing", "SECRET_KEY": app.config["SECRET_KEY"],
               "DATABASE_URL": database.url or app.config["SQLALCHEMY_DATABASE_URI"],
               "STORAGE_DIR": app.config["STORAGE_DIR"]}
        with tempfile.TemporaryDirectory(prefix="netral-bench-backup-") as tmp:
            archive = Path(tmp) / "cadangan.tar.gz"
            baseline = _flask(env, "db", "current")  # the process's own start: imports, app, one query
            note(f"{label}: backup create")
            create = _flask(env, "backup", "create", "--output", str(archive))
            note(f"{label}: backup verify")
            verify = _flask(env, "backup", "verify", str(archive))
            target = {**env, "STORAGE_DIR": str(Path(tmp) / "restored-storage"),
                      "DATABASE_URL": f"sqlite:///{Path(tmp) / 'restored.db'}"}
            if database.url:
                target["DATABASE_URL"] = database.url  # restored over the same database (--force)
            note(f"{label}: backup restore")
            restore = _flask(target, "backup", "restore", str(archive), *(["--force"] if database.url else []))
            size = archive.stat().st_size
    scale = f"{people:,} people, {documents:,} documents ({stored / 2**20:.0f} MiB)"
    return [
        Measurement("baseline: `flask db current`", label, f"{baseline[0]:.1f} s · peak {baseline[1]:.0f} MiB",
                    "what every command below pays before its own work (imports, app, one query)"),
        Measurement(f"backup create ({scale})", label, f"{create[0]:.1f} s · peak {create[1]:.0f} MiB",
                    f"archive {size / 2**20:.0f} MiB; database snapshot, files streamed, manifest"),
        Measurement("backup verify", label, f"{verify[0]:.1f} s · peak {verify[1]:.0f} MiB",
                    "every member hashed against the manifest; the database copy checked"),
        Measurement("backup restore onto an empty instance", label, f"{restore[0]:.1f} s · peak {restore[1]:.0f} MiB",
                    "archive checked whole first, database replaced in one step, documents and audit chain checked"),
    ]


def run(databases: list[Database], people: int, documents: int) -> list[Measurement]:
    rows: list[Measurement] = []
    for database in databases:
        rows += _run_on(database, people, documents)
    return rows
