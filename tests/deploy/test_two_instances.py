"""Two gunicorn instances on one PostgreSQL + Redis + shared storage behave as one site."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from netral_learn.extensions import db
from netral_learn.quiz.models import Attempt

from ..conftest import TEST_SECRET
from ..factories import Factory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL) and Redis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_url() -> str:
    return os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def start_instance(app, port: int):
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": TEST_SECRET,
           "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "TRUSTED_HOSTS": "127.0.0.1",
           "REDIS_URL": redis_url(), "SESSION_COOKIE_SECURE": "0", "GUNICORN_WORKERS": "1",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "STORAGE_DIR": app.config["STORAGE_DIR"],
           "SIGNING_PKCS12_PATH": app.config["SIGNING_PKCS12_PATH"],
           "SIGNING_PKCS12_PASSWORD": app.config["SIGNING_PKCS12_PASSWORD"],
           "SIGNING_CA_PATH": app.config["SIGNING_CA_PATH"], "SITE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
            return process
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-2000:])
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


class Browser:
    """A cookie-keeping HTTP client that can post forms with their CSRF token."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def post(self, url: str, fields: dict, token_from: str) -> tuple[int, str]:
        _, page = self.get(token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}, doseq=True).encode()
        try:
            with self.opener.open(urllib.request.Request(url, data=data), timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")


def test_one_journey_across_two_instances(app, factory):
    """Log in on A, read on B, start the quiz on B and submit on A, sign on B, download on A."""
    tree = factory.tree()
    version = factory.course(modules=1)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=6)
    factory.quiz_settings(program, question_count=3)
    factory.pact_template()
    person = factory.person(tree["a1"], name="Budi Santoso")
    a_port, b_port = free_port(), free_port()
    processes = [start_instance(app, a_port), start_instance(app, b_port)]
    try:
        a, b = f"http://127.0.0.1:{a_port}", f"http://127.0.0.1:{b_port}"
        browser = Browser()
        status, _ = browser.post(f"{a}/masuk", {"nip": person.nip, "password": Factory.PASSWORD}, f"{a}/masuk")
        assert status == 200
        status, home = browser.get(f"{b}/")
        assert status == 200 and "Budi Santoso" in home  # the session is shared, not per process
        assert browser.get(f"{b}/program/{program}/modul/1")[0] == 200
        assert browser.post(f"{a}/program/{program}/modul/1/selesai", {}, f"{a}/program/{program}/modul/1")[0] == 200
        status, page = browser.post(f"{b}/program/{program}/kuis/mulai", {}, f"{b}/program/{program}/kuis")
        assert status == 200
        with app.app_context():
            attempt = db.session.query(Attempt).one()
            answers = {f"q-{q.id}": [str(x) for x in q.snapshot["correct"]] for q in attempt.questions}
            attempt_url = f"/program/{program}/kuis/{attempt.id}"
        status, result = browser.post(f"{a}{attempt_url}/kirim", answers, f"{b}{attempt_url}")
        assert status == 200 and "Selamat, Anda lulus" in result
        status, signed = browser.post(f"{b}/program/{program}/pakta",
                                      {"typed_name": "Budi Santoso", "password": Factory.PASSWORD, "agree": ["0", "1"]},
                                      f"{a}/program/{program}/pakta")
        assert status == 200 and "berhasil ditandatangani" in signed
        with browser.opener.open(f"{a}/program/{program}/sertifikat.pdf", timeout=60) as response:
            assert response.headers["Content-Type"] == "application/pdf" and response.read(5) == b"%PDF-"
        assert browser.get(f"{a}/readyz")[1].count('"up"') == 2  # database and Redis
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
