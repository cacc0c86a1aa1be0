"""Operator and admin actions on people: reset, deactivate, login slips, list filters."""
import io
import re

from pypdf import PdfReader

from netral_learn.accounts.models import LoginSession, Person, Role
from netral_learn.accounts.passwords import decrypt_initial
from netral_learn.extensions import db

from ..factories import Factory


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_reset_password_gives_a_new_first_password_and_ends_sessions(app, client, factory, login_as):
    """After a reset, is the old password dead, the person logged out, and the new one shown once?"""
    tree = factory.tree()
    operator = factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"])
    person = factory.person(tree["a1"])
    their_client = app.test_client()
    their_client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
    login_as(operator)
    page = client.post(f"/admin/pegawai/{person.id}/reset-sandi").get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Person, person.id)
        new_password = decrypt_initial(stored.initial_password_enc)
        assert stored.password_hash is None and stored.must_change_password
        assert db.session.query(LoginSession).filter_by(person_id=person.id).count() == 0
    assert new_password in page
    assert their_client.get("/").status_code == 302
    response = app.test_client().post("/masuk", data={"nip": person.nip, "password": new_password})
    assert response.headers["Location"].endswith("/kata-sandi")


def test_deactivated_person_cannot_log_in(app, client, factory, login_as):
    """Is a deactivated person refused at login and logged out of open sessions?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    person = factory.person(tree["a1"])
    login_as(admin)
    assert client.post(f"/admin/pegawai/{person.id}/nonaktifkan").status_code == 302
    response = app.test_client().post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
    assert response.status_code == 401


def test_login_slips_cover_only_pending_people_in_scope(app, client, factory, login_as):
    """Does an operator's slip PDF list exactly their people still on a first password?"""
    tree = factory.tree()
    operator = factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"])
    pending = factory.person(tree["a1"], password=None, name="Rina Pending")
    factory.person(tree["a1"], name="Sudah Ganti")
    factory.person(tree["b1"], password=None, name="Orang Dinas Lain")
    with app.app_context():
        first_password = decrypt_initial(db.session.get(Person, pending.id).initial_password_enc)
    login_as(operator)
    assert "1 pegawai masih memakai" in client.get("/admin/slip-login").get_data(as_text=True)
    response = client.get("/admin/slip-login.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Rina Pending" in text and first_password in text
    assert re.sub(r"\s", "", pending.nip) in re.sub(r"\s", "", text)
    assert "Sudah Ganti" not in text and "Orang Dinas Lain" not in text


def test_people_search_by_name_and_nip_and_filters(app, client, factory, login_as):
    """Can an admin find people by part of a name, by NIP, and filter by jenis?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    siti = factory.person(tree["a1"], name="Siti Rahmawati")
    factory.person(tree["b1"], name="Joko Widodo", jenis="PPPK")
    login_as(admin)
    assert "Siti Rahmawati" in client.get("/admin/pegawai?q=rahma").get_data(as_text=True)
    by_nip = client.get(f"/admin/pegawai?q={siti.nip[:8]}%20{siti.nip[8:14]}").get_data(as_text=True)
    assert "Siti Rahmawati" in by_nip and "Joko Widodo" not in by_nip
    pppk = client.get("/admin/pegawai?jenis=PPPK").get_data(as_text=True)
    assert "Joko Widodo" in pppk and "Siti Rahmawati" not in pppk


def test_people_list_is_paginated(app, client, factory, login_as):
    """Are long lists split into pages of 50?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    with app.app_context():
        for index in range(60):
            db.session.add(Person(nip=f"TKK-P{index:04d}", name=f"Honorer {index:02d}", jenis="NON_ASN",
                                  unit_id=tree["a1"].id))
        db.session.commit()
    login_as(admin)
    first = client.get("/admin/pegawai").get_data(as_text=True)
    assert "61 pegawai" in first and "Halaman 1 dari 2" in first
    assert "Honorer 59" in client.get("/admin/pegawai?page=2").get_data(as_text=True)


def test_compact_slips_fit_ten_per_a4_sorted_by_unit_with_an_optional_qr(app, client, factory, login_as):
    """Do 23 slips take three A4 sheets (10, 10, 3), grouped unit by unit, with a QR code only
    when asked?"""
    tree = factory.tree()
    operator = factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"])
    for index in range(23):
        unit = [tree["a1"], tree["a"]][index % 2]
        factory.person(unit, password=None, name=f"Pegawai Slip {index:02d}")
    login_as(operator)
    response = client.get("/admin/slip-login.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 3
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # A4 in points
    per_page = [page.extract_text().count("Kata sandi awal") for page in reader.pages]
    assert per_page == [10, 10, 3]
    units_in_order = [re.search(r"(Dinas Pendidikan|Sekretariat)\n", block).group(1)
                      for block in pdf_text(response.data).split("Netral Learn")[1:]]
    assert units_in_order == sorted(units_in_order, key=["Dinas Pendidikan", "Sekretariat"].index)
    with_qr = PdfReader(io.BytesIO(client.get("/admin/slip-login.pdf?qr=1").data))
    assert len(with_qr.pages) == 3
    drawn = [len(page.get_contents().get_data()) for page in (reader.pages[0], with_qr.pages[0])]
    assert drawn[1] > drawn[0] * 2  # ten QR codes (vector squares) drawn on the sheet


def test_the_login_qr_code_is_inline_svg(app):
    """Is the slips' QR code an inline SVG (the PDF renderer fetches nothing from outside)?"""
    import base64
    import urllib.parse

    from netral_learn.accounts.slips import login_qr

    with app.app_context():
        uri = login_qr(app.config["SITE_URL"] + "/masuk")
    assert uri.startswith("data:image/svg+xml")
    svg = urllib.parse.unquote(uri.split(",", 1)[1]) if ";base64" not in uri else base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "<svg" in svg and "<path" in svg


def test_people_search_accepts_a_nip_typed_in_full_width_digits(app, client, factory, login_as):
    """Does a NIP typed on a phone keyboard in full-width digits find the person?"""
    tree = factory.tree()
    admin = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"])
    siti = factory.person(tree["a1"], name="Siti Lebar")
    login_as(admin)
    typed = "".join(chr(0xFF10 + int(c)) for c in siti.nip[:10])
    assert "Siti Lebar" in client.get(f"/admin/pegawai?q={typed}").get_data(as_text=True)
