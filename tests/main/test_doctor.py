"""`flask doctor`: green on a working installation, and a clear message for each part broken on purpose."""
from __future__ import annotations

import datetime
import json
import os
import re
from types import SimpleNamespace

import pytest

from netral_learn.config import site_url
from netral_learn.core import clock
from netral_learn.main import doctor
from netral_learn.pact.keys import create_local_ca
from tests.conftest import make_app
from tests.deploy.servers import free_port


def _failures(app) -> dict[str, str]:
    """check name → message + fix of each failed check."""
    return {f.check: f"{f.message} {f.fix}" for f in doctor.run_checks(app) if not f.ok}


def _doctor(app, *args):
    return app.test_cli_runner().invoke(args=["doctor", *args])


def test_a_working_installation_passes(app):
    """On a migrated database with a signing key and fonts, does every check pass with exit code 0?"""
    result = _doctor(app)
    assert result.exit_code == 0, result.output
    assert "Semua pemeriksaan lulus." in result.output
    report = json.loads(_doctor(app, "--json").output)
    assert report["ok"] is True
    assert {c["check"] for c in report["checks"]} >= {"pengaturan", "basis data", "redis", "penyimpanan",
                                                      "kunci tanda tangan", "email", "jam", "huruf PDF"}


def test_an_unmigrated_database_is_named_with_the_command_to_run(tmp_path):
    """Does a database without the schema fail with exit 1 and tell to run `flask db upgrade`?"""
    fresh = make_app(tmp_path, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'kosong.db'}"})
    result = _doctor(fresh)
    assert result.exit_code == 1
    assert "[GAGAL] basis data: terhubung, tetapi skemanya belum dibuat." in result.output
    assert "flask db upgrade" in result.output
    assert json.loads(_doctor(fresh, "--json").output)["ok"] is False


def test_an_unreachable_database_is_reported(tmp_path):
    """Is a PostgreSQL server that does not answer reported as unreachable, with what to check?"""
    broken = make_app(tmp_path, env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/tidak_ada"})
    failures = _failures(broken)
    assert "tidak dapat dihubungi" in failures["basis data"]
    assert "DATABASE_URL" in failures["basis data"]


def test_an_unreachable_redis_is_reported(app, monkeypatch):
    """With REDIS_URL set to a port where nothing listens, does the Redis check fail?"""
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    failures = _failures(app)
    assert "tidak menjawab" in failures["redis"]


def test_storage_that_cannot_be_written_is_reported(app, monkeypatch, tmp_path):
    """Is a STORAGE_DIR that cannot be created or written named, with the fix?"""
    blocker = tmp_path / "berkas"
    blocker.write_text("bukan folder")
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(blocker / "storage"))
    assert "tidak dapat ditulisi" in _failures(app)["penyimpanan"]


def test_several_app_servers_need_shared_storage(app, monkeypatch, tmp_path):
    """With APP_SERVERS=2 and STORAGE_DIR on a local disk, does the storage check fail?"""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setitem(app.config, "APP_SERVERS", 2)
    assert doctor.filesystem_type(tmp_path) not in doctor.SHARED_FILESYSTEMS
    assert "penyimpanan bersama" in _failures(app)["penyimpanan"]


def test_a_missing_signing_key_is_reported(app, monkeypatch, tmp_path):
    """Is a SIGNING_PKCS12_PATH that points nowhere reported with `flask keys init` as the fix?"""
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PATH", str(tmp_path / "tidak-ada.p12"))
    failure = _failures(app)["kunci tanda tangan"]
    assert "tidak ada" in failure and "flask keys init" in failure


def test_a_wrong_key_password_is_reported(app, monkeypatch):
    """Is a wrong SIGNING_PKCS12_PASSWORD reported as such?"""
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PASSWORD", "salah")
    assert "kata sandi salah" in _failures(app)["kunci tanda tangan"]


def test_a_key_from_another_ca_is_reported(app, monkeypatch, tmp_path):
    """Is a signing certificate that the configured CA did not issue refused (signatures would not verify)?"""
    other = create_local_ca(tmp_path / "lain", "Instansi Lain", "Penanda Tangan Lain")
    monkeypatch.setitem(app.config, "SIGNING_CA_PATH", str(other.ca))
    assert "tidak diterbitkan oleh CA" in _failures(app)["kunci tanda tangan"]


def test_a_certificate_near_its_end_and_an_expired_one_are_reported(app):
    """Ten days before the signing certificate ends, and a day after, does the check fail and say so?"""
    from cryptography.hazmat.primitives.serialization import pkcs12

    with app.app_context():
        from netral_learn.pact.keys import key_paths

        paths = key_paths()
    _key, cert, _ = pkcs12.load_key_and_certificates(paths.pkcs12.read_bytes(), paths.password)
    clock.freeze(cert.not_valid_after_utc - datetime.timedelta(days=10))
    assert "kurang dari 30 hari" in _failures(app)["kunci tanda tangan"]
    clock.freeze(cert.not_valid_after_utc + datetime.timedelta(days=1))
    assert "sudah kedaluwarsa" in _failures(app)["kunci tanda tangan"]


def test_smtp_is_checked_against_a_real_mail_server(app, monkeypatch):
    """With reminders by e-mail on: a real SMTP server (aiosmtpd) passes; a closed port fails."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_FROM": "bkpsdm@example.go.id",
                           "SMTP_TLS": "none"}.items():
            monkeypatch.setitem(app.config, key, value)
        assert "email" not in _failures(app)
    finally:
        controller.stop()
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    assert "tidak dapat dipakai" in _failures(app)["email"]


@pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or os.environ.get("REDIS_TEST_URL")),
                    reason="needs another server's clock: PostgreSQL (TEST_DATABASE_URL) or Redis (REDIS_TEST_URL)")
def test_a_drifting_clock_is_reported(app, monkeypatch):
    """When this server's clock is an hour ahead of the database or Redis server, does the check fail?"""
    if not os.environ.get("TEST_DATABASE_URL"):
        monkeypatch.setitem(app.config, "REDIS_URL", os.environ["REDIS_TEST_URL"])
    clock.freeze(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    seconds = int(re.search(r"berbeda (\d+) detik", _failures(app)["jam"]).group(1))
    assert 3500 < seconds < 3700


def test_missing_pdf_fonts_are_reported(app, monkeypatch, tmp_path):
    """Without the shipped DejaVu files, does the font check fail and name them?"""
    from netral_learn.core import pdf

    monkeypatch.setattr(pdf, "FONT_DIR", tmp_path)
    assert "DejaVuSans.ttf" in _failures(app)["huruf PDF"]


def _settings(**config):
    base = {"APP_ENV": "production", "SITE_URL": "https://netral.paserkab.go.id",
            "TRUSTED_HOSTS": ["netral.paserkab.go.id"], "SESSION_COOKIE_SECURE": True,
            "REDIS_URL": "redis://127.0.0.1:6379/0"}
    base.update(config)
    return [f for f in doctor.check_settings(SimpleNamespace(config=base)) if not f.ok]


def test_production_settings_are_checked():
    """In production: does a sane setup pass, and do http, an untrusted host and no Redis each fail?"""
    assert _settings() == []
    assert "https" in _settings(SITE_URL="http://netral.paserkab.go.id")[0].message
    assert "TRUSTED_HOSTS" in _settings(TRUSTED_HOSTS=["lain.go.id"])[0].message
    assert "REDIS_URL" in _settings(REDIS_URL="")[0].message
    assert "0.0.0.0" in _settings(APP_ENV="development", SITE_URL="http://0.0.0.0:5000")[0].message


def test_site_url_follows_the_chosen_host_and_port():
    """Without SITE_URL, do slips and QR codes point at the HOST and PORT the server listens on?"""
    assert site_url({}) == "http://127.0.0.1:5000"
    assert site_url({"PORT": "8080"}) == "http://127.0.0.1:8080"
    assert site_url({"HOST": "10.1.2.3", "PORT": "80"}) == "http://10.1.2.3"
    assert site_url({"HOST": "0.0.0.0", "PORT": "8080"}).endswith(":8080")
    assert "0.0.0.0" not in site_url({"HOST": "0.0.0.0"})
    assert site_url({"SITE_URL": "https://netral.example.go.id/", "PORT": "8080"}) == "https://netral.example.go.id"


def test_the_verification_qr_link_uses_the_chosen_port(tmp_path):
    """Started on PORT=8123 without SITE_URL, does a certificate's verification link carry that port?"""
    from netral_learn.certificates.services import verify_url

    env = {"PORT": "8123", "SITE_URL": ""}
    started = make_app(tmp_path, env=env)
    with started.app_context():
        assert verify_url("ABCD").startswith("http://127.0.0.1:8123/verifikasi/")
