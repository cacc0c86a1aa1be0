"""Faults bench: PostgreSQL really restarted under a steady stream of requests.

Opt-in only (``python -m bench --only faults``): ``pg_ctlcluster … restart`` cuts every client of
the PostgreSQL server on this machine, not just this app. A production gunicorn serves logged-in
``GET /`` to a few threads on the database ``netral_bench_faults`` (created when missing, wiped
like every bench database); mid-run the cluster restarts. Counted: requests that failed with the
clear 503 page versus any other failure (target 0), seconds from PostgreSQL accepting connections
again to the first success, and whether every request after that succeeded.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person
from netral_learn.config import normalize_database_url
from netral_learn.extensions import db
from tests.deploy.servers import Browser, free_port, start_instance, stop

from . import synthetic
from .harness import Database, fresh_app, note
from .table import Measurement

DATABASE_NAME = "netral_bench_faults"
PASSWORD = "Kuat#Sandi-2026"
THREADS = 4
BEFORE_SECONDS, AFTER_SECONDS = 3.0, 8.0
CLEAR_PAGE = "Layanan sedang terganggu sebentar"
TARGET_RECOVERY_SECONDS = 5.0


@dataclass(frozen=True)
class Sample:
    started: float
    ended: float
    outcome: str  #: "ok", "503" (the clear page) or what else happened


def _own_database(url: str) -> str:
    """The URL of DATABASE_NAME on the same server, created if it does not exist yet."""
    target = make_url(normalize_database_url(url)).set(database=DATABASE_NAME)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": DATABASE_NAME}).scalar():
            connection.execute(text(f'CREATE DATABASE "{DATABASE_NAME}"'))
    engine.dispose()
    return target.render_as_string(hide_password=False)


def _restart_command() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


def _participant(app) -> str:
    """One participant with a known password; returns the NIP."""
    with app.app_context():
        unit = synthetic.create_instansi(synthetic.opd_names(1))
        person = Person(nip=synthetic.identifier(0)[1], name="Peserta Gangguan", jenis=Jenis.PNS, unit_id=unit.id,
                        password_hash=passwords.hash_password(PASSWORD), must_change_password=False)
        db.session.add(person)
        db.session.commit()
        return person.nip


def _signing_settings(folder: Path) -> dict:
    from netral_learn.pact.keys import create_local_ca

    create_local_ca(folder, "Pemerintah Kabupaten Bench", "BKPSDM Kabupaten Bench")
    return {"SIGNING_PKCS12_PATH": str(folder / "signing.p12"),
            "SIGNING_PKCS12_PASSWORD": (folder / "password").read_text(), "SIGNING_CA_PATH": str(folder / "ca.pem")}


def _request(browser: Browser, url: str) -> Sample:
    started = time.monotonic()
    try:
        status, _, body = browser.open(url, timeout=30)
        outcome = "ok" if status == 200 else (
            "503" if status == 503 and CLEAR_PAGE in body.decode("utf-8", "replace") else f"HTTP {status}")
    except OSError as error:  # refused, reset, timed out: the app server itself failed
        outcome = type(error).__name__
    return Sample(started, time.monotonic(), outcome)


def _drive(site: str, nip: str, restart: list[str]) -> tuple[list[Sample], float, float]:
    """Stream requests, restart PostgreSQL mid-run; the samples, restart start and back times."""
    browsers = []
    for _ in range(THREADS):
        browser = Browser()
        status, _ = browser.post(f"{site}/masuk", {"nip": nip, "password": PASSWORD}, f"{site}/masuk")
        if status != 200:
            raise RuntimeError(f"bench login answered {status}")
        browsers.append(browser)
    samples: list[Sample] = []
    done = threading.Event()

    def stream(browser: Browser) -> None:
        while not done.is_set():
            samples.append(_request(browser, f"{site}/"))

    threads = [threading.Thread(target=stream, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    try:
        time.sleep(BEFORE_SECONDS)
        note("restarting PostgreSQL: " + " ".join(restart))
        restart_started = time.monotonic()
        subprocess.run(restart, check=True, capture_output=True, timeout=120)
        back = time.monotonic()  # pg_ctl waits until the server accepts connections
        time.sleep(AFTER_SECONDS)
    finally:
        done.set()
        for thread in threads:
            thread.join()
    return samples, restart_started, back


def _measure(samples: list[Sample], restart_started: float, back: float) -> list[Measurement]:
    failures = [s for s in samples if s.outcome != "ok"]
    clear = sum(s.outcome == "503" for s in failures)
    other = sorted({s.outcome for s in failures if s.outcome != "503"})
    first_ok = min((s.ended for s in samples if s.outcome == "ok" and s.started >= back), default=None)
    after = [s for s in samples if first_ok is not None and s.started >= first_ok]
    after_ok = sum(s.outcome == "ok" for s in after)
    before = sum(s.ended < restart_started for s in samples)
    window = (f"; failures seen for {max(s.ended for s in failures) - min(s.started for s in failures):.1f} s"
              if failures else "")
    label = "PostgreSQL"
    recovery = None if first_ok is None else first_ok - back
    return [
        Measurement("faults: PostgreSQL restart mid-run, failed requests", label,
                    f"{clear} clear 503 · {len(failures) - clear} other",
                    f"{len(samples)} requests from {THREADS} threads ({before} before the restart); restart took "
                    f"{back - restart_started:.1f} s{window}" + (f"; other: {', '.join(other)}" if other else ""),
                    "0 other errors", len(failures) == clear),
        Measurement("faults: first success after PostgreSQL is back", label,
                    "none" if recovery is None else f"{recovery:.2f} s",
                    "pool_pre_ping replaces the dead pooled connections; no app restart",
                    f"< {TARGET_RECOVERY_SECONDS:g} s", recovery is not None and recovery < TARGET_RECOVERY_SECONDS),
        Measurement("faults: requests after recovery", label, f"{after_ok}/{len(after)} succeeded",
                    f"the {AFTER_SECONDS:g} s after PostgreSQL was back", "all", bool(after) and after_ok == len(after)),
    ]


def run(databases: list[Database]) -> list[Measurement]:
    """The restart scenario on the PostgreSQL server of BENCH_DATABASE_URL (else TEST_DATABASE_URL)."""
    postgres = next((d for d in databases if d.is_postgres), None)
    if postgres is None or not os.path.isdir("/etc/postgresql"):
        return [Measurement("faults: PostgreSQL restart mid-run", "PostgreSQL", "skipped",
                            "needs BENCH_DATABASE_URL and a local cluster managed by pg_ctlcluster")]
    url = _own_database(postgres.url)
    with fresh_app(Database("PostgreSQL", url)) as app, tempfile.TemporaryDirectory(prefix="netral-faults-") as tmp:
        nip = _participant(app)
        settings = {"STORAGE_DIR": app.config["STORAGE_DIR"], **_signing_settings(Path(tmp))}
        port = free_port()
        process = start_instance(port, settings, database_url=url, secret_key=secrets.token_urlsafe(48),
                                 GUNICORN_THREADS=str(THREADS))
        try:
            samples, restart_started, back = _drive(f"http://127.0.0.1:{port}", nip, _restart_command())
        finally:
            stop(process)
    return _measure(samples, restart_started, back)
