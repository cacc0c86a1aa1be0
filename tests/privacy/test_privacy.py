"""Personal data (UU 27/2022): the notice, a person's own data and who acted on it, retention."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

from pypdf import PdfReader
from sqlalchemy import select

from netral_learn.accounts.models import LoginSession, Person, Role
from netral_learn.core import audit, clock
from netral_learn.core.audit import AuditEvent
from netral_learn.extensions import db
from netral_learn.pact import services as pact_services
from netral_learn.pact.models import PactSignature
from netral_learn.privacy import services
from tests.certificates.test_certificates import sign
from tests.pact.test_signing import world  # noqa: F401 - fixture


def test_the_notice_is_linked_from_login_and_every_page_and_names_the_basis(client):
    """Do the login page and the footer link the privacy notice, which states the legal basis?"""
    login = client.get("/masuk").get_data(as_text=True)
    assert 'href="/privasi"' in login
    page = client.get("/privasi").get_data(as_text=True)
    assert "Pemberitahuan Privasi" in page and "bukan persetujuan" in page and "27 Tahun 2022" in page
    assert "NIK" in page  # says it is not collected


def test_an_admin_fills_the_instansi_contact_and_the_public_sees_it(app, client, factory, login_as):
    """Does the admin's form save the contact (audited), show it on the public page, and refuse bad input?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    login_as(admin)
    bad = client.post("/admin/privasi", data={"controller": "BKPSDM", "contact_name": "Rina", "retention_years": "0"})
    assert "Antara 1 dan 50 tahun." in bad.get_data(as_text=True)
    saved = client.post("/admin/privasi", data={"controller": "BKPSDM Kabupaten Uji", "contact_name": "Rina Wati",
                                                 "contact_email": "ppid@uji.go.id", "retention_years": "5"})
    assert saved.status_code == 302
    page = app.test_client().get("/privasi").get_data(as_text=True)
    assert "BKPSDM Kabupaten Uji" in page and "ppid@uji.go.id" in page and "5 tahun" in page
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.notice")).one()
        assert event.actor_id == admin.id


def test_a_person_downloads_all_their_data_as_json_and_pdf(app, client, world, login_as):  # noqa: F811
    """Does 'Data Saya' give the profile, progress, attempts and signed documents, as JSON and as PDF?"""
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
    login_as(world["learner"])
    data = json.loads(client.get("/akun/data-saya.json").data)
    assert data["profil"]["nip"] == world["learner"].nip
    assert data["program"][0]["selesai"] is not None
    assert data["percobaan_kuis"] and data["percobaan_kuis"][0]["lulus"] is True
    assert data["pakta"][0]["kode_verifikasi"] and data["sertifikat"][0]["nomor"]
    pdf = client.get("/akun/data-saya.pdf")
    assert pdf.headers["Content-Disposition"].startswith('attachment; filename="data-saya-')
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Dewi Lestari" in text and world["learner"].nip in text


def test_a_person_sees_which_staff_acted_on_their_record(app, client, factory, world, login_as):  # noqa: F811
    """After an admin deactivates and reactivates them, does the person's page name that admin and the acts?"""
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"], name="Admin Rahma")
    learner = world["learner"]
    with app.test_request_context():
        actor = db.session.get(Person, admin.id)
        audit.record(actor, "person.deactivate", f"person:{learner.id}")
        audit.record(actor, "person.activate", f"person:{learner.id}")
        audit.record(None, "pact.pdf", f"person:{learner.id}")  # the system itself: not a staff access
        db.session.commit()
    login_as(learner)
    page = client.get("/akun/data-saya").get_data(as_text=True)
    assert "Admin Rahma" in page and "menonaktifkan akun Anda" in page and "mengaktifkan akun Anda" in page
    assert page.count("Admin Rahma") == 2


def test_every_deactivation_starts_the_retention_clock(app, factory):
    """Does setting a person inactive (by any path) stamp when they left, and reactivating clear it?"""
    tree = factory.tree()
    person = factory.person(tree["a1"])
    with app.app_context():
        row = db.session.get(Person, person.id)
        assert row.deactivated_at is None
        row.active = False
        assert row.deactivated_at is not None
        row.active = True
        assert row.deactivated_at is None


def _left(app, person_id: int, when: datetime) -> None:
    with app.app_context():
        row = db.session.get(Person, person_id)
        row.active, row.email, row.phone = False, "dewi@uji.go.id", "081234567890"
        row.deactivated_at = when
        db.session.commit()


def test_purge_removes_personal_data_and_documents_still_verify(app, world, factory):  # noqa: F811
    """After `flask privacy purge`: are name, NIP, contacts, password and signing trace gone, while the
    verification page shows the same masked name and NIP and the pact PDF still verifies?"""
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
        signature = pact_services.ensure_pdf(db.session.scalars(select(PactSignature)).one())
        db.session.commit()
        code, pdf = signature.verify_code, (app.config["STORAGE_DIR"], signature.pdf_path)
    public = app.test_client()
    before = public.get(f"/verifikasi/{code}").get_data(as_text=True)
    stays = factory.person(world["tree"]["a1"], name="Masih Bertugas")
    _left(app, world["learner"].id, datetime(2020, 1, 10, tzinfo=timezone.utc))
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["privacy", "purge", "--left-before", "2021-01-01", "--dry-run"])
    assert "1 pegawai" in dry.output
    with app.app_context():
        assert db.session.get(Person, world["learner"].id).purged_at is None
    assert runner.invoke(args=["privacy", "purge", "--left-before", "2999-01-01", "--yes"]).exit_code != 0
    result = runner.invoke(args=["privacy", "purge", "--left-before", "2021-01-01", "--yes"])
    assert result.exit_code == 0 and "Data pribadi 1 pegawai dihapus" in result.output

    with app.app_context():
        person = db.session.get(Person, world["learner"].id)
        assert person.name == "D*** L******" and "*" in person.nip and person.nip != world["learner"].nip
        assert person.email is None and person.phone is None and person.password_hash is None
        assert person.purged_at is not None
        assert db.session.scalar(select(LoginSession).where(LoginSession.person_id == person.id)) is None
        signed = db.session.scalars(select(PactSignature)).one()
        assert signed.ip is None and signed.user_agent is None and "*" in signed.typed_name
        assert db.session.get(Person, stays.id).name == "Masih Bertugas"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.purge")).one()
        assert json.loads(event.details)["ids"] == [person.id]
        assert audit.verify_chain().ok
    after = public.get(f"/verifikasi/{code}").get_data(as_text=True)
    assert "D*** L******" in after and world["learner"].nip[:4] in after
    assert _facts(before) == _facts(after)
    with open(f"{pdf[0]}/{pdf[1]}", "rb") as handle:
        upload = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(handle.read()), "pakta.pdf")},
                             content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-verdict="ASLI"' in upload


def _facts(page: str) -> list[str]:
    """The masked name and NIP lines of a verification page."""
    import re

    return re.findall(r"[A-Z0-9]\*+[\w* ]*", page)


def test_two_purged_people_may_share_a_masked_nip_and_the_real_nip_is_free_again(app, factory):
    """Can two people whose masked NIPs coincide both be purged, and a new account take the original NIP?"""
    tree = factory.tree()
    first = factory.person(tree["a1"], nip="198506152010011001")
    second = factory.person(tree["a1"], nip="198506252010061001")
    for person in (first, second):
        _left(app, person.id, datetime(2020, 1, 1, tzinfo=timezone.utc))
    with app.app_context():
        assert services.purge(None, date(2021, 1, 1), clock.now_utc()) == [first.id, second.id]
        db.session.commit()
        masked = {db.session.get(Person, first.id).nip, db.session.get(Person, second.id).nip}
        assert masked == {"1985***********001"}
    again = factory.person(tree["a1"], nip="198506152010011001")
    assert again.id not in (first.id, second.id)


def test_people_who_left_recently_are_kept(app, factory):
    """Is someone deactivated after the date left untouched?"""
    tree = factory.tree()
    person = factory.person(tree["a1"], name="Baru Keluar")
    _left(app, person.id, clock.now_utc() - timedelta(days=3))
    with app.app_context():
        assert services.purge(None, clock.now_utc().date() - timedelta(days=30), clock.now_utc()) == []
        assert db.session.get(Person, person.id).name == "Baru Keluar"
