"""Signing the pact: refusals, the signed PDF and its validation, verification, revocation, witnesses."""
import io
import re
import subprocess

import pytest
from pypdf import PdfReader

from netral_learn.accounts.models import Person, Role
from netral_learn.core import audit, clock
from netral_learn.courses.models import Enrollment
from netral_learn.extensions import db
from netral_learn.pact import document, services
from netral_learn.pact.models import PactSignature, SignatureStatus
from netral_learn.quiz import services as quiz_services
from netral_learn.quiz.models import AttemptKind

from ..factories import Factory
from ..quiz.test_attempts import correct_answers, finish_modules

PASSWORD = Factory.PASSWORD


@pytest.fixture
def world(factory):
    tree = factory.tree()
    version = factory.course(modules=1)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=6)
    factory.quiz_settings(program, question_count=3)
    pact_version = factory.pact_template()
    learner = factory.person(tree["a1"], name="Dewi Lestari, S.Pd.", jabatan="Guru Ahli Muda")
    return {"tree": tree, "program": program, "learner": learner, "pact_version": pact_version}


def pass_quiz(person_id, program_id):
    person, program = finish_modules(person_id, program_id)
    attempt = quiz_services.start_attempt(person, program, AttemptKind.POST, clock.now_utc())
    quiz_services.submit_attempt(attempt, correct_answers(attempt), clock.now_utc())
    db.session.commit()
    return person, program


def sign_form(typed="Dewi Lestari", password=PASSWORD, agree=(0, 1)):
    return {"typed_name": typed, "password": password, "agree": [str(a) for a in agree]}


def test_pact_is_refused_before_the_quiz_is_passed(app, client, world, login_as):
    """Is the pact page (and a forged POST) refused until the quiz is passed?"""
    with app.test_request_context():
        finish_modules(world["learner"].id, world["program"])
    login_as(world["learner"])
    assert client.get(f"/program/{world['program']}/pakta").status_code == 403
    assert client.post(f"/program/{world['program']}/pakta", data=sign_form()).status_code == 403


@pytest.mark.parametrize("form, words", [
    (sign_form(typed="Dewi"), "Nama yang diketik"),
    (sign_form(password="salah-sandi"), "Kata sandi salah"),
    (sign_form(agree=(0,)), "Centang persetujuan"),
])
def test_bad_signing_attempts_are_refused_with_nothing_written(app, client, world, login_as, form, words):
    """Are a wrong name, a wrong password and a missing tick refused, leaving no signature?"""
    with app.test_request_context():
        pass_quiz(world["learner"].id, world["program"])
    login_as(world["learner"])
    response = client.post(f"/program/{world['program']}/pakta", data=form)
    assert response.status_code == 200 and words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PactSignature).count() == 0
        if "salah" in form["password"]:
            assert db.session.get(Person, world["learner"].id).failed_logins == 1


def test_happy_path_signed_pdf_verification_and_tampering(app, client, world, login_as, tmp_path, factory):
    """Does signing store the exact text and its hash, produce a PAdES PDF that pyHanko and
    pdfsig validate, show as genuine on the verification page, and fail once a byte is flipped?"""
    with app.test_request_context():
        pass_quiz(world["learner"].id, world["program"])
    login_as(world["learner"])
    page = client.get(f"/program/{world['program']}/pakta").get_data(as_text=True)
    assert "Dewi Lestari, S.Pd." in page and "Guru Ahli Muda" in page
    response = client.post(f"/program/{world['program']}/pakta", data=sign_form(typed="dewi lestari"),
                           environ_base={"REMOTE_ADDR": "10.2.3.4"}, headers={"User-Agent": "UjiBrowser/1"})
    assert response.status_code == 302
    with app.app_context():
        signature = db.session.query(PactSignature).one()
        assert signature.status == SignatureStatus.COMPLETE and signature.ip == "10.2.3.4"
        assert signature.user_agent == "UjiBrowser/1"
        assert document.sha256_hex(signature.text) == signature.text_sha256
        assert "Dewi Lestari, S.Pd." in signature.text and "Sosialisasi Netralitas Uji" in signature.text
        assert db.session.query(Enrollment).one().pact_signed_at is not None
        assert audit.verify_chain().ok and any(
            e.action == "pact.sign" for e in db.session.query(audit.AuditEvent))
        code = signature.verify_code
        assert signature.pdf_path is None  # made at the first download, never inside the signing transaction
    pdf = client.get(f"/program/{world['program']}/pakta.pdf").data
    assert pdf.startswith(b"%PDF") and document.sha256_hex(pdf) == factory.get(PactSignature, signature.id).pdf_sha256
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Dewi Lestari" in text and code in text
    with app.app_context():
        assert document.check_pdf_signatures(pdf).all_valid
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    flipped = bytearray(pdf)
    flipped[len(pdf) // 3] ^= 0x01
    bad.write_bytes(bytes(flipped))
    assert "Signature is Valid" in subprocess.run(["pdfsig", str(good)], capture_output=True, text=True).stdout
    assert "Signature is Valid" not in subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True).stdout
    with app.app_context():
        assert not document.check_pdf_signatures(bytes(flipped)).all_valid

    public = app.test_client()
    page = public.get(f"/verifikasi/{code}").get_data(as_text=True)
    assert "ASLI" in page and "D*** L******" in page and "Dewi Lestari" not in page
    assert world["learner"].nip not in page
    genuine = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(pdf), "pakta.pdf")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-verdict="ASLI"' in genuine
    forged = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(bytes(flipped)), "pakta.pdf")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "TIDAK ASLI" in forged
    assert public.get("/verifikasi/AAAA-BBBB-CCCC-DDDD").status_code == 404


def test_signing_twice_is_refused(app, client, world, login_as):
    """Does a second signature attempt get a clear refusal and leave one signature?"""
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        request = services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD, None, None, None)
        services.sign_pact(person, program, request, clock.now_utc())
        db.session.commit()
        with pytest.raises(services.AlreadySigned):
            services.sign_pact(person, program, request, clock.now_utc())
        db.session.rollback()
        assert db.session.query(PactSignature).count() == 1


def test_only_the_signer_and_staff_in_scope_get_the_pdf(app, client, world, factory, login_as):
    """Can another participant or an operator of another OPD download someone's pact? (No.)"""
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        services.sign_pact(person, program, services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD, None, None, None),
                           clock.now_utc())
        db.session.commit()
        signature_id = db.session.query(PactSignature).one().id
    tree = world["tree"]
    checks = [(factory.person(tree["a1"]), 403), (factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"]), 404),
              (factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]), 200)]
    for actor, status in checks:
        c = app.test_client()
        c.post("/masuk", data={"nip": actor.nip, "password": PASSWORD})
        assert c.get(f"/admin/pakta/{signature_id}.pdf").status_code == status


def test_revocation_shows_on_verification(app, client, world, factory, login_as):
    """After an admin revokes a pact with a reason, does verification say so (and the audit log)?"""
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        signature = services.sign_pact(person, program, services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD,
                                                                              None, None, None), clock.now_utc())
        db.session.commit()
        signature_id, code = signature.id, signature.verify_code
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"])
    login_as(admin)
    response = client.post(f"/admin/pakta/{signature_id}/cabut", data={"reason": "Data identitas keliru"})
    assert response.status_code == 302
    page = app.test_client().get(f"/verifikasi/{code}").get_data(as_text=True)
    assert "DICABUT" in page and "Data identitas keliru" not in page  # the reason is for the owner and staff
    with app.app_context():
        assert db.session.query(audit.AuditEvent).filter_by(action="pact.revoke").count() == 1


def test_witnessed_pact_is_incomplete_until_the_last_witness_signs(app, world, factory):
    """With two witnesses, is the pact pending until both sign, and does the PDF carry three valid signatures?"""
    tree = world["tree"]
    bawaslu = factory.person(tree["root"], role=Role.WITNESS, name="Rahmat Hidayat", jenis="NON_ASN")
    kepala = factory.person(tree["root"], role=Role.WITNESS, name="Siti Aminah")
    factory.witnesses(world["program"], world["pact_version"],
                      [(bawaslu, "Perwakilan Bawaslu"), (kepala, "Kepala BKPSDM")])
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        signature = services.sign_pact(person, program, services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD,
                                                                              None, None, None), clock.now_utc())
        db.session.commit()
        assert signature.status == SignatureStatus.AWAITING_WITNESSES
        assert db.session.query(Enrollment).one().pact_signed_at is None
        first_pdf_hash = services.ensure_pdf(signature).pdf_sha256  # the signer downloads it first
        db.session.commit()
        for witness, name in ((bawaslu, "Rahmat Hidayat"), (kepala, "Siti Aminah")):
            witness_person = db.session.get(Person, witness.id)
            assert [s.id for s in services.pending_for_witness(witness_person)] == [signature.id]
            services.witness_sign(witness_person, signature.id, text_sha256=signature.text_sha256, typed_name=name,
                                  password=PASSWORD, ip=None, user_agent=None, now=clock.now_utc())
            db.session.commit()
            if witness is bawaslu:
                assert signature.status == SignatureStatus.AWAITING_WITNESSES
        assert signature.status == SignatureStatus.COMPLETE
        assert db.session.query(Enrollment).one().pact_signed_at is not None
        assert first_pdf_hash in signature.pdf_history
        check = document.check_pdf_signatures(services.pdf_bytes(signature))
        assert check.signatures == 3 and check.all_valid
        code = signature.verify_code
    page = app.test_client().get(f"/verifikasi/{code}").get_data(as_text=True)
    assert "Perwakilan Bawaslu" in page and "Kepala BKPSDM" in page and "ASLI" in page


def test_with_a_queue_the_signed_pdf_is_made_after_the_commit_or_by_whoever_needs_it_first(app, world, factory,
                                                                                          monkeypatch):
    """With Redis, does signing store the signature at once and queue its PDF after the commit
    (never after a rollback)? Does a witness who comes before the worker get the signer's PDF
    made first, with both signatures valid, and does the worker then leave it alone?"""
    from netral_learn.core import jobs

    queued = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://queue.invalid/0")
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, at_front=False: queued.append((func, args, at_front)))
    witness = factory.person(world["tree"]["root"], role=Role.WITNESS, name="Rahmat Hidayat", jenis="NON_ASN")
    factory.witnesses(world["program"], world["pact_version"], [(witness, "Perwakilan Bawaslu")])
    request = services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD, None, None, None)
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        services.sign_pact(person, program, request, clock.now_utc())
        db.session.rollback()
        assert queued == [] and db.session.query(PactSignature).count() == 0
        signature = services.sign_pact(person, program, request, clock.now_utc())
        db.session.commit()
        assert queued == [(services.render_job, (signature.id,), False)] and signature.pdf_path is None
        services.witness_sign(db.session.get(Person, witness.id), signature.id, text_sha256=signature.text_sha256,
                              typed_name="Rahmat Hidayat", password=PASSWORD, ip=None, user_agent=None,
                              now=clock.now_utc())
        db.session.commit()
        made = signature.pdf_sha256
        assert signature.status == SignatureStatus.COMPLETE and len(signature.pdf_history) == 1
        check = document.check_pdf_signatures(services.pdf_bytes(signature))
        assert check.signatures == 2 and check.all_valid
        services.render_job(signature.id)
        db.session.expire_all()
        assert db.session.get(PactSignature, signature.id).pdf_sha256 == made
        actions = [e.action for e in db.session.query(audit.AuditEvent).order_by(audit.AuditEvent.seq)]
        assert audit.verify_chain().ok
        assert [a for a in actions if a.startswith("pact.")] == ["pact.sign", "pact.pdf", "pact.witness_sign"]


def test_witness_cannot_sign_other_programs_or_a_changed_text(app, world, factory):
    """Is a witness limited to their program's pacts and to the exact text hash shown?"""
    tree = world["tree"]
    witness = factory.person(tree["root"], role=Role.WITNESS, name="Rahmat Hidayat")
    factory.witnesses(world["program"], world["pact_version"], [(witness, "Perwakilan Bawaslu")])
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        signature = services.sign_pact(person, program, services.SignRequest({0, 1}, "Dewi Lestari", PASSWORD,
                                                                              None, None, None), clock.now_utc())
        db.session.commit()
        stranger = db.session.get(Person, factory.person(tree["root"], role=Role.WITNESS).id)
        with pytest.raises(services.OutOfScope):
            services.get_signature_for_witness(stranger, signature.id)
        with pytest.raises(services.InvalidInput, match="berbeda"):
            services.witness_sign(db.session.get(Person, witness.id), signature.id, text_sha256="0" * 64,
                                  typed_name="Rahmat Hidayat", password=PASSWORD, ip=None, user_agent=None,
                                  now=clock.now_utc())


def test_name_matching_and_masking():
    """Are titles optional when typing one's name, and are names and NIPs masked for the public?"""
    assert services.name_matches("dewi  lestari", "Dewi Lestari, S.Pd.")
    assert services.name_matches("Hj. Rahmawati Syamsuddin", "Hj. Rahmawati Syamsuddin, S.Sos., M.Si.")
    assert services.name_matches("Rahmawati Syamsuddin", "Hj. Rahmawati Syamsuddin, S.Sos., M.Si.")
    assert not services.name_matches("Dewi", "Dewi Lestari, S.Pd.")
    assert services.mask_name("Hj. Rahmawati Syamsuddin, S.Sos.") == "R******** S*********"
    assert services.mask_nip("199204102019032011") == "1992***********011"
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", services.new_verify_code())
