"""Roster import: all or nothing, idempotent, every kind of bad input named clearly."""
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from netral_learn.accounts import roster
from netral_learn.accounts.models import Person
from netral_learn.extensions import db

TODAY = date(2026, 11, 23)
HEADER = "NIP,Nama,Jenis Pegawai,Unit Kerja,Jabatan,Golongan,Email,Telepon\n"
GOOD = (
    "198609262015051001,Budi Santoso,PNS,Dinas Pendidikan,Guru,III/c,budi@example.go.id,+62 812-3456-7890\n"
    "199001012021211002,Siti Aminah,PPPK,Dinas Kesehatan,Perawat,IX,,\n"
    "TKK-001,Joko Susilo,Honorer,Dinas Pendidikan > Sekretariat,Pengemudi,,,\n"
)


def csv_bytes(body: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + body).encode(encoding)


def people_count() -> int:
    return db.session.scalar(select(func.count(Person.id)))


@pytest.fixture
def tree(factory):
    return factory.tree()


def plan(data: bytes, name: str = "roster.csv", scope=None):
    return roster.plan_import(name, data, scope_path=scope, today=TODAY)


def test_clean_file_imports_everyone_and_reimport_changes_nothing(ctx, tree):
    """Does a clean file create everyone, and does importing it again change nothing?"""
    first = plan(csv_bytes(GOOD))
    assert first.ok and len(first.new) == 3 and not first.updates
    roster.apply_plan(None, first)
    db.session.commit()
    assert people_count() == 3
    honorer = db.session.scalar(select(Person).where(Person.nip == "TKK-001"))
    assert honorer.unit_id == tree["a1"].id and honorer.jenis.value == "NON_ASN"
    assert honorer.must_change_password and honorer.initial_password_enc
    second = plan(csv_bytes(GOOD))
    assert second.ok and not second.new and not second.updates and second.unchanged == 3


def test_changed_row_updates_only_that_person(ctx, tree):
    """Is a changed jabatan an update of the existing person, not a new one?"""
    roster.apply_plan(None, plan(csv_bytes(GOOD)))
    db.session.commit()
    changed = GOOD.replace("Guru,III/c", "Kepala Sekolah,III/d")
    result = plan(csv_bytes(changed))
    assert len(result.updates) == 1 and result.unchanged == 2
    roster.apply_plan(None, result)
    db.session.commit()
    budi = db.session.scalar(select(Person).where(Person.nip == "198609262015051001"))
    assert (budi.jabatan, budi.golongan) == ("Kepala Sekolah", "III/d")


@pytest.mark.parametrize("body, column, words", [
    ("19860926201505100,Budi,PNS,Dinas Pendidikan,,,,\n", "NIP", "18 digit"),
    ("198613262015051001,Budi,PNS,Dinas Pendidikan,,,,\n", "NIP", "tanggal lahir"),
    ("198702142012031003,Budi,PNS,Dinas Pertanian,,,,\n", "Unit Kerja", "tidak dikenal"),
    ("198702142012031003,Budi,PNS,Sekretariat,,,,\n", "Unit Kerja", "dipakai 2 unit"),
    ("198702142012031003,=CMD(\"calc\"),PNS,Dinas Pendidikan,,,,\n", "Nama", "rumus"),
    ("198702142012031003,Budi,PNS,Dinas Pendidikan,@SUM(A1),,,\n", "Jabatan", "rumus"),
    ("198702142012031003,Budi,Tentara,Dinas Pendidikan,,,,\n", "Jenis Pegawai", "tidak dikenal"),
    ("198702142012031003,Budi,PNS,Dinas Pendidikan,,V/a,,\n", "Golongan", "I/a sampai IV/e"),
    ("198702142012031003,Budi,PNS,Dinas Pendidikan,,,bukan-email,\n", "Email", "email"),
    ("TKK-9,Budi,Non-ASN,Dinas Pendidikan,,III/a,,\n", "Golongan", "non-ASN"),
])
def test_bad_row_is_reported_and_nothing_is_written(ctx, tree, body, column, words):
    """Is each kind of bad row named by row, column and reason, with nothing written?"""
    result = plan(csv_bytes(GOOD + body))
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(5, column)]
    assert words in result.errors[0].message
    with pytest.raises(roster.RosterFileError):
        roster.apply_plan(None, result)
    assert people_count() == 0


def test_duplicate_nip_inside_one_file(ctx, tree):
    """Is the second occurrence of a NIP reported with the row of the first?"""
    body = GOOD + "198609262015051001,Budi Lagi,PNS,Dinas Kesehatan,,,,\n"
    result = plan(csv_bytes(body))
    assert [(e.row, e.column) for e in result.errors] == [(5, "NIP")]
    assert "baris 2" in result.errors[0].message


@pytest.mark.parametrize("name, data, words", [
    ("roster.pdf", b"%PDF-1.4", "tidak didukung"),
    ("roster.csv", b"", "kosong"),
    ("roster.csv", csv_bytes("198609262015051001,Budi,PNS,Dinas Pendidikan,,,,\n", "NIP,Nama Lengkap\n"), "Jenis Pegawai"),
    ("roster.csv", csv_bytes("198609262015051001,Budi,PNS,Dinas Pendidikan,,,,\n") + b"\x81\x8d\x90", "UTF-8"),
    ("roster.xlsx", b"this is not a zip", "bukan XLSX"),
    ("roster.csv", b"PK\x03\x04rest-of-a-zip", "bukan CSV"),
    ("roster.csv", HEADER.encode(), "tidak berisi baris"),
])
def test_unreadable_files_get_a_clear_message(ctx, tree, name, data, words):
    """Do a wrong type, an empty file, a missing header and an undecodable CSV each get a clear message?"""
    with pytest.raises(roster.RosterFileError) as caught:
        plan(data, name)
    assert words in str(caught.value.message)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_import_and_numeric_nip_cells(ctx, tree):
    """Does an XLSX import work, and is a NIP stored as a number (digits lost) refused?"""
    headers = ["NIP", "Nama", "Jenis Pegawai", "Unit Kerja"]
    good = xlsx_bytes([headers, ["198609262015051001", "Budi", "PNS", "Dinas Pendidikan"]])
    assert plan(good, "roster.xlsx").ok
    numeric = xlsx_bytes([headers, [198609262015051001, "Budi", "PNS", "Dinas Pendidikan"]])
    result = plan(numeric, "roster.xlsx")
    assert result.errors[0].column == "NIP" and "Teks" in result.errors[0].message


def test_xlsx_missing_header_names_the_column(ctx, tree):
    """Does an XLSX without a required header say which column is missing?"""
    data = xlsx_bytes([["NIP", "Nama", "Unit Kerja"], ["198609262015051001", "Budi", "Dinas Pendidikan"]])
    with pytest.raises(roster.RosterFileError) as caught:
        plan(data, "roster.xlsx")
    assert "Jenis Pegawai" in str(caught.value.message)


def test_semicolon_csv_and_header_aliases(ctx, tree):
    """Is an Excel-ID export (semicolons, other header names, BOM) understood?"""
    data = "\ufeffNIP Baru;Nama Lengkap;Status Kepegawaian;OPD\n198609262015051001;Budi;CPNS;Inspektorat\n"
    tree_units = tree  # noqa: F841 - Inspektorat lives in the other instansi
    result = plan(data.encode("utf-8"))
    assert result.ok and result.new[0]["jenis"].value == "PNS"


def test_scope_limits_units_and_existing_people(ctx, tree, factory):
    """Can an admin of one instansi neither place people in, nor take people from, another?"""
    other_person = factory.person(tree["other_opd"])
    scope = tree["root"].path
    outside_unit = plan(csv_bytes("198609262015051001,Budi,PNS,Inspektorat,,,,\n"), scope=scope)
    assert "tidak dikenal" in outside_unit.errors[0].message
    steal = plan(csv_bytes(f"{other_person.nip},Dicuri,PNS,Dinas Pendidikan,,,,\n"), scope=scope)
    assert "di luar wewenang" in steal.errors[0].message


def test_upload_page_dry_run_then_apply(app, client, factory, tree, login_as):
    """Through the pages: does an admin see a preview first, and is nothing written before 'Terapkan'?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    response = client.post("/admin/impor", data={"file": (io.BytesIO(csv_bytes(GOOD)), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Terapkan impor" in preview
    with app.app_context():
        assert people_count() == 1  # only the admin
    token = response.headers["Location"].rsplit("/", 1)[1]
    applied = client.post(f"/admin/impor/{token}/terapkan", data={"token": token})
    assert applied.status_code == 302
    with app.app_context():
        assert people_count() == 4


def test_upload_with_errors_offers_the_error_report(app, client, factory, tree, login_as):
    """Can the admin download a per-row error report (row, column, reason)?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    bad = csv_bytes(GOOD + "123,Budi,PNS,Dinas Pendidikan,,,,\n")
    response = client.post("/admin/impor", data={"file": (io.BytesIO(bad), "roster.csv")},
                           content_type="multipart/form-data")
    location = response.headers["Location"]
    assert "Terapkan impor" not in client.get(location).get_data(as_text=True)
    report = client.get(location + "/kesalahan.csv").get_data(as_text=True)
    assert "Baris,Kolom,Isi,Alasan" in report and "5,NIP,123," in report


def test_upload_rejections(app, client, factory, tree, login_as):
    """Are a wrong file type and a 50 MB upload refused with Indonesian messages?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    wrong = client.post("/admin/impor", data={"file": (io.BytesIO(b"x"), "roster.exe")},
                        content_type="multipart/form-data")
    assert wrong.status_code == 400 and "tidak didukung" in wrong.get_data(as_text=True)
    huge = client.post("/admin/impor", data={"file": (io.BytesIO(b"0" * (50 * 1024 * 1024)), "roster.csv")},
                       content_type="multipart/form-data")
    assert huge.status_code == 413 and "melebihi batas 20 MB" in huge.get_data(as_text=True)
    with app.app_context():
        assert people_count() == 1


def test_operator_cannot_import(client, factory, tree, login_as):
    """Is roster import an admin task only?"""
    operator = factory.person(tree["a"], role="operator", scope=tree["a"])
    login_as(operator)
    assert client.get("/admin/impor").status_code == 403


def test_templates_download(client, factory, tree, login_as):
    """Are the XLSX and CSV templates downloadable with the recognised headers?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    xlsx = client.get("/admin/impor/templat.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    csv_text = client.get("/admin/impor/templat.csv").get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").startswith("NIP,Nama,Jenis Pegawai,Unit Kerja")


def test_cli_import_dry_run_and_apply(app, tree, tmp_path):
    """Does `flask roster import` validate, honour --dry-run and then apply?"""
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(GOOD))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["roster", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "baru: 3" in dry.output
    with app.app_context():
        assert people_count() == 0
    applied = runner.invoke(args=["roster", "import", str(path)])
    assert applied.exit_code == 0 and "3 baru" in applied.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("123,Budi,PNS,Dinas Pendidikan,,,,\n"))
    failed = runner.invoke(args=["roster", "import", str(bad)])
    assert failed.exit_code == 1 and "Tidak ada data yang disimpan" in failed.output
