"""Real servers for deploy tests and the faults bench: gunicorn in production mode, a throwaway
Redis, and a cookie-keeping HTTP client. Imports nothing from pytest, so ``bench`` can use it."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """Start ``args`` with stderr in a file (``process.log``): a pipe nobody reads would fill up
    and block the server once it logs enough."""
    log = Path(tempfile.mkstemp(prefix="netral-server-", suffix=".log")[1])
    with log.open("wb") as stderr:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr, **kwargs)
    process.log = log
    return process


def log_of(process: subprocess.Popen) -> str:
    return process.log.read_text(errors="replace")


def _wait_until(check, process: subprocess.Popen, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped: " + log_of(process)[-2000:])
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{what} did not start")


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=10)
        return True
    except (urllib.error.URLError, OSError):
        return False


#: Settings a production instance takes from the app the test (or bench) prepared.
SHARED_SETTINGS = ("STORAGE_DIR", "SIGNING_PKCS12_PATH", "SIGNING_PKCS12_PASSWORD", "SIGNING_CA_PATH")


def production_env(config, *, database_url: str, secret_key: str, redis_url: str | None = None,
                   **extra_env: str) -> dict[str, str]:
    """The environment of a production process sharing storage and signing key with ``config``."""
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": secret_key, "DATABASE_URL": database_url,
           "TRUSTED_HOSTS": "127.0.0.1", "SESSION_COOKIE_SECURE": "0",
           **{name: config[name] for name in SHARED_SETTINGS}, **extra_env}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_instance(port: int, config, **settings) -> subprocess.Popen:
    """One gunicorn (1 worker) on ``port`` in production mode sharing storage and signing key
    with ``config`` (a Flask config); returns once /healthz answers. ``settings``: production_env's."""
    env = production_env(config, GUNICORN_WORKERS="1", GUNICORN_BIND=f"127.0.0.1:{port}",
                         SITE_URL=f"http://127.0.0.1:{port}", **settings)
    process = _spawn([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT, env=env)
    _wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), process, "gunicorn")
    return process


def run_worker_burst(config, **settings) -> str:
    """``flask worker --burst`` in production mode: do the queued jobs, stop; returns its log."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"], cwd=ROOT,
                            env=production_env(config, **settings), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"flask worker failed: {result.stderr[-2000:]}")
    return result.stderr


def stop(process: subprocess.Popen) -> None:
    """Terminate and reap the process, and remove its log."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    process.log.unlink(missing_ok=True)


class ThrowawayRedis:
    """A Redis server of our own on a free port, without persistence, that can be stopped and
    started again on the same port (a Redis outage and its return)."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "ThrowawayRedis":
        self.process = _spawn(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        _wait_until(self._pings, self.process, "redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)
        self.process = None

    def client(self):
        from redis import Redis

        return Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)

    def _pings(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:  # noqa: BLE001 - not up yet
            return False


class Browser:
    """A cookie-keeping HTTP client that can post forms with their CSRF token."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, url: str, data: bytes | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
        """(status, headers, body) also for error statuses."""
        try:
            with self.opener.open(urllib.request.Request(url, data=data), timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get(self, url: str) -> tuple[int, str]:
        status, _, body = self.open(url, timeout=30)
        return status, body.decode("utf-8", "replace")

    def post(self, url: str, fields: dict, token_from: str) -> tuple[int, str]:
        _, page = self.get(token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}, doseq=True).encode()
        status, _, body = self.open(url, data)
        return status, body.decode("utf-8", "replace")
