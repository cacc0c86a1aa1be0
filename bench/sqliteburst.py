"""Issue 17, item 8: the embedded default (`make run`: SQLite, the development server, no Redis)
under a burst — N people press "Tandatangani" on the pact and N others "Kirim jawaban" on the quiz
at the same moment, while a few more reload their beranda.

The site is started exactly as `make run` starts it (`flask --app app run --host 127.0.0.1`,
APP_ENV=development, SQLite file, no REDIS_URL). People are seeded with every module read; the
signers first pass the quiz and open the pact page, the submitters start the quiz and tick every
answer (autosaved) — none of that is timed. Then every signature and submit is released at once.
Figures: p50/p95/p99 per step as the client saw them, errors (any answer but the expected page),
5xx in the server's log, and what the database holds afterwards.
"""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from netral_learn.extensions import db
from netral_learn.pact.keys import create_local_ca
from netral_learn.pact.models import PactSignature
from netral_learn.quiz.models import Attempt, AttemptStatus

from . import synthetic
from .harness import Database, fresh_app, note
from .load import _free_port, _seed, _wait_until_up, in_client_process, results_dir
from .login import _percentile as percentile
from .sqliteburst_client import BROWSE, SIGN, SUBMIT, drive
from .table import Measurement

ROOT = Path(__file__).resolve().parent.parent
BROWSING = 10
_STATUS = re.compile(r'" (\d{3}) ')


def run(burst: int) -> list[Measurement]:
    database = Database("SQLite (make run)")
    with fresh_app(Database("SQLite")) as app:
        storage = Path(app.config["STORAGE_DIR"])
        keys = storage.parent / "keys"
        create_local_ca(keys, synthetic.INSTANSI, "BKPSDM Kabupaten Bench")
        note(f"seeding {2 * burst + BROWSING} people on SQLite")
        with app.app_context():
            world = _seed(2 * burst + BROWSING, 0)
        log_dir = results_dir("sqliteburst")
        port = _free_port()
        env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "APP_ENV")}
        env.update({"APP_ENV": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "SECRET_KEY": secrets.token_urlsafe(48), "STORAGE_DIR": str(storage),
                    "SITE_URL": f"http://127.0.0.1:{port}", "SIGNING_PKCS12_PATH": str(keys / "signing.p12"),
                    "SIGNING_PKCS12_PASSWORD": (keys / "password").read_text(),
                    "SIGNING_CA_PATH": str(keys / "ca.pem")})
        server_log = log_dir / "flask-run.log"
        with open(server_log, "w") as log:
            server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1",
                                       "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_until_up(server, f"http://127.0.0.1:{port}", server_log)
                outcome, client_cpu = in_client_process(drive, f"http://127.0.0.1:{port}", world, burst, burst,
                                                        BROWSING)
            finally:
                server.terminate()
                server.wait(60)
        statuses = [int(m.group(1)) for line in server_log.read_text(errors="replace").splitlines()
                    if "HTTP/1.1" in line and (m := _STATUS.search(line))]
        with app.app_context():
            signatures = db.session.scalar(select(func.count()).select_from(PactSignature))
            # the signers' passing attempts plus the submitters' attempts, all scored
            scored = db.session.scalar(select(func.count()).select_from(Attempt)
                                       .where(Attempt.status != AttemptStatus.ACTIVE))
    recorder = outcome.recorder
    rows = []
    for step, expected in ((SIGN, burst), (SUBMIT, burst), (BROWSE, None)):
        times = [t * 1000 for t in recorder.latencies.get(step, [])]
        errors = recorder.errors.get(step, 0)
        measured = (f"p50 {percentile(times, 0.5):.0f} · p95 {percentile(times, 0.95):.0f} · "
                    f"p99 {percentile(times, 0.99):.0f} ms") if times else "no successful request"
        target = "0 errors" if expected else "–"
        passed = (errors == 0 and len(times) == expected) if expected else None
        rows.append(Measurement(f"{step}, {burst} at once", database.label, measured,
                                f"n={len(times)}, errors {errors}", target, passed))
    preparation_errors = sum(n for step, n in recorder.errors.items() if step not in (SIGN, SUBMIT, BROWSE))
    server_errors = sum(1 for status in statuses if status >= 500)
    rows.append(Measurement(
        "burst as a whole", database.label, f"{outcome.burst_seconds:.1f} s",
        f"{server_errors} × 5xx of {len(statuses)} requests in the server log; preparation errors "
        f"{preparation_errors}; {signatures} signatures, {scored} attempts scored; client CPU {client_cpu:.0f} s",
        "0 errors", server_errors == 0 and preparation_errors == 0 and signatures == burst
        and scored == 2 * burst))
    for messages in recorder.messages.values():
        for message in messages:
            note(f"error: {message}")
    return rows
