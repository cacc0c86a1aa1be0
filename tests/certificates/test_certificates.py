"""Certificates: issued once on completion, gap-free numbers, PDF fields, access, verification."""
import io
import os
import threading
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from netral_learn.accounts.models import Person, Role
from netral_learn.certificates import numbering, services
from netral_learn.certificates.models import Certificate, CertificateSettings
from netral_learn.core import clock
from netral_learn.courses.models import Enrollment
from netral_learn.extensions import db
from netral_learn.pact import services as pact_services

from ..pact.test_signing import PASSWORD, pass_quiz, world  # noqa: F401 - fixture


def sign(person_id, program_id):
    person, program = pass_quiz(person_id, program_id)
    pact_services.sign_pact(person, program, pact_services.SignRequest({0, 1}, person.name.split(",")[0],
                                                                       PASSWORD, None, None, None), clock.now_utc())
    db.session.commit()
    return person, program


def test_pattern_formatting_and_validation():
    """Are number patterns formatted per instansi and year, and bad patterns refused?"""
    assert numbering.format_number("800/{nomor:04d}/NETRAL/BKPSDM/{tahun}", 7, 2026, 11) == "800/0007/NETRAL/BKPSDM/2026"
    assert numbering.format_number("KP.07/{nomor}/{bulan_romawi}/{tahun}", 12, 2026, 11) == "KP.07/12/XI/2026"
    for bad in ["800/{tahun}", "{nomor}/{rahasia}", "{nomor"]:
        with pytest.raises(numbering.PatternError):
            numbering.check_pattern(bad)


def test_signing_the_pact_issues_the_certificate_once(app, world):
    """Does completing the pact issue exactly one certificate in the same transaction?"""
    with app.test_request_context():
        person, program = sign(world["learner"].id, world["program"])
        certificate = db.session.query(Certificate).one()
        assert certificate.number == f"800/0001/NETRAL/BKPSDM/{certificate.year}"
        enrollment = db.session.query(Enrollment).one()
        assert enrollment.completed_at is not None
        again = services.issue_certificate(enrollment, clock.now_utc())
        assert again.id == certificate.id and db.session.query(Certificate).count() == 1
        assert services.issue_pending(clock.now_utc()) == 0


def test_numbers_are_sequential_per_instansi_and_year(app, world, factory):
    """Do numbers run 1, 2, 3 within an instansi and restart in a new year?"""
    tree = world["tree"]
    version_id = factory.course(modules=1)
    factory.bank(version_id, count=6)
    program = factory.program(tree["root"], version_id, days_open=(-1, 90), title="Program Lintas Tahun")
    factory.quiz_settings(program, question_count=3)
    people = [world["learner"]] + [factory.person(tree["a1"], name=f"Pegawai Nomor {i}") for i in range(2)]
    with app.test_request_context():
        for person in people:
            sign(person.id, program)
        assert sorted(c.seq for c in db.session.query(Certificate)) == [1, 2, 3]
        clock.freeze(datetime(2027, 1, 2, 3, 0, tzinfo=timezone.utc))
        other = factory.person(tree["a1"], name="Pegawai Tahun Baru")
        sign(other.id, program)
        newest = db.session.query(Certificate).filter_by(person_id=other.id).one()
        assert newest.year == 2027 and newest.seq == 1


def test_pdf_has_the_right_fields_and_is_rendered_once(app, client, world, login_as):
    """Does the PDF carry name, NIP, program, number, date in Indonesian, the course's "Materi per" date
    and its legal review, and stream from storage after?"""
    from datetime import date

    from netral_learn.courses.models import CourseReview, Program

    with app.test_request_context():
        version_id = db.session.get(Program, world["program"]).course_version_id
        db.session.add(CourseReview(version_id=version_id, reviewed_on=date(2026, 12, 1), reviewer="Bagian Hukum Setda"))
        settings = CertificateSettings(instansi_id=world["tree"]["root"].id, place="Tanah Grogot",
                                       signer_name="Drs. Kepala Badan", signer_nip="197001011995031001",
                                       signer_title="Kepala BKPSDM", number_pattern="800/{nomor:04d}/NETRAL/BKPSDM/{tahun}")
        db.session.add(settings)
        db.session.commit()
        sign(world["learner"].id, world["program"])
    login_as(world["learner"])
    assert "Unduh Sertifikat" in client.get(f"/program/{world['program']}/sertifikat").get_data(as_text=True)
    first = client.get(f"/program/{world['program']}/sertifikat.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(first.data)).pages)
    learner = world["learner"]
    for expected in ["SERTIFIKAT", "Dewi Lestari, S.Pd.", f"{learner.nip[:8]} {learner.nip[8:14]}",
                     "Sosialisasi Netralitas Uji", "800/0001/NETRAL/BKPSDM", "Tanah Grogot", "Drs. Kepala Badan",
                     "Kepala BKPSDM", "Materi per ", "ditinjau Bagian Hukum Setda, 1 Desember 2026"]:

        assert expected in text, expected
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember"]
    assert any(m in text for m in months)
    with app.app_context():
        certificate = db.session.query(Certificate).one()
        stored = services.pdf_path(certificate)
        mtime = stored.stat().st_mtime_ns
    second = client.get(f"/program/{world['program']}/sertifikat.pdf")
    assert second.data == first.data and stored.stat().st_mtime_ns == mtime


def test_certificate_step_is_refused_before_the_pact(app, client, world, login_as):
    """Can the certificate URL be opened before the pact is signed? (No.)"""
    with app.test_request_context():
        pass_quiz(world["learner"].id, world["program"])
    login_as(world["learner"])
    assert client.get(f"/program/{world['program']}/sertifikat").status_code == 403
    assert client.get(f"/program/{world['program']}/sertifikat.pdf").status_code == 403


def test_access_rules(app, world, factory):
    """Only the owner (by their program URL) and staff in scope may get the PDF."""
    tree = world["tree"]
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
        certificate_id = db.session.query(Certificate).one().id
    cases = [(factory.person(tree["a1"]), 403), (factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"]), 404),
             (factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]), 404),
             (factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]), 200)]
    for actor, status in cases:
        c = app.test_client()
        c.post("/masuk", data={"nip": actor.nip, "password": PASSWORD})
        assert c.get(f"/admin/sertifikat/{certificate_id}.pdf").status_code == status


def test_verification_genuine_tampered_revoked_and_reissued(app, client, world, factory, login_as):
    """Verification says genuine, spots an altered file, reports revocation; a re-issue keeps the number."""
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
        certificate = db.session.query(Certificate).one()
        code, certificate_id, number = certificate.verify_code, certificate.id, certificate.number
    login_as(world["learner"])
    pdf = client.get(f"/program/{world['program']}/sertifikat.pdf").data
    public = app.test_client()
    page = public.get(f"/verifikasi/{code}").get_data(as_text=True)
    assert "ASLI" in page and "Sertifikat" in page and "D*** L******" in page and number in page
    assert 'data-verdict="ASLI"' in public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(pdf), "s.pdf")},
                                        content_type="multipart/form-data").get_data(as_text=True)
    tampered = pdf[:-100] + bytes([pdf[-100] ^ 1]) + pdf[-99:]
    assert "TIDAK ASLI" in public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(tampered), "s.pdf")},
                                       content_type="multipart/form-data").get_data(as_text=True)
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"])
    admin_client = app.test_client()
    admin_client.post("/masuk", data={"nip": admin.nip, "password": PASSWORD})
    with app.app_context():
        person = db.session.get(Person, world["learner"].id)
        person.jabatan = "Guru Ahli Muda (koreksi)"
        db.session.commit()
    assert admin_client.post(f"/admin/sertifikat/{certificate_id}/terbitkan-ulang").status_code == 302
    with app.app_context():
        reissued = db.session.get(Certificate, certificate_id)
        assert reissued.number == number and reissued.previous_hashes and reissued.reissued_at
    earlier = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(pdf), "s.pdf")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-verdict="VERSI LAMA"' in earlier
    admin_client.post(f"/admin/sertifikat/{certificate_id}/cabut", data={"reason": "Ditemukan data ganda"})
    page = public.get(f"/verifikasi/{code}").get_data(as_text=True)
    assert "DICABUT" in page and "Ditemukan data ganda" not in page  # the reason is for the owner and staff


def test_sandboxed_template_cannot_reach_python_or_files(app):
    """Can an edited certificate template call into Python or read a server file? (No.)"""
    with app.test_request_context():
        with pytest.raises(services.InvalidInput):
            services.render_html("{{ ''.__class__.__mro__[1].__subclasses__() }}", services.sample_data())
        html = services.render_html('<img src="file:///etc/passwd"><img src="http://example.com/x.png">{{ nama }}',
                                    services.sample_data())
        from netral_learn.core.pdf import render_pdf
        pdf = render_pdf(html)  # the fetcher refuses both URLs; rendering still succeeds
        assert pdf.startswith(b"%PDF")


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="concurrent completions need PostgreSQL")
def test_concurrent_completions_get_unique_gap_free_numbers(app, world, factory):
    """Eight people completing at the same instant: numbers 1..8, no gap, no repeat."""
    tree = world["tree"]
    people = [factory.person(tree["a1"], name=f"Serentak {i}") for i in range(8)]
    with app.test_request_context():
        for person in people:
            pass_quiz(person.id, world["program"])
    barrier = threading.Barrier(8)
    errors = []

    def complete(person):
        with app.test_request_context():
            try:
                p = db.session.get(Person, person.id)
                from netral_learn.courses.models import Program
                program = db.session.get(Program, world["program"])
                barrier.wait()
                pact_services.sign_pact(p, program, pact_services.SignRequest({0, 1}, p.name, PASSWORD, None, None,
                                                                              None), clock.now_utc())
                db.session.commit()
            except Exception as error:  # noqa: BLE001
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=complete, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    with app.app_context():
        assert sorted(c.seq for c in db.session.query(Certificate)) == list(range(1, 9))


def test_two_instansi_may_use_the_same_number_pattern(app, world, factory):
    """Do two regencies on one deployment both get 800/0001/… without colliding?"""
    tree = world["tree"]
    version_id = factory.course(modules=1)
    factory.bank(version_id, count=6)
    other_program = factory.program(tree["other"], version_id, title="Program Kota Lain")
    factory.quiz_settings(other_program, question_count=3)
    neighbour = factory.person(tree["other_opd"], name="Warga Kota Lain")
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
        sign(neighbour.id, other_program)
        numbers = [c.number for c in db.session.query(Certificate).order_by(Certificate.id)]
    assert numbers[0] == numbers[1] and numbers[0].startswith("800/0001/")


def test_with_a_queue_the_pdf_is_rendered_after_issue_commits(app, world, monkeypatch):
    """With Redis, is the certificate queued for rendering once its issue commits (never when the
    transaction rolls back), and does the job render it ahead of the first download?"""
    from netral_learn.core import jobs

    queued = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://queue.invalid/0")
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, at_front=False: queued.append((func, args, at_front)))
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        db.session.commit()
        enrollment = db.session.query(Enrollment).one()
        services.issue_certificate(enrollment, clock.now_utc())
        db.session.rollback()
        assert queued == []
        certificate = services.issue_certificate(db.session.query(Enrollment).one(), clock.now_utc())
        db.session.commit()
        assert queued == [(services.render_job, (certificate.id,), True)]  # before the waiting pact PDFs
        assert certificate.pdf_path is None
        services.render_job(certificate.id)
        db.session.expire_all()
        stored = db.session.get(Certificate, certificate.id)
        assert stored.pdf_path and services.pdf_path(stored).exists()
