"""Roster import of files shaped like real personnel exports (SIASN XLSX, Windows-1252 CSV), and of hostile cells."""
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from netral_learn.accounts import roster
from netral_learn.accounts.models import Person
from netral_learn.extensions import db

TODAY = date(2026, 11, 23)


@pytest.fixture
def tree(factory):
    return factory.tree()


def plan(data: bytes, name: str, **options):
    return roster.plan_import(name, data, scope_path=None, today=TODAY, **options)


def siasn_xlsx(first_jenis: str = "PNS Daerah") -> bytes:
    """A SIASN-style export: a title, a date line, a blank row, then the header; NIPs with Excel's apostrophe."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DAFTAR PEGAWAI NEGERI SIPIL PEMERINTAH KABUPATEN UJI"])
    sheet.append(["Keadaan per 30 November 2026"])
    sheet.append([])
    sheet.append(["NO", "NIP BARU", "NIP LAMA", "NAMA", "TEMPAT LAHIR", "JENIS PEGAWAI", "PANGKAT/GOLONGAN",
                  "JABATAN NAMA", "UNOR NAMA", "NOMOR HP", "EMAIL"])
    sheet.append([1, "'198609262015051001", "", "Budi Santoso, S.Pd.", "Tanah Grogot", first_jenis,
                  "Penata (III/c)", "Guru Ahli Muda", "Dinas Pendidikan", "'081234567890", "budi@example.go.id"])
    sheet.append([2, "'199001012021211002", None, "Siti Aminah", "Paser", "PPPK", "IX", "Perawat",
                  "Dinas Kesehatan", None, None])
    sheet.append([])
    sheet.append([3, "'198702142012031003", "", "Rahmat Hidayat", "Balikpapan", "CPNS Daerah", "III/a",
                  "Analis", "Dinas Pendidikan > Sekretariat", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_siasn_xlsx_with_title_rows_and_apostrophes(ctx, tree):
    """Is a SIASN export with a title, blank rows, apostrophe NIPs and its own headers imported whole?"""
    result = plan(siasn_xlsx(), "siasn.xlsx")
    assert result.ok, result.errors
    assert result.header_row == 4 and len(result.new) == 3
    mapping = dict(result.mapping)
    assert mapping["NIP BARU"] == "NIP" and mapping["UNOR NAMA"] == "Unit Kerja"
    assert mapping["PANGKAT/GOLONGAN"] == "Golongan" and mapping["JENIS PEGAWAI"] == "Jenis Pegawai"
    assert mapping["NIP LAMA"] is None and "TEMPAT LAHIR" in result.ignored_headers
    budi = next(r for r in result.new if r["nip"] == "198609262015051001")
    assert (budi["golongan"], budi["phone"], budi["jenis"].value) == ("III/c", "081234567890", "PNS")
    roster.apply_plan(None, result)
    db.session.commit()
    again = plan(siasn_xlsx(), "siasn.xlsx")
    assert again.ok and again.unchanged == 3 and not again.updates
    wrong = plan(siasn_xlsx(first_jenis="Tentara"), "siasn.xlsx")
    assert [(e.row, e.column) for e in wrong.errors] == [(5, "Jenis Pegawai")]  # the sheet's own row number


def test_windows_1252_csv_keeps_accented_names(ctx, tree):
    """Is an 'ANSI' CSV from Excel (semicolons, title row, é and ü) read right and its encoding reported?"""
    text = ("Daftar Pegawai;;;\r\n;;;\r\nNIP Baru;Nama Lengkap;Status ASN;Unit Organisasi\r\n"
            "'198609262015051001;Bénédicte Pürba;PNS;Dinas Pendidikan\r\n")
    result = plan(text.encode("cp1252"), "ansi.csv")
    assert result.ok, result.errors
    assert result.encoding == "Windows-1252" and result.header_row == 3
    assert result.new[0]["name"] == "Bénédicte Pürba"
    roster.apply_plan(None, result)
    db.session.commit()
    assert db.session.scalar(select(Person.name)) == "Bénédicte Pürba"


def test_preview_page_shows_mapping_encoding_and_names(app, client, factory, tree, login_as):
    """Does the preview show the header row, the encoding guess, the column mapping and the names read?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    text = "NIP Baru;Nama;Jenis Pegawai;Unor;Agama\r\n198609262015051001;Bénédicte;PNS;Dinas Pendidikan;Islam\r\n"
    response = client.post("/admin/impor", data={"file": (io.BytesIO(text.encode("cp1252")), "ansi.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Windows-1252" in page and "Bénédicte" in page and "Baris judul: baris 1" in page
    assert "NIP Baru" in page and "Agama" in page and "diabaikan" in page


def test_nul_after_4kb_and_control_characters_are_row_errors(app, client, factory, tree, login_as):
    """Are a NUL deep in a CSV and a control character in a unit name row errors, with nothing written (no 500)?"""
    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    lines = ["NIP,Nama,Jenis Pegawai,Unit Kerja"]
    lines += [f"TKK-{n:04d},Pegawai Honorer Nomor {n},Honorer,Dinas Pendidikan" for n in range(150)]
    lines += ["TKK-9001,Bu\x00di,Honorer,Dinas Pendidikan", "TKK-9002,Budi,Honorer,Dinas Pendidikan\x07"]
    data = ("\n".join(lines) + "\n").encode()
    assert data.index(b"\x00") > 4096
    response = client.post("/admin/impor", data={"file": (io.BytesIO(data), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Terapkan impor" not in page and "NUL" in page and "Bu\\x00di" in page
    report = client.get(location + "/kesalahan.csv").get_data(as_text=True)
    assert "152,Nama" in report and "153,Unit Kerja" in report
    token = location.rsplit("/", 1)[1]
    applied = client.post(f"/admin/impor/{token}/terapkan", data={"token": token})
    assert applied.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 1  # only the admin


def test_xlsx_zip_bomb_is_refused_on_the_page(app, client, factory, tree, login_as):
    """Does the upload page refuse a zip-bomb XLSX with a clear message (400, nothing staged)?"""
    from bench.uploads import zip_bomb

    admin = factory.person(tree["root"], role="admin", scope=tree["root"])
    login_as(admin)
    response = client.post("/admin/impor", data={"file": (io.BytesIO(zip_bomb()), "roster.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "zip bomb" in response.get_data(as_text=True)


def test_quiz_import_shares_the_checks(ctx, factory):
    """Does the question-bank import refuse a NUL and a control character per row, as the roster does?"""
    from netral_learn.courses.models import CourseVersion
    from netral_learn.quiz import bank

    course = db.session.get(CourseVersion, factory.course(modules=1)).course
    text = ("Judul bank soal\n\nTipe,Soal,Pilihan A,Pilihan B,Jawaban\n"
            "single,Soal satu\x00,Ya,Tidak,A\nsingle,Soal dua,Ya\x1b,Tidak,A\nsingle,Soal tiga,Ya,Tidak,A\n")
    result = bank.plan_import(course, "soal.csv", text.encode())
    assert [(e.row, e.column) for e in result.errors] == [(4, "Soal"), (5, "Pilihan A")]
    assert result.header_row == 3


def test_siasn_titles_join_the_name_and_lone_dashes_are_empty(ctx, tree):
    """Are SIASN's Gelar Depan/Belakang put around the name (once), and is a lone '-' an empty cell, not a formula?"""
    text = ("NIP Baru;Gelar Depan;Nama;Gelar Belakang;Jenis Pegawai;Unor;Pangkat/Golongan;Nomor HP\n"
            "198609262015051001;dr.;Rina Wulandari;Sp.A;PNS Daerah;Dinas Kesehatan;Pembina (IV/a);-\n"
            "199001012021211002;-;Budi Santoso;S.Pd.;PPPK;Dinas Pendidikan;-;-\n"
            "198702142012031003;;Siti Aminah, S.E.;S.E.;PNS;Dinas Pendidikan;III/a;\n")
    result = plan(text.encode("utf-8"), "siasn.csv")
    assert result.ok, result.errors
    names = {r["nip"]: (r["name"], r["golongan"], r["phone"]) for r in result.new}
    assert names == {"198609262015051001": ("dr. Rina Wulandari, Sp.A", "IV/a", None),
                     "199001012021211002": ("Budi Santoso, S.Pd.", None, None),
                     "198702142012031003": ("Siti Aminah, S.E.", "III/a", None)}
    assert dict(result.mapping)["Gelar Depan"] == "Gelar Depan"
