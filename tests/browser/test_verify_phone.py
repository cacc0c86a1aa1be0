"""Every verification page fits a 360 px phone (issue 20): the code states and the upload verdicts.

The documents are made through a second app on the live server's database, on a program of their
own (with a witness for the pending pact), so the demo program the other browser tests use is untouched.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from ..conftest import make_app
from ..factories import Factory
from .conftest import assert_accessible, assert_no_horizontal_scroll

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def codes(live_server, tmp_root):
    """Verification codes of documents in every state, and the files to upload: {state: code}, {name: bytes}."""
    from netral_learn.accounts.models import Person, Role, Unit
    from netral_learn.certificates import services as certificate_services
    from netral_learn.certificates.models import Certificate
    from netral_learn.core import clock
    from netral_learn.extensions import db
    from netral_learn.pact import services as pact_services

    from ..quiz.test_attempts import correct_answers, finish_modules

    folder = tmp_root / "browser"
    app = make_app(tmp_root, env={"DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
                                  "STORAGE_DIR": str(folder / "storage")})
    factory = Factory(app)
    with app.app_context():
        root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        db.session.expunge(root)
    version = factory.course(modules=1)
    factory.bank(version, count=6)
    program_id = factory.program(root, version, title="Verifikasi di Ponsel")
    witnessed_id = factory.program(root, version, title="Verifikasi di Ponsel (bersaksi)")
    for program in (program_id, witnessed_id):
        factory.quiz_settings(program, question_count=3)
    admin = factory.person(root, role=Role.ADMIN, scope=root, name="Admin Verifikasi")
    witness = factory.person(root, role=Role.WITNESS, name="Saksi Verifikasi", jenis="NON_ASN")
    with app.test_request_context():
        default_version = pact_services.program_pact(db.session.get(
            __import__("netral_learn.courses.models", fromlist=["Program"]).Program, program_id))[0].id
    factory.witnesses(witnessed_id, default_version, [(witness, "Perwakilan Bawaslu")])

    def signed(name: str, program: int):
        from netral_learn.quiz import services as quiz_services
        from netral_learn.quiz.models import AttemptKind

        person_id = factory.person(root, name=name).id
        person, program_ = finish_modules(person_id, program)
        attempt = quiz_services.start_attempt(person, program_, AttemptKind.POST, clock.now_utc())
        quiz_services.submit_attempt(attempt, correct_answers(attempt), clock.now_utc())
        signature = pact_services.sign_pact(person, program_, pact_services.SignRequest(
            set(range(50)), name, Factory.PASSWORD, None, None, None), clock.now_utc())
        db.session.commit()
        return person, signature

    states, files = {}, {}

    def make_all():
        with app.test_request_context():
            make(states, files)

    def make(states, files):
        boss = db.session.get(Person, admin.id)
        for state in ("genuine", "revoked", "reissued"):
            person, signature = signed(f"Pegawai Sertifikat {state.title()}", program_id)
            certificate = certificate_services.ensure_pdf(db.session.scalars(
                select(Certificate).where(Certificate.person_id == person.id)).one())
            if state == "genuine":
                files["certificate"] = certificate_services.pdf_path(certificate).read_bytes()
                states["pact_complete"] = signature.verify_code
            if state == "reissued":
                files["old_certificate"] = certificate_services.pdf_path(certificate).read_bytes()
                certificate_services.reissue(boss, certificate, clock.now_utc())
            if state == "revoked":
                pact_services.revoke(boss, signature, "Data identitas keliru", clock.now_utc())
                states["pact_revoked"] = signature.verify_code
            states[f"certificate_{state}"] = certificate.verify_code
            db.session.commit()
        person, pending = signed("Pegawai Menunggu Saksi", witnessed_id)
        pact_services.ensure_pdf(pending)
        files["pending_pact"] = pact_services.pdf_bytes(pending)
        states["pact_pending"] = pending.verify_code
        db.session.commit()

    # Signing PDFs runs asyncio.run, which cannot run in the thread where Playwright's loop lives.
    worker = threading.Thread(target=make_all)
    worker.start()
    worker.join(300)
    assert len(states) == 6, "the documents could not be made"
    states["unknown"] = "ABCD-EFGH-JKLM-NPQR"
    states["malformed"] = "kode-yang-salah-ketik"
    yield states, files
    with app.app_context():
        db.engine.dispose()


STATES = ["certificate_genuine", "certificate_revoked", "certificate_reissued", "pact_complete", "pact_revoked",
          "pact_pending", "unknown", "malformed"]


@pytest.mark.parametrize("state", STATES)
def test_verification_page_fits_a_phone(new_page, codes, state):
    """Does the verification page of this state fit 360 px without sideways scrolling (the SHA-256 line wraps)?"""
    states, _files = codes
    page = new_page(viewport=PHONE)
    page.goto(f"/verifikasi/{states[state]}")
    assert page.locator(".verdict").count() == 1
    assert_accessible(page, f"verify-{state}-360")
    assert_no_horizontal_scroll(page, 360)


@pytest.mark.parametrize("state, upload, headline", [
    ("certificate_genuine", "certificate", "ASLI"),
    ("certificate_reissued", "old_certificate", "VERSI LAMA"),
    ("certificate_genuine", "flipped", "TIDAK ASLI"),
    ("pact_pending", "pending_pact", "BELUM LENGKAP"),
    ("pact_complete", "not_pdf", "TIDAK DIPERIKSA"),
])
def test_upload_verdict_fits_a_phone(new_page, codes, state, upload, headline):
    """After a file is uploaded on a phone, is there one verdict, and does the page still fit 360 px?"""
    states, files = codes
    data = {"flipped": lambda: files["certificate"][:2000] + b"X" + files["certificate"][2001:],
            "not_pdf": lambda: b"GIF89a not a pdf"}.get(upload, lambda: files[upload])()
    page = new_page(viewport=PHONE)
    page.goto(f"/verifikasi/{states[state]}")
    page.set_input_files("#pdf", files=[{"name": "dokumen.pdf", "mimeType": "application/pdf", "buffer": data}])
    page.get_by_role("button", name="Periksa berkas").click()
    page.wait_for_load_state("load")
    verdict = page.locator(".verdict")
    assert verdict.count() == 1 and verdict.get_attribute("data-verdict") == headline
    assert_accessible(page, f"verify-upload-{upload}-360")
    assert_no_horizontal_scroll(page, 360)
