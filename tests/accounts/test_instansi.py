"""A second instansi without code: the command and the superadmin page (issue 18 item 10)."""
from __future__ import annotations

import re

import pytest

from netral_learn.accounts.models import Person, Role, Unit
from netral_learn.core.audit import AuditEvent
from netral_learn.accounts.scope import Action, decided
from netral_learn.extensions import db

from ..factories import Factory, make_nip

LINK = re.compile(r"http://127\.0\.0\.1:5000(/aktivasi/[\w-]+)")


def _activate_and_log_in(app, path: str, nip: str) -> object:
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    done = anonymous.post(path, data={"new": "Admin#Kabupaten-Baru-26", "confirm": "Admin#Kabupaten-Baru-26"})
    assert done.status_code == 302
    client = app.test_client()
    assert client.post("/masuk", data={"nip": nip, "password": "Admin#Kabupaten-Baru-26"}).status_code == 302
    return client


def test_the_command_creates_an_instansi_whose_admin_activates_by_link(app, factory):
    """Does `flask instansi create` make the instansi and its admin, print a one-time link, and
    does that admin then see their instansi and nothing of the others?"""
    other = factory.tree()
    factory.person(other["a1"], name="Pegawai Kabupaten Lain")
    nip = make_nip(901)
    consulted = []

    def receiver(action, actor=None, person=None, allowed=None):
        consulted.append((actor, person.nip, action, allowed))

    decided.connect(receiver)
    try:
        result = app.test_cli_runner().invoke(args=[
            "instansi", "create", "--name", "Pemerintah Kabupaten Baru", "--timezone", "Asia/Jayapura",
            "--admin-nip", nip, "--admin-name", "Yohana Wenda, S.E.", "--admin-email", "yohana@baru.go.id"])
    finally:
        decided.disconnect(receiver)
    assert result.exit_code == 0, result.output
    assert (None, nip, Action.RESET, True) in consulted  # the link went through the rule
    path = LINK.search(result.output).group(1)
    with app.app_context():
        root = db.session.query(Unit).filter_by(name="Pemerintah Kabupaten Baru").one()
        admin = db.session.query(Person).filter_by(nip=nip).one()
        assert root.parent_id is None and root.timezone == "Asia/Jayapura"
        assert admin.role == Role.ADMIN and admin.scope_unit_id == root.id and admin.unit_id == root.id
        assert admin.password_hash is None and admin.initial_password_enc is None
        assert db.session.query(AuditEvent).filter_by(action="instansi.create").count() == 1
    client = _activate_and_log_in(app, path, nip)
    page = client.get("/admin/pegawai?status=all").get_data(as_text=True)
    assert "Yohana Wenda" in page and "Pegawai Kabupaten Lain" not in page
    assert app.test_client().get(path).status_code == 404  # used once


def test_the_command_refuses_a_nip_already_registered_and_writes_nothing(app, factory):
    """Is an admin NIP that already has an account refused, leaving no half-made instansi?"""
    tree = factory.tree()
    someone = factory.person(tree["a1"])
    result = app.test_cli_runner().invoke(args=[
        "instansi", "create", "--name", "Pemerintah Kabupaten Baru", "--admin-nip", someone.nip,
        "--admin-name", "Orang Yang Sama"])
    assert result.exit_code != 0 and "sudah dipakai" in result.output
    with app.app_context():
        assert db.session.query(Unit).filter_by(name="Pemerintah Kabupaten Baru").count() == 0


@pytest.fixture
def superadmin_client(app, factory):
    tree = factory.tree()
    boss = factory.person(tree["root"], role=Role.SUPERADMIN)
    client = app.test_client()
    client.post("/masuk", data={"nip": boss.nip, "password": Factory.PASSWORD})
    return client, tree


def test_a_superadmin_creates_an_instansi_from_the_page(app, superadmin_client):
    """Can a superadmin create an instansi and its admin from the page, see the link once, and
    find it in the list with its admin not yet active?"""
    client, _tree = superadmin_client
    listing = client.get("/admin/instansi").get_data(as_text=True)
    assert "Pemerintah Kabupaten Uji" in listing and "Tambah instansi" in listing
    assert client.get("/admin/instansi/baru").status_code == 200
    nip = make_nip(902)
    response = client.post("/admin/instansi/baru", data={
        "name": "Pemerintah Kota Baru", "timezone": "Asia/Makassar", "code": "", "admin_name": "Andi Makkasau",
        "admin_jenis": "PNS", "admin_nip": nip, "admin_email": "", "admin_phone": ""})
    assert response.status_code == 200
    path = LINK.search(response.get_data(as_text=True)).group(1)
    listing = client.get("/admin/instansi").get_data(as_text=True)
    assert "Pemerintah Kota Baru" in listing and "belum aktif" in listing
    _activate_and_log_in(app, path, nip)
    assert "belum aktif" not in client.get("/admin/instansi").get_data(as_text=True)


def test_the_page_explains_bad_input_and_refuses_a_duplicate_name(app, superadmin_client):
    """Does a wrong NIP or an existing instansi name get a clear message, with nothing written?"""
    client, tree = superadmin_client
    form = {"name": "Pemerintah Kota Baru", "timezone": "Asia/Makassar", "admin_name": "Andi",
            "admin_jenis": "PNS", "admin_nip": "12345"}
    response = client.post("/admin/instansi/baru", data=form)
    assert response.status_code == 400 and "18 digit" in response.get_data(as_text=True)
    response = client.post("/admin/instansi/baru", data={**form, "name": tree["root"].name,
                                                         "admin_nip": make_nip(903)})
    assert response.status_code == 400 and "Sudah ada unit" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Unit).filter_by(name="Pemerintah Kota Baru").count() == 0


def test_only_a_superadmin_reaches_the_instansi_pages(app, factory):
    """Do admins and operators get 403 on the instansi pages?"""
    tree = factory.tree()
    for role, scope in ((Role.ADMIN, tree["root"]), (Role.OPERATOR, tree["a"])):
        person = factory.person(tree["a"], role=role, scope=scope)
        client = app.test_client()
        client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
        assert client.get("/admin/instansi").status_code == 403
        assert client.post("/admin/instansi/baru", data={"name": "X"}).status_code == 403
