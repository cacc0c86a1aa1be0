"""Exports say what they hold and when (local time), write numbers as numbers, survive any stored text,
and keep NIPs whole in a spreadsheet (checked with LibreOffice, a tool we did not write)."""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from netral_learn.core import clock
from netral_learn.core.spreadsheet import clean_text, safe_cell
from netral_learn.extensions import db

from .conftest import add_journey

#: PostgreSQL refuses NUL in text (SQLite stores it): on PostgreSQL the names carry the other controls only.
NUL = "" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "\x00"
#: 17.30 UTC on 7 December is 01.30 WITA on 8 December: the local date differs from the UTC one.
LATE_EVENING_UTC = datetime(2026, 12, 7, 17, 30, tzinfo=timezone.utc)


@pytest.fixture
def people(app, world, factory):
    tree, program = world["tree"], world["program"]
    odd_unit = factory.unit("Bidang\x1b Aneh\x07", tree["a"])
    rows = {
        "nul": factory.person(odd_unit, password=None, name=f"Ani{NUL}\x01 Nul\x0b", phone="0812-3456-7890"),
        "evil": factory.person(tree["a1"], password=None, name=f"=cmd|' /C calc'!A0{NUL}\x1f"),
        "plain": factory.person(tree["a1"], password=None, name="Budi Biasa"),
    }
    with app.test_request_context():
        add_journey(rows["nul"].id, program, modules=3, score=45.5)
        db.session.commit()
    return rows


def test_clean_text_drops_exactly_what_openpyxl_refuses():
    """Does the export cleaner drop every character openpyxl's ILLEGAL_CHARACTERS_RE refuses, and keep tab,
    newline and carriage return?"""
    for code in range(0x20):
        char = chr(code)
        assert (clean_text(f"a{char}b") == "ab") == bool(ILLEGAL_CHARACTERS_RE.match(char))
    assert safe_cell("\x00=1+1") == "'=1+1" and safe_cell(12.5) == 12.5


def test_exports_survive_control_characters_and_stay_formula_safe(app, world, people, client_for):
    """Do XLSX and CSV exports answer 200 when names hold NUL and control characters, drop them, and keep
    formula-like names as text?"""
    client = client_for(world["staff"]["admin"])
    program = world["program"]
    for url in (f"/laporan/ekspor.xlsx?program={program}", f"/laporan/tindak-lanjut.xlsx?program={program}"):
        response = client.get(url)
        assert response.status_code == 200, url
        book = load_workbook(io.BytesIO(response.data))
        values = [c.value for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert "Ani Nul" in values and "Bidang Aneh" in values
        assert "'=cmd|' /C calc'!A0" in values
        assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows() for cell in row)
    for url in (f"/laporan/ekspor.csv?program={program}", f"/laporan/tindak-lanjut.csv?program={program}"):
        response = client.get(url)
        assert response.status_code == 200 and b"\x00" not in response.data and b"\x1b" not in response.data


def test_exports_state_program_unit_filters_and_local_time(app, world, people, client_for):
    """Do the exports say program, unit, filters and 'data per' in WITA, and date their file names locally?"""
    clock.freeze(LATE_EVENING_UTC)
    client = client_for(world["staff"]["operator_a"])
    program, unit = world["program"], world["tree"]["a"]
    response = client.get(f"/laporan/tindak-lanjut.xlsx?program={program}&unit={unit.id}&step=kuis")
    assert f"tindak-lanjut-{program}-unit-{unit.id}-20261208.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "Keterangan"
    info = dict(book["Keterangan"].iter_rows(min_row=2, values_only=True))
    assert info["Program"] == "Sosialisasi Netralitas Pilkada" and info["Unit kerja"] == "Dinas Pendidikan"
    assert info["Instansi"] == "Pemerintah Kabupaten Uji" and info["Pilihan"] == "Kuis"
    assert info["Data per"] == "8 Desember 2026, 01.30 WITA"
    report = client.get(f"/laporan/ekspor.xlsx?program={program}&unit={unit.id}")
    assert "-20261208.xlsx" in report.headers["Content-Disposition"]
    assert dict(load_workbook(io.BytesIO(report.data))["Keterangan"].iter_rows(min_row=2, values_only=True))[
        "Data per"].endswith("WITA")
    rows = list(csv.reader(io.StringIO(client.get(f"/laporan/tindak-lanjut.csv?program={program}&unit={unit.id}")
                                       .data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[-3:] == ["Program", "Cakupan unit", "Data per"]
    assert rows[1][-3:] == ["Sosialisasi Netralitas Pilkada", "Dinas Pendidikan", "2026-12-08T01:30:00+08:00"]


def test_xlsx_numbers_are_numbers_with_a_number_format(app, world, people, client_for):
    """Are counts, percentages and scores real numbers in the XLSX, shown with a thousands/decimal format?"""
    client = client_for(world["staff"]["admin"])
    book = load_workbook(io.BytesIO(client.get(f"/laporan/ekspor.xlsx?program={world['program']}").data))
    sheet = book["Per Unit"]
    total = [row for row in sheet.iter_rows(min_row=2) if row[0].value == "Jumlah"][0]
    assert isinstance(total[1].value, int) and total[1].number_format == "#,##0"
    assert isinstance(total[3].value, (int, float)) and total[3].number_format == "#,##0.0"
    followup = book["Tindak Lanjut"]
    score = [row for row in followup.iter_rows(min_row=2) if row[0].value == "Ani Nul"][0][7]
    assert score.value == 45.5 and score.number_format == "#,##0.0"


def test_pages_write_numbers_the_indonesian_way(app, world, people, client_for, factory):
    """Does the report page write thousands with a dot and percentages with a comma ('33,3 %')?"""
    client = client_for(world["staff"]["admin"])
    page = client.get(f"/laporan?program={world['program']}").get_data(as_text=True)
    assert "\u00a0%)" in page and ",0\u00a0%" in page and ".0%" not in page
    with app.test_request_context():
        from netral_learn.core.i18n import format_number, format_percent
        assert (format_number(1250), format_percent(2.94)) == ("1.250", "2,9\u00a0%")


SOFFICE = shutil.which("soffice")


def _libreoffice(source, target_format: str, folder, infilter: str | None = None) -> bytes:
    """Convert ``source`` with LibreOffice headless (its own profile, so runs never collide)."""
    profile = folder / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                    *([f"--infilter={infilter}"] if infilter else []),
                    "--convert-to", target_format, "--outdir", str(folder / "out"), str(source)],
                   check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(folder)})
    [result] = (folder / "out").iterdir()
    return result.read_bytes()


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (libreoffice-calc-nogui) is not installed")
def test_libreoffice_keeps_nips_as_18_digit_text_in_the_xlsx(app, world, people, client_for, tmp_path):
    """Opened and saved again by LibreOffice, does the follow-up XLSX keep every NIP as 18-digit text, while
    the machine CSV splits into its columns but loses the NIP to a number (why pages steer to XLSX)?"""
    client = client_for(world["staff"]["admin"])
    source = tmp_path / "tindak-lanjut.xlsx"
    source.write_bytes(client.get(f"/laporan/tindak-lanjut.xlsx?program={world['program']}").data)
    resaved = load_workbook(io.BytesIO(_libreoffice(source, "xlsx", tmp_path)))
    nips = {row[0].value: row[1] for row in resaved["Tindak Lanjut"].iter_rows(min_row=2)}
    assert nips["Budi Biasa"].value == people["plain"].nip and nips["Budi Biasa"].data_type == "s"
    assert all(len(cell.value) == 18 and cell.value.isdigit() for name, cell in nips.items()
               if name and cell.value and not cell.value.startswith("TKK"))
    machine = tmp_path / "csv"
    machine.mkdir()
    (machine / "tindak-lanjut.csv").write_bytes(client.get(f"/laporan/tindak-lanjut.csv?program={world['program']}").data)
    # The machine format as a program reads it: comma, double quote, UTF-8 (LibreOffice's CSV filter 44,34,76).
    parsed = load_workbook(io.BytesIO(_libreoffice(machine / "tindak-lanjut.csv", "xlsx", machine,
                                                   "CSV:44,34,76,1"))).active
    header = [c.value for c in next(parsed.iter_rows(max_row=1))]
    assert header[:2] == ["Nama", "NIP / ID"] and header[-3:] == ["Program", "Cakupan unit", "Data per"]
    guessed = {row[0].value: row[1].value for row in parsed.iter_rows(min_row=2)}["Budi Biasa"]
    # The decision this test records: a spreadsheet guesses the CSV's NIP is a number and loses digits
    # (1.98506122010122e+17), whatever the separator; the pages steer people to the XLSX instead.
    assert guessed != people["plain"].nip
