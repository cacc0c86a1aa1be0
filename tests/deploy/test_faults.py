"""Faults: the database drops its connections, Redis goes away, the disk fills up while a PDF is
written. Each request fails with the clear 503 page (or still works), nothing half-written stays,
and the app recovers by itself once the part is back."""
from __future__ import annotations

import errno
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc as sa_exc, text

from netral_learn.accounts import services as account_services
from netral_learn.accounts.models import Role
from netral_learn.certificates.models import Certificate
from netral_learn.config import normalize_database_url
from netral_learn.core import cache, faults, storage
from netral_learn.courses import services as course_services
from netral_learn.courses.models import Enrollment
from netral_learn.extensions import db
from netral_learn.pact import services as pact_services
from netral_learn.pact.models import PactSignature

from ..certificates.test_certificates import sign
from ..factories import Factory
from ..pact.test_signing import pass_quiz, sign_form, world  # noqa: F401 - fixture
from ..pledge.test_pledge import open_event
from .conftest import needs_postgres, start_test_instance
from .servers import Browser, ThrowawayRedis, free_port, log_of, stop

CLEAR_PAGE = "Layanan sedang terganggu sebentar"


def assert_clear_503(status: int, body: str, headers=None) -> None:
    assert status == 503, status
    assert CLEAR_PAGE in body and "Traceback" not in body
    if headers is not None:
        assert int(headers["Retry-After"]) > 0


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def stored_files(app) -> set[Path]:
    """Every file in storage (earlier tests leave theirs: compare before and after)."""
    return files_under(Path(app.config["STORAGE_DIR"]))


# --- the page --------------------------------------------------------------------------------

def test_database_outage_gives_the_clear_page_as_html_and_json(app, client, factory, login_as, monkeypatch, caplog):
    """When the database drops the connection while the logged-in person is loaded, does the
    person get a 503 page in Indonesian with Retry-After (JSON for /api/), and a log line?"""
    login_as(factory.person(factory.unit()))

    def lost(token, person_id=None):
        raise sa_exc.OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(account_services, "load_session", lost)
    monkeypatch.setattr(faults.logger, "disabled", False)  # alembic's fileConfig disabled it in this process
    response = client.get("/")
    assert_clear_503(response.status_code, response.get_data(as_text=True), response.headers)
    assert response.headers["Cache-Control"] == "no-store"
    assert any(getattr(r, "fault", None) == "database" and r.path == "/" for r in caplog.records)
    api = client.get("/api/v1/apa-saja")
    assert api.status_code == 503 and api.is_json and CLEAR_PAGE in api.json["error"]
    monkeypatch.undo()
    assert client.get("/").status_code == 200  # the part is back: the same session works again


def test_a_pool_timeout_is_the_503_page(app, client, factory, login_as, monkeypatch):
    """When no pooled connection comes free in time (a burst beyond the pool), is the answer the
    'try again shortly' 503 page rather than a 500?"""
    login_as(factory.person(factory.unit()))

    def pool_exhausted(person):
        raise sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30")

    monkeypatch.setattr(course_services, "programs_for", pool_exhausted)
    response = client.get("/")
    assert_clear_503(response.status_code, response.get_data(as_text=True), response.headers)


def test_other_errors_stay_a_logged_500(app, client, factory, login_as, monkeypatch):
    """Is a plain bug (or a missing file) still a 500, not disguised as a brief outage?"""
    login_as(factory.person(factory.unit()))

    def missing(person):
        raise FileNotFoundError(errno.ENOENT, "hilang")

    monkeypatch.setattr(course_services, "programs_for", missing)
    response = client.get("/")
    assert response.status_code == 500 and CLEAR_PAGE not in response.get_data(as_text=True)


def test_cache_falls_back_when_redis_is_unreachable(app, monkeypatch):
    """Does the shared cache answer from this process when Redis does not answer?"""
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    calls = []
    with app.app_context():
        for _ in range(2):
            assert cache.cached_json("uji-redis-mati", 60, lambda: calls.append(1) or {"n": 1}) == {"n": 1}
    assert len(calls) == 1


# --- disk full while a PDF is written ----------------------------------------------------------

def disk_full_after(limit: int):
    """A stand-in for storage._write_fully that really writes ``limit`` bytes, then fails as a
    full disk does."""
    real = storage._write_fully

    def write(fd: int, data: bytes) -> None:
        real(fd, data[:limit])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write


@pytest.fixture
def certified(app, world):
    """The learner has signed; the certificate is issued but its PDF not rendered yet."""
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
    return world


def certificate_state(app) -> str | None:
    with app.app_context():
        return db.session.query(Certificate).one().pdf_path


def test_disk_full_while_rendering_a_certificate(app, client, certified, login_as, monkeypatch):
    """Disk full during the first download: a clear page, no partial file, the certificate still
    unrendered; once space returns the next download renders and serves it."""
    login_as(certified["learner"])
    url = f"/program/{certified['program']}/sertifikat.pdf"
    before = stored_files(app)
    monkeypatch.setattr(storage, "_write_fully", disk_full_after(4096))
    response = client.get(url)
    assert_clear_503(response.status_code, response.get_data(as_text=True), response.headers)
    assert stored_files(app) == before and certificate_state(app) is None
    monkeypatch.undo()
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert len(stored_files(app) - before) == 1


def test_disk_full_while_storing_the_signed_pact_pdf(app, client, world, login_as, monkeypatch):
    """Disk full while the signed pact PDF is stored (at its first download, outside the signing
    transaction): a clear 503, no file left behind, the signature kept without a PDF; the download
    works once space returns."""
    with app.test_request_context():
        pass_quiz(world["learner"].id, world["program"])
    login_as(world["learner"])
    url = f"/program/{world['program']}/pakta"
    assert client.post(url, data=sign_form()).status_code == 302
    before = stored_files(app)
    monkeypatch.setattr(storage, "_write_fully", disk_full_after(1000))
    response = client.get(f"{url}.pdf")
    assert_clear_503(response.status_code, response.get_data(as_text=True), response.headers)
    assert stored_files(app) == before
    with app.app_context():
        assert db.session.query(PactSignature).one().pdf_path is None
    monkeypatch.undo()
    assert client.get(f"{url}.pdf").data.startswith(b"%PDF")
    with app.app_context():
        assert db.session.query(PactSignature).one().pdf_path is not None


def assert_unsigned(app, files_before: set[Path]) -> None:
    """No signature row, the step not done, no file left behind."""
    with app.app_context():
        assert db.session.query(PactSignature).count() == 0
        assert db.session.query(Enrollment).one().pact_signed_at is None
    assert stored_files(app) == files_before


@pytest.fixture
def small_filesystem():
    """A 256 KiB tmpfs (needs root, or CAP_SYS_ADMIN, to mount)."""
    folder = Path(tempfile.mkdtemp(prefix="netral-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here: {(mounted.stderr or 'mount failed').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        folder.rmdir()


def test_a_really_full_filesystem(app, client, certified, login_as, monkeypatch, small_filesystem):
    """On a real filesystem with 4 KiB left, is the download refused cleanly and served once
    space is freed, without restarting anything?"""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(small_filesystem))
    filler = small_filesystem / "filler"
    stat = os.statvfs(small_filesystem)
    filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 4096))
    login_as(certified["learner"])
    url = f"/program/{certified['program']}/sertifikat.pdf"
    response = client.get(url)
    assert_clear_503(response.status_code, response.get_data(as_text=True), response.headers)
    assert files_under(small_filesystem) == {filler} and certificate_state(app) is None
    filler.unlink()
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")


# --- PostgreSQL: connections killed ------------------------------------------------------------

def kill_backends(condition: str, **params) -> int:
    """pg_terminate_backend for the matching sessions (what a PostgreSQL restart does to a pool)."""
    engine = create_engine(normalize_database_url(os.environ["TEST_DATABASE_URL"]))
    with engine.begin() as connection:
        killed = connection.execute(text(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {condition}"), params).scalar()
    engine.dispose()
    return killed


@needs_postgres
def test_connection_killed_mid_signing_leaves_nothing(app, client, world, login_as, monkeypatch):
    """The database connection dies after the signature row is written but before the commit: a
    clear page, no signature row, no PDF file; the next attempt signs normally."""
    with app.test_request_context():
        pass_quiz(world["learner"].id, world["program"])
    login_as(world["learner"])
    complete = pact_services._complete

    def complete_then_lose_connection(enrollment, now):
        complete(enrollment, now)
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        kill_backends("pid = :pid", pid=pid)

    monkeypatch.setattr(pact_services, "_complete", complete_then_lose_connection)
    url = f"/program/{world['program']}/pakta"
    before = stored_files(app)
    response = client.post(url, data=sign_form())
    assert_clear_503(response.status_code, response.get_data(as_text=True), response.headers)
    assert_unsigned(app, before)
    monkeypatch.undo()
    assert client.post(url, data=sign_form()).status_code == 302


@pytest.fixture(scope="module")
def site(app):
    """One production gunicorn with its own Redis, whose PostgreSQL sessions carry a name."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    if not ThrowawayRedis.available():
        pytest.skip("needs redis-server")
    redis = ThrowawayRedis().start()
    port = free_port()
    name = f"netral-faults-{port}"
    process = start_test_instance(app, port, redis=redis.url, PGAPPNAME=name, GUNICORN_THREADS="4")
    try:
        yield {"url": f"http://127.0.0.1:{port}", "redis": redis, "appname": name, "process": process}
    finally:
        stop(process)
        redis.stop()


def logged_in(site, person) -> Browser:
    browser = Browser()
    status, page = browser.post(f"{site['url']}/masuk", {"nip": person.nip, "password": Factory.PASSWORD},
                                f"{site['url']}/masuk")
    assert status == 200 and "Keluar" in page
    return browser


def test_gunicorn_recovers_after_its_database_connections_are_killed(app, factory, site):
    """While requests stream in, every PostgreSQL session of the server is terminated, twice:
    each request either succeeds or gets the clear page, and the ones after succeed."""
    person = factory.person(factory.unit())
    browsers = [logged_in(site, person) for _ in range(3)]
    results, stop_at = [], time.monotonic() + 3

    def stream(browser):
        while time.monotonic() < stop_at:
            status, _, body = browser.open(f"{site['url']}/", timeout=30)
            results.append((status, body.decode("utf-8", "replace")))

    threads = [threading.Thread(target=stream, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    killed = 0
    for _ in range(2):
        time.sleep(0.8)
        killed += kill_backends("application_name = :name", name=site["appname"])
    for thread in threads:
        thread.join()
    assert killed >= 1 and results
    for status, body in results:
        assert status == 200 or (status == 503 and CLEAR_PAGE in body), log_of(site["process"])[-4000:]
    for browser in browsers:
        assert browser.get(f"{site['url']}/")[0] == 200


def test_redis_down_and_back(app, factory, client, world, site):
    """Redis stops: login, a learner page, the pledge screen, verification and readiness keep
    working (limits and cache in the process); Redis returns on the same port: they use it again."""
    redis, url = site["redis"], site["url"]
    code = open_event(app, client, factory, world)
    learner = world["learner"]

    def visit() -> None:
        browser = logged_in(site, learner)
        assert browser.get(f"{url}/")[0] == 200
        assert browser.get(f"{url}/program/{world['program']}/modul/1")[0] == 200
        assert browser.get(f"{url}/ikrar/{code}")[0] == 200
        assert browser.post(f"{url}/verifikasi/TIDAK-ADA", {}, f"{url}/verifikasi/TIDAK-ADA")[0] == 404

    visit()
    assert redis.client().keys("netral:cache:pledge:*") and redis.client().keys("LIMITS*")
    redis.stop()
    visit()
    assert Browser().get(f"{url}/readyz")[1].count('"down"') == 1  # degraded, still serving (200)
    redis.start()
    assert '"redis":"up"' in Browser().get(f"{url}/readyz")[1].replace(" ", "")
    visit()
    assert redis.client().keys("netral:cache:pledge:*")  # the cache is shared again
    deadline = time.monotonic() + 20  # the limiter re-checks its storage with a growing back-off
    while not redis.client().keys("LIMITS*") and time.monotonic() < deadline:
        time.sleep(1)
        Browser().post(f"{url}/verifikasi/TIDAK-ADA", {}, f"{url}/verifikasi/TIDAK-ADA")
    assert redis.client().keys("LIMITS*"), "rate limits did not return to Redis"
