"""Correcting one person from a form: add, edit, move, deactivate and reactivate (issue 18 item 3)."""
from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from netral_learn.accounts.models import Person, Role
from netral_learn.accounts.passwords import decrypt_initial
from netral_learn.core.audit import AuditEvent
from netral_learn.core.clock import now_utc
from netral_learn.extensions import db

from ..factories import Factory, make_nip


@pytest.fixture
def desk(factory, login_as, client):
    """An operator of Dinas Pendidikan (logged in), a participant of theirs, their peer, an admin."""
    tree = factory.tree()
    operator = factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"])
    person = factory.person(tree["a1"], name="Siti Rahmawaty", jabatan="Guru", phone="0812 1111 2222")
    peer = factory.person(tree["a1"], role=Role.OPERATOR, scope=tree["a1"], name="Operator Sekretariat")
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    login_as(operator)
    return {"tree": tree, "operator": operator, "person": person, "peer": peer, "admin": admin}


def _form(person: Person, **changes) -> dict:
    data = {"nip": person.nip, "jenis": person.jenis.value, "name": person.name, "unit": person.unit_id,
            "jabatan": person.jabatan or "", "golongan": person.golongan or "", "email": person.email or "",
            "phone": person.phone or ""}
    data.update(changes)
    return data


def _events(app, action: str) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) | {"actor": e.actor_id, "target": e.target}
                for e in db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.seq)]


def test_an_operator_corrects_a_name_and_the_audit_keeps_before_and_after(app, client, desk):
    """Can an operator fix a misspelt name and a phone, with the old and new values audited?"""
    person = desk["person"]
    page = client.get(f"/admin/pegawai/{person.id}/ubah")
    assert page.status_code == 200 and "Siti Rahmawaty" in page.get_data(as_text=True)
    response = client.post(f"/admin/pegawai/{person.id}/ubah",
                           data=_form(person, name="Siti Rahmawati", phone="0812 3333 4444"))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Person, person.id)
        assert stored.name == "Siti Rahmawati" and stored.phone == "0812 3333 4444"
    [event] = _events(app, "person.edit")
    assert event["actor"] == desk["operator"].id and event["target"] == f"person:{person.id}"
    assert event["changes"] == {"name": ["Siti Rahmawaty", "Siti Rahmawati"],
                                "phone": ["0812 1111 2222", "0812 3333 4444"]}


def test_an_operator_moves_a_person_within_their_subtree_only(app, client, desk):
    """Can an operator move a person to another unit of their subtree, but not out of it?"""
    person = desk["person"]
    a = desk["tree"]["a"]
    assert client.post(f"/admin/pegawai/{person.id}/ubah", data=_form(person, unit=a.id)).status_code == 302
    with app.app_context():
        assert db.session.get(Person, person.id).unit_id == a.id
    [event] = _events(app, "person.move")
    assert event["changes"] == {"unit_id": [desk["tree"]["a1"].id, a.id]}
    outside = desk["tree"]["b"]
    response = client.post(f"/admin/pegawai/{person.id}/ubah", data=_form(person, unit=outside.id))
    assert response.status_code == 400 and "di luar wewenang" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, person.id).unit_id == a.id


def test_an_operator_cannot_edit_a_peer_or_a_higher_rank(app, client, desk, factory):
    """Is editing a peer operator refused (403), and someone outside the subtree not found (404)?"""
    peer = desk["peer"]
    assert client.get(f"/admin/pegawai/{peer.id}/ubah").status_code == 403
    assert client.post(f"/admin/pegawai/{peer.id}/ubah", data=_form(peer, name="Diubah")).status_code == 403
    assert client.get(f"/admin/pegawai/{desk['admin'].id}/ubah").status_code == 404
    other = factory.person(desk["tree"]["b1"])
    assert client.post(f"/admin/pegawai/{other.id}/ubah", data=_form(other, name="Diubah")).status_code == 404
    with app.app_context():
        assert db.session.get(Person, peer.id).name == "Operator Sekretariat"


def test_an_operator_adds_a_person_who_can_log_in_with_the_first_password(app, client, desk):
    """Can an operator add a person (NIP typed in full-width digits) who then logs in?"""
    nip = make_nip(777)
    typed = "".join(chr(0xFF10 + int(c)) for c in nip)
    assert client.get("/admin/pegawai/baru").status_code == 200
    response = client.post("/admin/pegawai/baru", data={
        "nip": typed, "jenis": "PNS", "name": "Budi Santoso, S.Pd.", "unit": desk["tree"]["a1"].id,
        "golongan": "III/a", "email": "Budi@Contoh.go.id", "phone": "", "jabatan": "Guru"})
    assert response.status_code == 200
    with app.app_context():
        person = db.session.query(Person).filter_by(nip=nip).one()
        first = decrypt_initial(person.initial_password_enc)
        assert person.role == Role.PARTICIPANT and person.golongan == "III/a" and person.email == "budi@contoh.go.id"
    assert first in response.get_data(as_text=True)
    [event] = _events(app, "person.create")
    assert event["changes"]["name"] == [None, "Budi Santoso, S.Pd."]
    login = app.test_client().post("/masuk", data={"nip": nip, "password": first})
    assert login.headers["Location"].endswith("/kata-sandi")


@pytest.mark.parametrize("changes, field, words", [
    ({"nip": "19860926201505100A"}, "nip", "angka 0–9"),
    ({"name": ""}, "name", "wajib"),
    ({"golongan": "V/z"}, "golongan", "tidak dikenal"),
    ({"email": "bukan-email"}, "email", "tidak valid"),
    ({"phone": "=HYPERLINK()"}, "phone", "angka"),
    ({"name": "Siti\u200bRahma"}, "name", "karakter kendali"),
])
def test_bad_input_is_explained_and_nothing_changes(app, client, desk, changes, field, words):
    """Does each wrong field get an Indonesian message, with nothing written?"""
    person = desk["person"]
    response = client.post(f"/admin/pegawai/{person.id}/ubah", data=_form(person, **changes))
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, person.id).name == "Siti Rahmawaty"
    assert not _events(app, "person.edit")


def test_a_nip_already_used_is_refused(app, client, desk):
    """Can a new person take a NIP someone else already has? (No.)"""
    response = client.post("/admin/pegawai/baru", data=_form(desk["person"], name="Orang Lain"))
    assert response.status_code == 400 and "sudah dipakai" in response.get_data(as_text=True)


def test_an_operator_deactivates_and_reactivates_with_the_audit(app, client, desk):
    """Can an operator deactivate and reactivate a person of their subtree, audited?"""
    person = desk["person"]
    assert client.post(f"/admin/pegawai/{person.id}/nonaktifkan").status_code == 302
    assert app.test_client().post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD}).status_code == 401
    assert client.post(f"/admin/pegawai/{person.id}/aktifkan").status_code == 302
    assert [e["changes"] for e in _events(app, "person.deactivate")] == [{"active": [True, False]}]
    assert [e["changes"] for e in _events(app, "person.activate")] == [{"active": [False, True]}]
    assert client.post(f"/admin/pegawai/{desk['peer'].id}/nonaktifkan").status_code == 403


def test_a_corrected_name_is_offered_for_re_issue_and_shows_on_the_new_certificate(app, factory, desk):
    """After a name correction, does the person page flag the old certificate, and does the
    admin's re-issue print the corrected name?"""
    from netral_learn.certificates.models import Certificate

    tree, person = desk["tree"], desk["person"]
    program = factory.program(tree["root"], factory.course())
    with app.app_context():
        certificate = Certificate(program_id=program, person_id=person.id, instansi_id=tree["root"].id, year=2026,
                                  seq=1, number="800/0001/NETRAL/2026", verify_code="QWER2345TYUP",
                                  issued_at=now_utc())
        db.session.add(certificate)
        db.session.commit()
        certificate_id = certificate.id
    admin = app.test_client()
    admin.post("/masuk", data={"nip": desk["admin"].nip, "password": Factory.PASSWORD})
    admin.post(f"/admin/pegawai/{person.id}/ubah", data=_form(person, name="Siti Rahmawati, S.Pd."))
    page = admin.get(f"/admin/pegawai/{person.id}").get_data(as_text=True)
    assert "data pegawai berubah setelah terbit" in page and "Terbitkan ulang" in page
    assert admin.post(f"/admin/sertifikat/{certificate_id}/terbitkan-ulang").status_code == 302
    pdf = admin.get(f"/admin/sertifikat/{certificate_id}.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Siti Rahmawati, S.Pd." in " ".join(text.split())
    operator_page = app.test_client()
    operator_page.post("/masuk", data={"nip": desk["operator"].nip, "password": Factory.PASSWORD})
    assert "Terbitkan ulang" not in operator_page.get(f"/admin/pegawai/{person.id}").get_data(as_text=True)
