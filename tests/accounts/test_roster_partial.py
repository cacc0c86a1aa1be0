"""Roster re-imports: partial files never wipe data, the preview names each change, the apply writes exactly that,
and a row for someone the uploader may not manage is refused."""
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from netral_learn.accounts import roster
from netral_learn.accounts.models import Person, Unit
from netral_learn.core.audit import AuditEvent
from netral_learn.extensions import db

TODAY = date(2026, 11, 23)
FULL = ("NIP,Nama,Jenis Pegawai,Unit Kerja,Jabatan,Golongan,Email,Telepon\n"
        "198609262015051001,Budi Santoso,PNS,Dinas Pendidikan,Guru,III/c,budi@example.go.id,0812 3456 7890\n"
        "199001012021211002,Siti Aminah,PPPK,Dinas Kesehatan,Perawat,IX,siti@example.go.id,0813 1111 2222\n")
BUDI, SITI = "198609262015051001", "199001012021211002"


@pytest.fixture
def tree(factory):
    return factory.tree()


def plan(text: str, **options):
    return roster.plan_import("roster.csv", text.encode(), scope_path=None, today=TODAY, **options)


def imported(tree):
    roster.apply_plan(None, plan(FULL))
    db.session.commit()


def person(nip: str) -> Person:
    db.session.expire_all()
    return db.session.scalar(select(Person).where(Person.nip == nip))


def test_absent_columns_and_empty_cells_leave_data_alone(ctx, tree):
    """Does a file without Jabatan, Email and Telepon (and with an empty Golongan cell) change nothing?"""
    imported(tree)
    partial = ("NIP,Nama,Jenis Pegawai,Unit Kerja,Golongan\n"
               f"{BUDI},Budi Santoso,PNS,Dinas Pendidikan,\n{SITI},Siti Aminah,PPPK,Dinas Kesehatan,IX\n")
    result = plan(partial)
    assert result.ok and result.unchanged == 2 and not result.updates
    budi = person(BUDI)
    assert (budi.jabatan, budi.golongan, budi.email, budi.phone) == ("Guru", "III/c", "budi@example.go.id",
                                                                     "0812 3456 7890")


def test_clearing_takes_the_marker_or_the_option(ctx, tree):
    """Is a field emptied only by '(kosongkan)' in its cell, or by the 'empty cells clear' option?"""
    imported(tree)
    marked = ("NIP,Nama,Jenis Pegawai,Unit Kerja,Email,Telepon\n"
              f"{BUDI},Budi Santoso,PNS,Dinas Pendidikan,(Kosongkan),\n")
    result = plan(marked)
    assert [c["fields"] for c in result.changes] == [{"email": ("budi@example.go.id", None)}]
    assert result.field_counts() == {"Email": {"changed": 1, "cleared": 1}}
    option = plan(marked.replace("(Kosongkan)", ""), empty_clears=True)
    assert option.changes[0]["fields"] == {"email": ("budi@example.go.id", None), "phone": ("0812 3456 7890", None)}
    roster.apply_plan(None, result)
    db.session.commit()
    assert person(BUDI).email is None and person(BUDI).phone == "0812 3456 7890"


def test_required_fields_cannot_be_cleared_and_new_people_need_a_unit(ctx, tree):
    """Is '(kosongkan)' in Nama refused, and is a new person without a unit a row error?"""
    imported(tree)
    text = ("NIP,Nama,Jenis Pegawai,Unit Kerja\n"
            f"{BUDI},(kosongkan),PNS,Dinas Pendidikan\n198702142012031003,Rahmat,PNS,\n")
    result = plan(text)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Nama"), (3, "Unit Kerja")]
    assert "tidak dapat dikosongkan" in result.errors[0].message and "pegawai baru" in result.errors[1].message


def test_stored_golongan_that_no_longer_fits_is_a_row_error(ctx, tree):
    """When jenis changes to non-ASN without a Golongan column, is the stale golongan named, not kept silently?"""
    imported(tree)
    result = plan(f"NIP,Nama,Jenis Pegawai,Unit Kerja\n{SITI},Siti Aminah,Honorer,Dinas Kesehatan\n")
    assert [(e.column, e.value) for e in result.errors] == [("Golongan", "IX")]
    assert "(kosongkan)" in result.errors[0].message


def test_apply_refuses_a_plan_that_moved_since_the_preview(ctx, tree):
    """If someone edits a person between preview and apply, is nothing written and the reason given?"""
    imported(tree)
    changed = FULL.replace("Guru,", "Kepala Sekolah,")
    previewed = plan(changed)
    shown = previewed.fingerprint
    person(BUDI).name = "Budi Santoso, S.Pd."
    db.session.commit()
    fresh = plan(changed)
    assert fresh.fingerprint != shown
    with pytest.raises(roster.PlanChanged) as caught:
        roster.apply_plan(None, fresh, expected=shown)
    assert "berubah sejak pratinjau" in str(caught.value.message)
    db.session.rollback()
    assert person(BUDI).jabatan == "Guru"
    roster.apply_plan(None, fresh, expected=fresh.fingerprint)
    db.session.commit()
    assert (person(BUDI).name, person(BUDI).jabatan) == ("Budi Santoso", "Kepala Sekolah")


def test_preview_page_lists_each_change_and_apply_matches_it(app, client, factory, tree, login_as):
    """Does the preview show old → new per person and counts per field, and does a moved database stop the apply?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    with app.test_request_context():
        imported(tree)
    login_as(admin)
    text = FULL.replace("Guru,", "Kepala Sekolah,").replace("siti@example.go.id", "(kosongkan)")
    response = client.post("/admin/impor", data={"file": (io.BytesIO(text.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Perubahan per kolom" in page and "Perubahan per pegawai" in page
    assert re.search(r"<del>Guru</del> → <ins>Kepala Sekolah</ins>", page)
    assert "siti@example.go.id</del>" in page and "(kosong)" in page
    changes = client.get(location + "/perubahan.csv").get_data(as_text=True)
    assert "Jabatan,Guru,Kepala Sekolah" in changes and "Email,siti@example.go.id,(kosong)" in changes
    with app.app_context():
        db.session.scalar(select(Person).where(Person.nip == BUDI)).jabatan = "Guru Madya"
        db.session.commit()
    token = location.rsplit("/", 1)[1]
    refused = client.post(f"/admin/impor/{token}/terapkan", data={"token": token}, follow_redirects=True)
    assert "berubah sejak pratinjau" in refused.get_data(as_text=True)
    assert "<del>Guru Madya</del>" in refused.get_data(as_text=True)  # the preview now shows the fresh plan
    with app.app_context():
        assert db.session.scalar(select(Person.email).where(Person.nip == SITI)) == "siti@example.go.id"
    applied = client.post(f"/admin/impor/{token}/terapkan", data={"token": token})
    assert applied.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Person.jabatan).where(Person.nip == BUDI)) == "Kepala Sekolah"
        assert db.session.scalar(select(Person.email).where(Person.nip == SITI)) is None


# --- who may be changed (issue 17 item 2) --------------------------------------------------------

def test_admin_cannot_change_a_peer_admin_or_themselves_by_import(ctx, factory, tree):
    """Is a row changing a peer admin (or oneself) a row error 'tidak berwenang mengubah pegawai ini', with nothing written?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"], name="Admin Satu")
    peer = factory.person(tree["a"], role="admin", scope=tree["root"], name="Admin Dua")
    staff = factory.person(tree["a"], name="Pegawai Biasa")
    actor = db.session.get(Person, admin.id)
    header = "NIP,Nama,Jenis Pegawai,Unit Kerja\n"
    rows = (f"{peer.nip},Admin Dua Diubah,PNS,Dinas Kesehatan\n{admin.nip},Admin Satu,PNS,Dinas Kesehatan\n"
            f"{staff.nip},Pegawai Baru Namanya,PNS,Dinas Pendidikan\n")
    result = roster.plan_import("r.csv", (header + rows).encode(), scope_path=tree["root"].path, actor=actor)
    assert [(e.row, e.column) for e in result.errors] == [(2, "NIP"), (3, "NIP")]
    assert all("tidak berwenang mengubah pegawai ini" in e.message.lower() for e in result.errors)
    with pytest.raises(roster.RosterFileError):
        roster.apply_plan(actor, result)
    assert db.session.get(Person, peer.id).name == "Admin Dua"
    same = roster.plan_import("r.csv", (header + f"{peer.nip},Admin Dua,PNS,Dinas Pendidikan\n").encode(),
                              scope_path=tree["root"].path, actor=actor)
    assert same.ok and same.unchanged == 1  # listing a peer unchanged (a full export) is fine


# --- operators (issue 18 item 3) -----------------------------------------------------------------

def test_operator_imports_only_when_allowed_and_only_in_their_subtree(app, client, factory, tree, login_as):
    """Can an admin allow operators to import, and are rows outside the operator's subtree or rank row errors?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    operator = factory.person(tree["a"], role="operator", scope=tree["a"])
    fellow = factory.person(tree["a1"], role="operator", scope=tree["a1"])
    elsewhere = factory.person(tree["b"])
    login_as(operator)
    assert client.get("/admin/impor").status_code == 403
    assert "Impor Roster" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        instansi = db.session.get(Unit, tree["root"].id)
        actor = db.session.get(Person, admin.id)
        roster.set_operator_import(actor, instansi, True)
        db.session.commit()
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "roster.operator_import"
    page = client.get("/admin/impor")
    assert page.status_code == 200 and "hanya dapat menambah dan mengubah pegawai di unit Anda" in page.get_data(as_text=True)
    assert "Impor Roster" in client.get("/").get_data(as_text=True)
    text = ("NIP,Nama,Jenis Pegawai,Unit Kerja\n"
            "198609262015051001,Budi Baru,PNS,Sekretariat\n"            # a1 is under a: fine ("Sekretariat" of a)
            "198702142012031003,Rina,PNS,Dinas Kesehatan\n"               # outside the subtree
            f"{fellow.nip},Operator Lain,PNS,Dinas Pendidikan\n"          # same rank
            f"{elsewhere.nip},Dipindah,PNS,Dinas Pendidikan\n")           # a person outside the subtree
    response = client.post("/admin/impor", data={"file": (io.BytesIO(text.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    report = client.get(response.headers["Location"] + "/kesalahan.csv").get_data(as_text=True)
    assert "3,Unit Kerja" in report and "4,NIP" in report and "tidak berwenang mengubah pegawai ini" in report.lower()
    assert "5,NIP" in report and "di luar wewenang" in report
    assert not any(line.startswith("2,") for line in report.splitlines())


def test_permission_setting_is_for_admins_of_that_instansi(app, client, factory, tree, login_as):
    """Is the operator-import switch refused to operators (403) and to admins of another instansi (404)?"""
    other_admin = factory.person(tree["other"], role="admin", scope=tree["other"])
    operator = factory.person(tree["a"], role="operator", scope=tree["a"])
    login_as(operator)
    assert client.post(f"/admin/impor/izin-operator/{tree['root'].id}", data={"allowed": "1"}).status_code == 403
    client.post("/keluar")
    login_as(other_admin)
    assert client.post(f"/admin/impor/izin-operator/{tree['root'].id}", data={"allowed": "1"}).status_code == 404
    page = client.get("/admin/impor").get_data(as_text=True)
    assert "Pemerintah Kota Lain" in page and "Izinkan operator" in page
    allowed = client.post(f"/admin/impor/izin-operator/{tree['other'].id}", data={"allowed": "1"})
    assert allowed.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, tree["other"].id).operators_import_roster
        assert not db.session.get(Unit, tree["root"].id).operators_import_roster


def test_cli_reports_mapping_and_clears_only_when_asked(app, tree, tmp_path):
    """Does `flask roster import` show the column mapping and per-field counts, and empty fields only with --empty-clears?"""
    with app.test_request_context():
        imported(tree)
    path = tmp_path / "sebagian.csv"
    path.write_text(f"NIP,Nama,Jenis Pegawai,Unit Kerja,Email\n{BUDI},Budi Santoso,PNS,Dinas Pendidikan,\n")
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["roster", "import", str(path)])
    assert kept.exit_code == 0 and "Email \u2192 Email" in kept.output and "0 diperbarui" in kept.output
    cleared = runner.invoke(args=["roster", "import", str(path), "--empty-clears"])
    assert cleared.exit_code == 0, cleared.output
    assert "Email: 1 berubah, 1 dikosongkan" in cleared.output and "1 diperbarui" in cleared.output
    with app.app_context():
        assert db.session.scalar(select(Person.email).where(Person.nip == BUDI)) is None
