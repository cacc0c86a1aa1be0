"""Backup and restore: a round trip gives the same verification answers; a broken archive is
refused with a clear message and nothing half-restored."""
from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from netral_learn.certificates import services as certificates
from netral_learn.certificates.models import Certificate
from netral_learn.config import normalize_database_url
from netral_learn.extensions import db
from netral_learn.pact import services as pact
from netral_learn.pact.models import PactSignature
from tests.certificates.test_certificates import sign
from tests.conftest import make_app
from tests.pact.test_signing import world  # noqa: F401 - fixture


@pytest.fixture
def documents(app, world):  # noqa: F811 - the imported fixture
    """A signed pact and its certificate, both with their PDFs stored: {code: pdf bytes}."""
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
        signature = pact.ensure_pdf(db.session.query(PactSignature).one())  # made at first download
        certificate = certificates.ensure_pdf(db.session.query(Certificate).one())
        db.session.commit()
        return {signature.verify_code: pact.pdf_bytes(signature),
                certificate.verify_code: certificates.pdf_path(certificate).read_bytes()}


@pytest.fixture
def empty_instance(app, tmp_path):
    """A new, empty installation (its own database and storage; the instansi's signing key, which
    is kept apart from backups) to restore into."""
    url = os.environ.get("TEST_DATABASE_URL")
    env = {"STORAGE_DIR": str(tmp_path / "storage"),
           **{name: app.config[name] for name in ("SIGNING_PKCS12_PATH", "SIGNING_PKCS12_PASSWORD", "SIGNING_CA_PATH")}}
    if url:
        admin = create_engine(normalize_database_url(url).rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = normalize_database_url(url).rsplit("/", 1)[1] + "_restore"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.db'}"
    instance = make_app(tmp_path, env=env)
    yield instance
    with instance.app_context():
        db.engine.dispose()
    if url:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["backup", *args])


def _verdicts(app, documents) -> dict[str, tuple[str, str]]:
    """For each document: the verification page's words, and the answer to uploading the PDF."""
    public = app.test_client()
    answers = {}
    for code, pdf in documents.items():
        page = public.get(f"/verifikasi/{code}")
        upload = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(pdf), "dokumen.pdf")},
                             content_type="multipart/form-data")
        answers[code] = (page.status_code, "ASLI" in page.get_data(as_text=True),
                         'data-verdict="ASLI"' in upload.get_data(as_text=True))
    return answers


def test_a_round_trip_gives_the_same_verification_answers(app, documents, empty_instance, tmp_path):
    """Backup, restore onto an empty instance: do every document and the audit chain check out, and
    does the verification page answer exactly as before for the same files?"""
    before = _verdicts(app, documents)
    assert all(answer == (200, True, True) for answer in before.values())
    archive = tmp_path / "cadangan.tar.gz"
    created = _cli(app, "create", "--output", str(archive))
    assert created.exit_code == 0, created.output
    assert "Cadangan dibuat" in created.output
    verified = _cli(app, "verify", str(archive))
    assert verified.exit_code == 0 and "Arsip utuh" in verified.output

    restored = _cli(empty_instance, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "2 dokumen diperiksa" in restored.output and "rantai audit utuh" in restored.output
    assert _verdicts(empty_instance, documents) == before


def test_an_encrypted_backup_needs_its_key(app, documents, empty_instance, tmp_path):
    """With --key-file the archive is age-encrypted: does it restore with that key, and is it
    refused (nothing restored) without a key or with another one?"""
    key, other = tmp_path / "kunci.txt", tmp_path / "lain.txt"
    assert _cli(app, "keygen", str(key)).exit_code == 0
    assert _cli(app, "keygen", str(other)).exit_code == 0
    archive = tmp_path / "cadangan.age"
    assert _cli(app, "create", "--output", str(archive), "--key-file", str(key), "--with-keys").exit_code == 0
    assert archive.read_bytes().startswith(b"age-encryption.org/v1")
    assert b"DejaVu" not in archive.read_bytes()  # PDFs (fonts embedded) are not readable inside

    refused = _cli(empty_instance, "restore", str(archive))
    assert refused.exit_code != 0 and "terenkripsi" in refused.output
    wrong = _cli(empty_instance, "restore", str(archive), "--key-file", str(other))
    assert wrong.exit_code != 0 and "kunci salah" in wrong.output
    restored = _cli(empty_instance, "restore", str(archive), "--key-file", str(key))
    assert restored.exit_code == 0, restored.output
    assert (Path(empty_instance.instance_path) / "keys-from-backup" / "signing.p12").exists()
    assert _verdicts(empty_instance, documents) == _verdicts(app, documents)


def test_signing_keys_are_never_stored_unencrypted(app, tmp_path):
    """Is --with-keys without --key-file refused, leaving no archive?"""
    archive = tmp_path / "cadangan.tar.gz"
    result = _cli(app, "create", "--output", str(archive), "--with-keys")
    assert result.exit_code != 0 and "arsip terenkripsi" in result.output
    assert not archive.exists()


def _restore_refused(instance, archive: Path, words: str) -> None:
    result = _cli(instance, "restore", str(archive))
    assert result.exit_code != 0
    assert "tidak ada yang diubah" in result.output and words in result.output, result.output
    with instance.app_context():
        from netral_learn.backup.services import target_is_empty

        assert target_is_empty()


def test_a_truncated_archive_is_refused_and_nothing_is_restored(app, documents, empty_instance, tmp_path):
    """Is an archive cut short refused by verify and by restore, with the target left empty?"""
    archive = tmp_path / "cadangan.tar.gz"
    assert _cli(app, "create", "--output", str(archive)).exit_code == 0
    cut = tmp_path / "terpotong.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    verified = _cli(app, "verify", str(cut))
    assert verified.exit_code != 0 and "DITOLAK" in verified.output
    _restore_refused(empty_instance, cut, "terpotong")


def test_an_altered_archive_is_refused_and_nothing_is_restored(app, documents, empty_instance, tmp_path):
    """When a stored PDF inside the archive is swapped (the manifest left as it was), is the archive
    refused, naming the file, with nothing restored?"""
    archive = tmp_path / "cadangan.tar.gz"
    assert _cli(app, "create", "--output", str(archive)).exit_code == 0
    altered = tmp_path / "diubah.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(altered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("storage/pacts/"):
                data = data.replace(b"%%EOF", b"%%EOF\n% ditambah")
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    verified = _cli(app, "verify", str(altered))
    assert verified.exit_code != 0 and "isi berbeda dari manifest: storage/pacts/" in verified.output
    _restore_refused(empty_instance, altered, "storage/pacts/")


def test_a_target_with_data_is_not_overwritten_unless_told(app, documents, tmp_path):
    """Is a restore onto an installation that already holds data refused without --force?"""
    archive = tmp_path / "cadangan.tar.gz"
    assert _cli(app, "create", "--output", str(archive)).exit_code == 0
    result = _cli(app, "restore", str(archive))
    assert result.exit_code != 0 and "tidak kosong" in result.output
    again = _cli(app, "create", "--output", str(archive))
    assert again.exit_code != 0 and "sudah ada" in again.output
