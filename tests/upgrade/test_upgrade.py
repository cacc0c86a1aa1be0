"""Upgrading a real old database: made by the first release that issued certificates, upgraded by
`flask db upgrade` to today's schema, and its signed documents still verify."""
from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from netral_learn.accounts.models import Person
from netral_learn.certificates import services as certificates
from netral_learn.certificates.models import Certificate
from netral_learn.extensions import db
from netral_learn.main import doctor
from netral_learn.pact import document, services as pact
from netral_learn.pact.models import PactSignature
from tests.conftest import make_app

#: Made by tests/upgrade/make_fixture.sh from commit cc9dd8f (schema at migration f28518b1774a).
FIXTURE = Path(__file__).with_name("fixture-cc9dd8f.tar.gz")

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="the old release's database is SQLite; PostgreSQL upgrades: test_migrations")


@pytest.fixture
def old_instance(tmp_path):
    """The old release's database, stored files and signing key, unpacked, under an app of today."""
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    keys = tmp_path / "keys"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'netral_learn.db'}", "STORAGE_DIR": str(tmp_path / "storage"),
           "SIGNING_PKCS12_PATH": str(keys / "signing.p12"), "SIGNING_CA_PATH": str(keys / "ca.pem"),
           "SIGNING_PKCS12_PASSWORD": (keys / "password").read_text()}
    app = make_app(tmp_path, env=env)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_first_release_database_upgrades_and_its_documents_still_verify(old_instance, tmp_path):
    """After `flask db upgrade` from the 23 November schema: are the people, the signed pact and the
    certificate there, does `flask doctor` see the newest schema, and do the pact PDF (pdfsig and
    our check) and the certificate still verify on the public page?"""
    app = old_instance
    with app.app_context():
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(Person)) >= 2
        signature = db.session.scalars(select(PactSignature)).one()
        certificate = db.session.scalars(select(Certificate)).one()
        pact_pdf = pact.pdf_bytes(signature)
        assert document.sha256_hex(pact_pdf) == signature.pdf_sha256
        assert document.check_pdf_signatures(pact_pdf).all_valid
        certificate_pdf = certificates.pdf_path(certificates.ensure_pdf(certificate)).read_bytes()
        db.session.commit()
        pact_code, certificate_code = signature.verify_code, certificate.verify_code
    assert [f for f in doctor.check_database(app) if not f.ok] == []
    (tmp_path / "pakta.pdf").write_bytes(pact_pdf)
    assert "Signature is Valid" in subprocess.run(["pdfsig", str(tmp_path / "pakta.pdf")],
                                                  capture_output=True, text=True).stdout

    public = app.test_client()
    for code, pdf in ((pact_code, pact_pdf), (certificate_code, certificate_pdf)):
        assert "ASLI" in public.get(f"/verifikasi/{code}").get_data(as_text=True)
        answer = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(pdf), "dokumen.pdf")},
                             content_type="multipart/form-data").get_data(as_text=True)
        assert 'data-verdict="ASLI"' in answer and "TIDAK ASLI" not in answer
