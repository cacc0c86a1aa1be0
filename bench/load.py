"""What the load scenarios share: a seeded PostgreSQL site, gunicorn in production mode, the client
process, and the table rows made from what the simulated people measured.

The site is the real deployment shape on this machine: ``gunicorn -c gunicorn.conf.py app:app``
with APP_ENV=production, PostgreSQL, Redis (rate limits, queue), a signing key, STORAGE_DIR in a
temporary folder; workers and threads from gunicorn.conf.py (GUNICORN_WORKERS, GUNICORN_THREADS).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import insert, select

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person, Unit
from netral_learn.certificates.models import CertificateSettings
from netral_learn.core.clock import now_utc
from netral_learn.core.i18n import local_today
from netral_learn.courses import content
from netral_learn.courses.models import Enrollment, ModuleProgress
from netral_learn.courses.programs import create_program
from netral_learn.extensions import db
from netral_learn.pact.keys import create_local_ca
from netral_learn.quiz.models import Question, QuestionOption, QuizSettings, ReviewMode

from . import synthetic
from .harness import Database, fresh_app, note
from .load_client import PASSWORD, Recorder, World, run_coroutine
from .login import _percentile as percentile
from .table import Measurement

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
QUESTIONS = 10
_FIRST = ("Budi", "Siti", "Agus", "Dewi", "Rina", "Hendra", "Yusuf", "Nur", "Wahyu", "Fitri", "Andi", "Lestari")
_LAST = ("Santoso", "Aminah", "Wijaya", "Hasanah", "Saputra", "Rahmawati", "Hidayat", "Pratama", "Kurniawan")


def postgres(databases: list[Database]) -> Database | None:
    """The PostgreSQL database to load, or None (with a note: these scenarios need it)."""
    found = next((d for d in databases if d.is_postgres), None)
    if found is None:
        note("load scenarios skipped: they run against gunicorn + PostgreSQL; set BENCH_DATABASE_URL")
    return found


# --- the seeded site -----------------------------------------------------------------------

def _seed(people: int, unread: int) -> World:
    """An instansi, ``people`` participants (argon2id at the configured cost), the bundled course,
    question bank and pact in a published program, each person with all modules read but the last
    ``unread`` (0: all read, so the quiz is open)."""
    instansi = synthetic.create_instansi(synthetic.opd_names(8))
    units = db.session.scalars(select(Unit.id).where(Unit.parent_id == instansi.id)).all()
    password_hash = passwords.hash_password(PASSWORD)  # one hash: every verify costs the same anyway
    rows = [{"nip": synthetic.identifier(index * 10)[1], "jenis": Jenis.PNS, "unit_id": units[index % len(units)],
             "name": f"{_FIRST[index % len(_FIRST)]} {_LAST[index // len(_FIRST) % len(_LAST)]} {index:04d}",
             "jabatan": "Analis Kepegawaian", "golongan": "III/a", "password_hash": password_hash,
             "must_change_password": False} for index in range(people)]
    person_ids = db.session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), rows).all()
    results, _ = content.load_bundled()
    version = results[0].version
    db.session.add(CertificateSettings(
        instansi_id=instansi.id, number_pattern="800/{nomor:04d}/NETRAL/BKPSDM/{tahun}", place="Tanah Grogot",
        agency_name="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", signer_title="Kepala BKPSDM",
        signer_name="Drs. H. Contoh Pimpinan, M.Si.", signer_nip="197001011995031001",
        signer_rank="Pembina Utama Muda (IV/c)", jp=2))
    today = local_today()
    program = create_program(None, instansi, title="Sosialisasi Netralitas ASN (uji beban)", version=version,
                             starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=30),
                             targets=[instansi], jenis=set(Jenis), published=True)
    db.session.add(QuizSettings(program_id=program.id, question_count=QUESTIONS, per_tag={}, pass_mark=70,
                                max_attempts=3, time_limit_minutes=30, cooldown_minutes=0, grace_seconds=60,
                                review_mode=ReviewMode.AFTER_PASS, pretest_enabled=False))
    db.session.flush()
    modules = sorted(version.modules, key=lambda m: m.position)
    read = modules[:len(modules) - unread]
    now = now_utc()
    enrollment_ids = db.session.scalars(insert(Enrollment).returning(Enrollment.id, sort_by_parameter_order=True), [
        {"program_id": program.id, "person_id": pid, "started_at": now,
         "modules_completed_at": now if len(read) == len(modules) else None} for pid in person_ids]).all()
    if read:
        db.session.execute(insert(ModuleProgress), [
            {"enrollment_id": eid, "module_id": m.id, "opened_at": now, "completed_at": now}
            for eid in enrollment_ids for m in read])
    correct = db.session.scalars(select(QuestionOption.id).join(Question).where(
        Question.course_id == version.course_id, QuestionOption.is_correct.is_(True))).all()
    db.session.commit()
    return World(program.id, tuple((row["nip"], row["name"]) for row in rows), frozenset(correct), len(modules))


@dataclass
class Site:
    """A seeded database plus what a gunicorn instance needs to serve it."""

    app: Flask
    world: World
    env: dict[str, str]


@contextmanager
def seeded_site(database: Database, people: int, unread: int = 0) -> Iterator[Site]:
    """A freshly migrated database seeded for ``people``, a signing key and storage in a temp dir."""
    with fresh_app(database) as app:
        storage = Path(app.config["STORAGE_DIR"])
        keys = storage.parent / "keys"
        create_local_ca(keys, synthetic.INSTANSI, "BKPSDM Kabupaten Bench")
        note(f"seeding {people} people on {database.label}")
        with app.app_context():
            world = _seed(people, unread)
        _flush_redis()
        env = {"APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": database.url,
               "TRUSTED_HOSTS": "127.0.0.1", "REDIS_URL": REDIS_URL, "SESSION_COOKIE_SECURE": "0",
               "STORAGE_DIR": str(storage), "SIGNING_PKCS12_PATH": str(keys / "signing.p12"),
               "SIGNING_PKCS12_PASSWORD": (keys / "password").read_text(), "SIGNING_CA_PATH": str(keys / "ca.pem")}
        yield Site(app, world, env)


def _flush_redis() -> None:
    """Start from empty rate-limit counters and queue in the bench's own Redis database."""
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()


# --- gunicorn ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_shape() -> str:
    """Workers × threads as gunicorn.conf.py will choose them."""
    workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
    return f"{workers} workers × {os.environ.get('GUNICORN_THREADS', '2')} threads (gthread)"


@dataclass
class Server:
    url: str
    log_path: Path
    process: subprocess.Popen

    def stop(self) -> None:
        """Graceful stop (SIGTERM), so the access log is complete; safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)

    def requests(self) -> list[tuple[str, int, int]]:
        """(route key, status, server ms) of every request in gunicorn's JSON access log."""
        from .load_client import route_key

        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if not line.startswith('{"ts"'):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            found.append((route_key(entry["method"], entry["path"]), int(entry["status"]), int(entry["ms"])))
        return found


#: The tree whose code gunicorn serves: this one, or BENCH_APP_TREE (a worktree of another commit,
#: to measure old and new code with the same scenario).
APP_TREE = Path(os.environ.get("BENCH_APP_TREE") or ROOT)


@contextmanager
def gunicorn(target: str, env: dict[str, str], log_dir: Path, root: Path | None = None) -> Iterator[Server]:
    """``gunicorn -c gunicorn.conf.py <target>`` from ``root`` (default APP_TREE) on a free port, its
    access log kept for reading."""
    root = root or (APP_TREE if target.startswith("app:") else ROOT)
    port = _free_port()
    log_path = log_dir / f"access-{port}.log"
    full_env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "SITE_URL": f"http://127.0.0.1:{port}"}
    with open(log_path, "w") as log, open(log_dir / f"error-{port}.log", "w") as errors:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", target], cwd=root,
                                   env=full_env, stdout=log, stderr=errors)
        server = Server(f"http://127.0.0.1:{port}", log_path, process)
        try:
            _wait_until_up(process, server.url, log_dir / f"error-{port}.log")
            with _profiled(process.pid, target):
                yield server
        finally:
            server.stop()


@contextmanager
def job_worker(env: dict[str, str], log_dir: Path) -> Iterator[subprocess.Popen]:
    """``flask worker`` (RQ) beside gunicorn, as docs/deploy.md sets it up: one process at a lower
    CPU priority (nice 10), so people's requests come first and the PDFs catch up behind them."""
    full_env = {**os.environ, **env}
    with open(log_dir / "worker.log", "w") as log:
        process = subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "flask", "--app", "app", "worker"],
                                   cwd=APP_TREE, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            process.wait(60)


def drain_queue(timeout: float = 900) -> tuple[float, int]:
    """Wait until the worker has done every queued job: (seconds waited, failed jobs)."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from netral_learn.core.jobs import QUEUE_NAME

    connection = Redis.from_url(REDIS_URL)
    queue = Queue(QUEUE_NAME, connection=connection)
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if queue.count == 0 and StartedJobRegistry(queue=queue).count == 0:
            break
        time.sleep(0.2)
    return time.perf_counter() - started, FailedJobRegistry(queue=queue).count


@contextmanager
def _profiled(pid: int, target: str) -> Iterator[None]:
    """With BENCH_PYSPY=<folder>, py-spy samples every gunicorn worker into <folder>/<target>.txt
    (collapsed stacks: one line per stack and its sample count)."""
    folder = os.environ.get("BENCH_PYSPY")
    if not folder:
        yield
        return
    output = Path(folder) / f"{target.replace(':', '-')}-{pid}.txt"
    spy = subprocess.Popen(["py-spy", "record", "--subprocesses", "--pid", str(pid), "--format", "raw",
                            "--rate", "50", "--output", str(output)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def _wait_until_up(process: subprocess.Popen, url: str, error_log: Path) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=10)
            return
        except urllib.error.HTTPError:
            return  # it answers (the hello app has no /healthz)
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                raise RuntimeError(error_log.read_text()[-2000:])
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def results_dir(scenario: str) -> Path:
    """bench/results/<scenario>-<time>/ (ignored by git): gunicorn's access and error logs stay
    there after the run for a closer look."""
    folder = ROOT / "bench" / "results" / f"{scenario}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def unavailable_reasons(log_dir: Path) -> list[str]:
    """The app's 'service unavailable' (503) log lines, counted by part and error."""
    found: dict[str, int] = {}
    for path in log_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if '"fault"' in line:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                key = f"{entry.get('fault')}: {str(entry.get('error'))[:120]}"
                found[key] = found.get(key, 0) + 1
    return [f"{count}× {key}" for key, count in sorted(found.items(), key=lambda kv: -kv[1])]


# --- the client process --------------------------------------------------------------------

def in_client_process(factory, *args):
    """``asyncio.run(factory(*args))`` in a separate process; returns (result, its CPU seconds).

    ``factory`` must live in a module that imports nothing of the app (load_client, *_client):
    the client stays small, and a half-edited app file cannot break it in the middle of a run.
    """
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_coroutine, factory, args).result()


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def busy_since(start: tuple[int, int]) -> float:
    busy, total = machine_busy()
    return (busy - start[0]) / max(total - start[1], 1)


def hello_rate(env: dict[str, str], log_dir: Path, concurrency: int, seconds: float) -> tuple[float, int, int]:
    """Requests/s of a bare Flask 'hello' under the same gunicorn settings: how fast the machine is
    right now, to compare runs made at different moments. (rate, successful, errors)"""
    from .load_client import throughput

    with gunicorn("bench.hello_app:app", env, log_dir) as hello:
        note(f"bare Flask hello for {seconds:g} s at {concurrency} concurrent")
        (ok, errors, elapsed), _ = in_client_process(throughput, hello.url, "/", concurrency, seconds)
    return ok / elapsed if elapsed else 0.0, ok, errors


# --- results -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A p95 limit for a step, as the issue states it."""

    p95_ms: float
    text: str


@dataclass
class StepReport:
    """Per-step rows of the table, with gunicorn's own time (no queueing) beside the client's."""

    label: str
    recorder: Recorder
    server: list[tuple[str, int, int]] = field(default_factory=list)

    def server_p95(self, route: str | None) -> str:
        times = [ms for key, _, ms in self.server if key == route]
        return f"server p95 {percentile(times, 0.95):.0f} ms" if times else "server –"

    def rows(self, targets: dict[str, Target] | None = None) -> list[Measurement]:
        targets = targets or {}
        rows = []
        for step in sorted(set(self.recorder.latencies) | set(self.recorder.errors), key=self._order):
            times = [t * 1000 for t in self.recorder.latencies.get(step, [])]
            errors = self.recorder.errors.get(step, 0)
            detail = f"n={len(times)}, errors {errors}; {self.server_p95(self.recorder.routes.get(step))}"
            if not times:
                rows.append(Measurement(step, self.label, "no successful request", detail,
                                        targets[step].text if step in targets else "–",
                                        False if step in targets else None))
                continue
            p50, p95, p99 = (percentile(times, f) for f in (0.50, 0.95, 0.99))
            target = targets.get(step)
            rows.append(Measurement(step, self.label, f"p50 {p50:.0f} · p95 {p95:.0f} · p99 {p99:.0f} ms", detail,
                                    target.text if target else "–", (p95 < target.p95_ms) if target else None))
        return rows

    def _order(self, step: str) -> float:
        """Steps in the order people first reached them (recorders keep insertion order)."""
        names = list(self.recorder.routes)
        return names.index(step) if step in names else len(names)

    def error_total(self) -> int:
        return sum(self.recorder.errors.values())

    def server_errors(self) -> int:
        return sum(1 for _, status, _ in self.server if status >= 500)

    def error_messages(self) -> list[str]:
        return [m for messages in self.recorder.messages.values() for m in messages]


def add_arguments(parser, positive) -> None:
    """The load scenarios' options on the bench command line."""
    parser.add_argument("--people", type=positive, default=500,
                        help="simulated participants in quizstart and journey (default 500)")
    parser.add_argument("--concurrency", type=positive, default=50,
                        help="journey: clients in the page-vs-hello test (default 50)")
    parser.add_argument("--rate", type=float, default=60.0,
                        help="journey: people arriving per minute (default 60, i.e. 3,600 an hour; 0: all at once)")
    parser.add_argument("--pause", type=float, default=3.0,
                        help="journey: seconds a person stays on each page, ±50%% (default 3)")
    parser.add_argument("--think", type=float, default=10.0,
                        help="quizstart: seconds a person takes per question, ±50%% (default 10)")
    parser.add_argument("--first-people", type=positive, default=120,
                        help="firstviews: people walking the modules, per code version (default 120)")
    parser.add_argument("--first-concurrency", type=positive, default=20,
                        help="firstviews: people walking at the same time (default 20)")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="journey: measured seconds per server in the page-vs-hello test (default 15)")
