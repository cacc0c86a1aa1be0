"""The production files under deploy/ are accepted by the real tools (nginx -t, systemd-analyze
verify) and say what the app expects: upload size, static caching, proxy headers."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx not installed (Debian package nginx-light; make system-deps)")
def test_the_nginx_site_passes_nginx_t(tmp_path):
    """Does `nginx -t` accept the site file, included as Debian's nginx.conf includes sites?"""
    ssl = tmp_path / "ssl"
    ssl.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=uji",
                    "-keyout", ssl / "privkey.pem", "-out", ssl / "fullchain.pem"], check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "netral-learn.conf").read_text().replace("/etc/ssl/netral-learn", str(ssl))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_the_nginx_site_matches_the_app_settings():
    """Does nginx allow the same upload size as MAX_UPLOAD_MB, cache static files for a year, and
    overwrite (not append) X-Forwarded-For, as TRUSTED_PROXY_COUNT=1 expects?"""
    site = (DEPLOY / "nginx" / "netral-learn.conf").read_text()
    from netral_learn.config import load_settings

    settings = load_settings(Path("/tmp"), env={"SECRET_KEY": "x" * 40})
    assert re.search(r"client_max_body_size (\d+)m;", site).group(1) == str(settings["MAX_CONTENT_LENGTH"] // 2**20)
    assert "max-age=31536000, immutable" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "$proxy_add_x_forwarded_for" not in site
    assert re.search(r"server 127\.0\.0\.1:8000;", site)  # gunicorn.conf.py's default GUNICORN_BIND


def _units() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed (Debian package systemd)")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    """Does `systemd-analyze verify` accept every unit and timer without a warning, with the
    install folder pointing at this checkout (whose .venv has gunicorn and flask)?"""
    for unit in _units():
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/netral-learn", str(ROOT)))
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", *sorted(p.name for p in tmp_path.iterdir())],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_every_periodic_job_has_a_timer_and_runs_a_real_command():
    """Does each timer start a service of the same name whose command exists in `flask --help`?"""
    app = make_app(Path("/tmp/netral-deploy-files"))
    commands = set(app.cli.list_commands(None)) | {"db"}
    timers = sorted((DEPLOY / "systemd").glob("*.timer"))
    assert len(timers) >= 3
    for timer in timers:
        service = timer.with_suffix(".service")
        assert service.exists(), f"{timer.name} has no {service.name}"
        command = re.search(r"flask --app app (\S+)", service.read_text()).group(1)
        assert command in commands, f"{service.name} runs unknown command {command}"


def test_proxy_headers_are_trusted_only_when_configured(tmp_path):
    """With TRUSTED_PROXY_COUNT=1 is the client's address taken from X-Forwarded-For, and without it ignored?"""
    from flask import request

    for hops, expected in ((1, "203.0.113.9"), (0, "127.0.0.1")):
        app = make_app(tmp_path, env={"TRUSTED_PROXY_COUNT": str(hops)})
        app.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr or "")
        response = app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"},
                                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.get_data(as_text=True) == expected
