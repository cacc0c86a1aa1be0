"""Exports read back: XLSX sheets and styling, CSV with BOM, the official PDF's text, formula injection, CLI."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from netral_learn.accounts.models import Unit
from netral_learn.certificates.models import CertificateSettings
from netral_learn.core import audit
from netral_learn.extensions import db

from .conftest import add_journey

EVIL_UNIT = "=HYPERLINK(\"http://evil.example\",\"klik\")"
EVIL_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def filled(app, world, factory):
    """Journeys in both OPDs, a unit and a person with formula-like names, signer settings, an audit entry."""
    tree, program = world["tree"], world["program"]
    evil_unit = factory.unit(EVIL_UNIT, tree["b"])
    evil = factory.person(evil_unit, password=None, name=EVIL_NAME, golongan="III/a", email="-2+3@contoh.go.id")
    done = factory.person(tree["a1"], password=None, name="Sari Lengkap", golongan="III/b")
    with app.test_request_context():
        add_journey(done.id, program, modules=3, quiz=True, pact=True, certificate="valid", score=95, pretest=55)
        add_journey(evil.id, program, modules=1, score=None)
        db.session.add(CertificateSettings(instansi_id=tree["root"].id, place="Tanah Grogot",
                                           signer_name="Drs. Kepala Badan, M.Si.", signer_nip="197001011995031001",
                                           signer_title="Kepala BKPSDM", signer_rank="Pembina Utama Muda (IV/c)"))
        audit.record(None, "test.entry", "report:1")
        db.session.commit()
    return {"evil_unit": evil_unit, "evil": evil, "done": done}


def test_xlsx_has_a_sheet_per_breakdown_with_styled_headers(app, world, filled, client_for):
    """Does the XLSX hold Per Unit, Per Jenis, Per Golongan and Tindak Lanjut sheets, bold filled headers,
    widths, the right numbers, and formula-like names stored as text?"""
    client = client_for(world["staff"]["admin"])
    response = client.get(f"/laporan/ekspor.xlsx?program={world['program']}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Keterangan", "Per Unit", "Per Jenis", "Per Golongan", "Tindak Lanjut"]
    units = book["Per Unit"]
    header = [c.value for c in units[1]]
    assert header[:4] == ["Unit kerja", "Sasaran", "Mulai belajar", "% Mulai belajar"]
    assert units["A1"].font.bold and units["A1"].fill.fgColor.rgb.endswith("1F4E79")
    assert units.column_dimensions["A"].width == 40 and units.freeze_panes == "A2"
    rows = {r[0]: r for r in units.iter_rows(min_row=2, values_only=True)}
    assert rows["Dinas Pendidikan"][1:4] == (3, 1, 33.3)
    assert rows["Jumlah"][1] == 7  # two operators, participant, admin and superadmin (in the root), two new people
    golongan = [r[0] for r in book["Per Golongan"].iter_rows(min_row=2, values_only=True)]
    assert golongan == ["III/a", "III/b", "Tanpa golongan", "Jumlah"]
    followup = list(book["Tindak Lanjut"].iter_rows(min_row=2, values_only=True))
    assert "Sari Lengkap" not in [r[0] for r in followup]
    evil_row = next(r for r in followup if r[0].endswith(EVIL_NAME))
    assert evil_row[0] == "'" + EVIL_NAME and evil_row[5] == "'-2+3@contoh.go.id" and evil_row[6] == "Modul 1 dari 3"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"


def test_csv_has_a_bom_and_every_breakdown(app, world, filled, client_for):
    """Is the CSV UTF-8 with BOM, with unit, jenis, golongan and total rows, and formula text neutralized?"""
    client = client_for(world["staff"]["operator_b"])
    response = client.get(f"/laporan/ekspor.csv?program={world['program']}")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Kelompok", "Nama", "Sasaran"]
    kinds = {row[0] for row in rows[1:]}
    assert kinds == {"Unit kerja", "Jenis pegawai", "Golongan", "Jumlah"}
    names = [row[1] for row in rows if row[0] == "Unit kerja"]
    assert names == ["'" + EVIL_UNIT, "Langsung di Dinas Kesehatan"]  # nobody works in its Sekretariat
    assert "Dinas Pendidikan" not in response.data.decode("utf-8-sig")


def test_official_pdf_has_letterhead_table_chart_signer_and_audit_hash(app, world, filled, client_for):
    """Does the PDF carry the kop surat, period, the per-OPD table, the chart, the Kepala BKPSDM and the hash?"""
    client = client_for(world["staff"]["admin"])
    response = client.get(f"/laporan/ekspor.pdf?program={world['program']}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "PEMERINTAH KABUPATEN UJI" in text
    assert "BADAN KEPEGAWAIAN DAN PENGEMBANGAN SUMBER DAYA MANUSIA" in text
    assert "Sosialisasi Netralitas Pilkada" in text and "Periode program" in text
    assert "Dinas Pendidikan" in text and "Dinas Kesehatan" in text
    assert "0 % 25 % 50 % 75 % 100 %" in text and "Dinas Pendidikan 33,3 %" in text  # the chart's axis and a bar
    assert re.search(r"Data per \d{1,2} \w+ 20\d\d, \d\d\.\d\d WITA", text)  # the instansi's local time
    assert "Kepala BKPSDM" in text and "Drs. Kepala Badan, M.Si." in text and "NIP 197001011995031001" in text
    assert "Tanah Grogot" in text
    with app.app_context():
        head = audit.current_head()  # the export itself is the newest entry, and it is anchored
        assert f"Hash log audit: {head.seq}:{head.hash}" in text
        assert f"Jangkar log audit: entri {head.seq}, ditandatangani BKPSDM Kabupaten Uji" in text
    assert b"/JavaScript" not in response.data and b"/JS " not in response.data


def test_pdf_chart_is_svg_drawn_on_the_server(app, world, filled):
    """Is the chart an inline SVG with one bar per OPD, sized by its completion rate?"""
    from netral_learn.core.clock import now_utc
    from netral_learn.courses.models import Program
    from netral_learn.reports import exports, funnel

    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        report = funnel.build_report(program, db.session.get(Unit, world["tree"]["root"].id), now_utc())
        html = exports.report_pdf_html(report)
        chart = exports.bar_chart(report.children)
    assert html.count("<rect ") == len(report.children) == 3
    widths = {bar.label: bar.width for bar in chart.bars}
    assert widths["Dinas Pendidikan"] == pytest.approx(chart.plot_width / 3, abs=0.5)
    assert widths["Dinas Kesehatan"] == 0
    assert "<script" not in html


def test_cli_export_writes_each_format(app, world, filled, tmp_path):
    """Does `flask report export` write XLSX, CSV and PDF files, for the instansi or one unit?"""
    runner = app.test_cli_runner()
    for fmt in ("xlsx", "csv", "pdf"):
        output = tmp_path / f"laporan.{fmt}"
        result = runner.invoke(args=["report", "export", "--program", str(world["program"]),
                                     "--unit", str(world["tree"]["a"].id), "--format", fmt, "--output", str(output)])
        assert result.exit_code == 0, result.output
        assert "3 sasaran, 1 bersertifikat (33.3%)" in result.output
        assert output.stat().st_size > 0 and not list(tmp_path.glob(".*.part"))
    book = load_workbook(tmp_path / "laporan.xlsx", read_only=True)
    assert [r[0] for r in book["Per Unit"].iter_rows(min_row=2, values_only=True)] == \
        ["Sekretariat", "Langsung di Dinas Pendidikan", "Jumlah"]
    assert (tmp_path / "laporan.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Dinas Pendidikan" in PdfReader(str(tmp_path / "laporan.pdf")).pages[0].extract_text()


def test_cli_export_refuses_a_unit_of_another_instansi(app, world, tmp_path):
    """Is a unit of another instansi refused with a clear message and no file?"""
    output = tmp_path / "x.csv"
    result = app.test_cli_runner().invoke(args=["report", "export", "--program", str(world["program"]), "--unit",
                                                str(world["tree"]["other_opd"].id), "--format", "csv",
                                                "--output", str(output)])
    assert result.exit_code != 0 and "tidak ada di instansi program" in result.output
    assert not output.exists()


def test_large_xlsx_is_written_in_write_only_mode(app, tmp_path):
    """Does a 20 000-row sheet stream from a generator (write-only workbook) and read back intact?"""
    from netral_learn.core.spreadsheet import write_xlsx

    rows = ([f"Pegawai {i}", i, "=1+1" if i == 7 else "ok"] for i in range(20000))
    target = tmp_path / "besar.xlsx"
    write_xlsx([("Besar", ["Nama", "No", "Isi"], rows, [20, 8, 8])], target)
    sheet = load_workbook(target, read_only=True)["Besar"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 20001 and values[8] == ("Pegawai 7", 7, "'=1+1")


def test_official_pdf_stays_indonesian_under_the_english_interface(app, world, filled, client_for):
    """Is the official report in Indonesian even when the admin browses in English?"""
    client = client_for(world["staff"]["admin"])
    client.post("/bahasa/en", data={"next": "/laporan"})
    response = client.get(f"/laporan/ekspor.pdf?program={world['program']}")
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    assert "Laporan Pelaksanaan Program" in text and "Periode program" in text and "Langsung di" in text
