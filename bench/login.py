"""Login figure: latency of a full POST /masuk (argon2id verify, session row, commit)."""
from __future__ import annotations

import math
import statistics
from time import perf_counter, process_time

from flask import Flask

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person
from netral_learn.extensions import db

from . import synthetic
from .harness import Database, fresh_app, note
from .table import Measurement

PASSWORD = "Kuat#Sandi-2026"
PEOPLE = 20
WARMUP = 5
TARGET_P50_MS = 150.0


def _create_people(app: Flask) -> list[str]:
    """PEOPLE participants with a chosen (argon2id-hashed) password; returns their NIPs."""
    with app.app_context():
        unit = synthetic.create_instansi(synthetic.opd_names(1))
        password_hash = passwords.hash_password(PASSWORD)
        # identifier() gives a PNS NIP for every index divisible by 10.
        people = [Person(nip=synthetic.identifier(index * 10)[1], name=f"Peserta {index}", jenis=Jenis.PNS,
                         unit_id=unit.id, password_hash=password_hash, must_change_password=False)
                  for index in range(PEOPLE)]
        db.session.add_all(people)
        db.session.commit()
        return [person.nip for person in people]


def _login_seconds(app: Flask, nip: str) -> float:
    """Wall time of one login POST from a fresh client (no cookie), checked to succeed."""
    client = app.test_client()
    started = perf_counter()
    response = client.post("/masuk", data={"nip": nip, "password": PASSWORD})
    elapsed = perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"login of {nip} answered {response.status_code}, not a redirect")
    return elapsed


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95: the value 95 % of the samples do not exceed)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def _verify_seconds(app: Flask, samples: int = 20) -> float:
    """Median time of the argon2id verify alone, for comparison with the whole request."""
    with app.app_context():
        password_hash = passwords.hash_password(PASSWORD)
        times = []
        for _ in range(samples):
            started = perf_counter()
            passwords.verify_password(password_hash, PASSWORD)
            times.append(perf_counter() - started)
    return statistics.median(times)


def _run_on(database: Database, logins: int) -> Measurement:
    with fresh_app(database) as app:
        nips = _create_people(app)
        note(f"{database.label}: {logins} logins (after {WARMUP} warm-up logins)")
        for nip in nips[:WARMUP]:
            _login_seconds(app, nip)
        started, cpu_started = perf_counter(), process_time()
        latencies = [_login_seconds(app, nips[index % len(nips)]) for index in range(logins)]
        rate = logins / (perf_counter() - started)
        cpu_per_login = (process_time() - cpu_started) / logins
        verify = _verify_seconds(app)
        cost = app.config
    p50, p95 = (_percentile(latencies, fraction) * 1000 for fraction in (0.50, 0.95))
    return Measurement(
        f"login POST /masuk, {logins} logins", database.label, f"p50 {p50:.0f} ms · p95 {p95:.0f} ms",
        f"{rate:.1f} logins/s on one core ({cpu_per_login * 1000:.0f} ms bench CPU each); "
        f"argon2id verify alone {verify * 1000:.0f} ms "
        f"(m={cost['ARGON2_MEMORY_KIB']} KiB, t={cost['ARGON2_TIME_COST']}, p={cost['ARGON2_PARALLELISM']})",
        f"p50 < {TARGET_P50_MS:g} ms", p50 < TARGET_P50_MS)


def run(databases: list[Database], logins: int) -> list[Measurement]:
    """The login figure on every database."""
    return [_run_on(database, logins) for database in databases]
