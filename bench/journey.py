"""Issue #8: the mass event. N people arrive as a stream (``rate`` per minute, Poisson) and each
logs in, reads the last module, passes the quiz (every tick autosaved), signs the pact and
downloads the certificate, pausing on each page as a person would. The job worker makes the PDFs
beside gunicorn, as in production. Then a learner page against a bare Flask 'hello' app, under
the same gunicorn configuration, the same client, concurrency and duration, in the same run.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from netral_learn.certificates.models import Certificate
from netral_learn.courses.models import Enrollment
from netral_learn.extensions import db
from netral_learn.pact.models import PactSignature

from .harness import Database, note
from .journey_client import Pace, drive
from .load import (
    StepReport,
    Target,
    busy_since,
    drain_queue,
    gunicorn,
    hello_rate,
    job_worker,
    in_client_process,
    machine_busy,
    postgres,
    results_dir,
    seeded_site,
    server_shape,
    unavailable_reasons,
)
from .load_client import throughput
from .table import Measurement

TARGETS = {"quiz submit (POST)": Target(100, "p95 < 100 ms")}


@dataclass(frozen=True)
class Options:
    people: int = 500
    rate: float = 60.0  #: arrivals per minute: 3,600 an hour, a regency's pledge hour
    page: float = 3.0  #: seconds on each page, ±50 %
    question: float = 1.0  #: seconds per quiz question, ±50 %
    concurrency: int = 50  #: clients in the page-vs-hello comparison
    seconds: float = 15.0  #: its duration per server


def _verify(program_id: int) -> tuple[int, int, int]:
    """(signed pacts with a stored PDF, certificates with a stored PDF, completed enrollments) in the database."""
    count = lambda query: db.session.scalar(query)  # noqa: E731
    return (count(select(func.count()).select_from(PactSignature).where(PactSignature.program_id == program_id,
                                                                        PactSignature.pdf_path.is_not(None))),
            count(select(func.count()).select_from(Certificate).where(Certificate.program_id == program_id,
                                                                      Certificate.pdf_path.is_not(None))),
            count(select(func.count()).select_from(Enrollment).where(Enrollment.program_id == program_id,
                                                                     Enrollment.completed_at.is_not(None))))


def _page_vs_hello(site, server, logs: Path, options: Options) -> list[Measurement]:
    """Requests/s of a logged-in participant's module page, then of the hello app; their ratio."""
    page = f"/program/{site.world.program_id}/modul/1"
    logins = [(nip, site.world.password) for nip, _ in site.world.people[:options.concurrency]]
    note(f"journey: {page} for {options.seconds:g} s at {options.concurrency} concurrent")
    (ok, errors, seconds), _ = in_client_process(throughput, server.url, page, options.concurrency, options.seconds,
                                                 logins)
    yield_page = ok / seconds
    floors = _app_floors(server, logins, options)
    server.stop()
    yield_hello, hello_ok, hello_errors = hello_rate(site.env, logs, options.concurrency, options.seconds)
    ratio = yield_page / yield_hello if yield_hello else 0.0
    detail = f"{options.concurrency} concurrent, {options.seconds:g} s each, same gunicorn config"
    return [
        Measurement("learner page: module page (logged in)", "PostgreSQL", f"{yield_page:,.0f} req/s",
                    f"{ok} ok, {errors} errors; {detail}"),
        Measurement("bare Flask hello, same server", "–", f"{yield_hello:,.0f} req/s",
                    f"{hello_ok} ok, {hello_errors} errors"),
        Measurement("learner page ÷ hello", "PostgreSQL", f"{ratio:.2f}",
                    "requests/s ratio of the same page reloaded back to back (no target: people read each "
                    "module once, see the firstviews scenario)"),
        *(Measurement(f"for reference: this app's {name} ÷ hello", "PostgreSQL",
                      f"{rate / yield_hello if yield_hello else 0:.2f}", f"{rate:,.0f} req/s; {detail}")
          for name, rate, detail in floors),
    ]


def _app_floors(server, logins, options: Options) -> list[tuple[str, float, str]]:
    """Requests/s of the app's own /healthz (a constant JSON answer), anonymous and logged in: what
    the app's per-request machinery costs before any page is built (extensions, hooks; logged in,
    the session row read with the person)."""
    floors = []
    for name, people, detail in (("/healthz, anonymous", None, "no database, no session"),
                                 ("/healthz, logged in", logins, "the login checked: Redis copy, database on a miss")):
        (ok, _errors, seconds), _ = in_client_process(throughput, server.url, "/healthz", options.concurrency,
                                                      options.seconds, people)
        floors.append((name, ok / seconds, detail))
    return floors


def run(databases: list[Database], options: Options) -> list[Measurement]:
    database = postgres(databases)
    if database is None:
        return []
    label = database.label
    with seeded_site(database, options.people, unread=1) as site:
        logs = results_dir("journey")
        busy, started = machine_busy(), time.perf_counter()
        with gunicorn("app:app", site.env, logs) as server, job_worker(site.env, logs):
            note(f"journey: {options.people} people arriving at {options.rate:g}/min")
            outcome, client_cpu = in_client_process(drive, server.url, site.world,
                                                    Pace(options.rate, options.page, options.question))
            backlog, failed_jobs = drain_queue()
            machine, busy_seconds = busy_since(busy), time.perf_counter() - started
            report = StepReport(label, outcome.recorder, server.requests())
        with gunicorn("app:app", site.env, logs) as server:
            comparison = _page_vs_hello(site, server, logs, options)
        with site.app.app_context():
            signatures, certificates, completed = _verify(site.world.program_id)
    for message in report.error_messages():
        note(f"journey error: {message}")
    for reason in unavailable_reasons(logs):
        note(f"journey 503: {reason}")
    note(f"journey: gunicorn logs in {logs}")
    errors = report.error_total() + report.server_errors() + failed_jobs
    cpu_per_journey = machine * os.cpu_count() * busy_seconds / max(outcome.completed, 1)
    rate = outcome.completed / outcome.seconds * 60 if outcome.seconds else 0.0
    whole = outcome.completed == options.people == signatures == certificates == completed
    return [
        *report.rows(TARGETS),
        Measurement(f"journey: {options.people} people arriving at {options.rate:g}/min", label,
                    f"{outcome.completed} done · {rate:.0f} journeys/min",
                    f"{outcome.seconds:.0f} s, at most {outcome.peak} on the site at once (pausing {options.page:g} s "
                    f"per page, {options.question:g} s per question, ±50 %); database: {signatures} signed pact "
                    f"PDFs, {certificates} certificate PDFs, {completed} enrollments complete",
                    f"all {options.people}, 0 errors", whole and errors == 0),
        Measurement("journey: errors", label, f"{errors}",
                    f"client-side failures {report.error_total()}, HTTP 5xx in the access log "
                    f"{report.server_errors()}, failed worker jobs {failed_jobs}", "0", errors == 0),
        Measurement("journey: PDF backlog", label, f"{backlog:.0f} s",
                    "after the last person finished, until the worker had made every queued pact and certificate "
                    "PDF (one `flask worker`, nice 10)"),
        Measurement("journey: machine", label, f"CPU {machine:.0%} busy",
                    f"≈ {cpu_per_journey:.2f} CPU-s per journey (app, worker, database and client); gunicorn "
                    f"{server_shape()}; the aiohttp client (1 process) shares the same cores and used "
                    f"{client_cpu:.0f} CPU-s"),
        *comparison,
    ]
