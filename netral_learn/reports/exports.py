"""Report exports: XLSX (a sheet per breakdown plus the follow-up list), CSV, and the official PDF.

Every spreadsheet cell passes through ``core.spreadsheet.safe_cell`` (unit and people names are
typed by admins and rosters: control characters are dropped, formulas neutralized); the XLSX is
written in openpyxl's write-only mode from generators, so a large follow-up sheet never sits in
memory. The PDF is a trusted template rendered by WeasyPrint with a server-side SVG chart (no
JavaScript in PDFs) and a fresh signed anchor of the audit log.

Every export states what it holds (:class:`ExportInfo`): the XLSX on a first sheet "Keterangan",
the PDF in its heading table, the CSV in three columns of every row. File names carry the
instansi's local date. Numbers in XLSX are real numbers with a number format.

The CSV is the *machine* format (RFC 4180: comma, UTF-8 with BOM, one header row, ISO 8601 time):
a spreadsheet opening a CSV guesses each column's type and turns an 18-digit NIP into 1.98E+17
whatever the separator, and an Indonesian-locale Excel expects ';'. People who open the file in
Excel or LibreOffice are steered to the XLSX, whose NIPs are text cells (tested with LibreOffice).
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..accounts.models import Unit
from ..certificates.services import settings_for
from ..core.i18n import format_date_id, format_datetime_zone, local_date
from ..core.pdf import render_pdf
from ..core.spreadsheet import DECIMAL, INTEGER, csv_bytes, write_xlsx
from ..courses.models import Program
from ..auditlog import anchors as audit_anchors
from . import followup
from .funnel import SCORE_BANDS, STEP_LABELS, STEPS, FunnelReport, FunnelRow
from .snapshot import current_report

FORMATS = ("xlsx", "csv", "pdf")
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ExportInfo:
    """What an export states about itself: program, instansi, unit, filters and the local time of its data."""

    program: str
    instansi: str
    unit: str
    filters: str
    as_of: str  # '8 Desember 2026, 09.05 WITA'
    as_of_iso: str  # '2026-12-08T09:05:00+08:00', for the machine format
    local_day: date


def export_info(program: Program, unit: Unit, as_of: datetime, zone: str, filters: str | None = None) -> ExportInfo:
    """The export's description with ``as_of`` in the instansi's zone (WIB/WITA/WIT)."""
    return ExportInfo(program.title, program.instansi.name, unit.name, filters or str(_l("Semua pegawai sasaran")),
                      format_datetime_zone(as_of, zone), as_of.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"),
                      local_date(as_of, zone))


def report_info(report: FunnelReport) -> ExportInfo:
    return export_info(report.program, report.unit, report.as_of, report.zone)


def info_sheet(info: ExportInfo, note: str | None = None) -> tuple:
    """The first sheet of a workbook: what it holds and from when."""
    rows = [(str(_l("Program")), info.program), (str(_l("Instansi")), info.instansi),
            (str(_l("Unit kerja")), info.unit), (str(_l("Pilihan")), info.filters),
            (str(_l("Data per")), info.as_of)]
    if note:
        rows.append((str(_l("Catatan")), note))
    return (str(_l("Keterangan")), [str(_l("Keterangan")), str(_l("Isi"))], rows, [18, 70])


def _info_columns(info: ExportInfo) -> list[str]:
    return [info.program, info.unit, info.as_of_iso]


def _info_headers() -> list[str]:
    return [str(_l("Program")), str(_l("Cakupan unit")), str(_l("Data per"))]


def summary_headers(first: str) -> list[str]:
    """Column titles of a summary sheet whose first column is ``first`` (Unit kerja, Jenis, …)."""
    headers = [first, str(_l("Sasaran"))]
    for step in STEPS:
        headers += [str(STEP_LABELS[step]), f"% {STEP_LABELS[step]}"]
    headers += [str(_l("Rata-rata nilai kuis"))] + [str(_l("Nilai %(band)s", band=label)) for *_b, label in SCORE_BANDS]
    headers += [str(_l("Peserta dengan pra-tes")), str(_l("Rata-rata pra-tes")), str(_l("Rata-rata pasca-tes")),
                str(_l("Kenaikan rata-rata"))]
    return headers


def summary_cells(row: FunnelRow) -> list:
    """One summary row's cell values, in :func:`summary_headers` order."""
    cells: list = [row.label, row.targeted]
    for step in STEPS:
        cells += [row.count(step), row.percent(step)]
    cells += [_blank(row.average_score), *row.bands]
    cells += [row.paired, _blank(row.average_pre), _blank(row.average_post), _blank(row.average_gain)]
    return cells


def _blank(value):
    return "" if value is None else value


def _summary_widths(first: int) -> list[int]:
    return [first, 10] + [12, 9] * len(STEPS) + [12] + [9] * len(SCORE_BANDS) + [12, 12, 12, 12]


#: Number formats of a summary row, in :func:`summary_headers` order.
SUMMARY_FORMATS = ([None, INTEGER] + [INTEGER, DECIMAL] * len(STEPS) + [DECIMAL] + [INTEGER] * len(SCORE_BANDS)
                   + [INTEGER, DECIMAL, DECIMAL, DECIMAL])


def _summary(rows: list[FunnelRow], total: FunnelRow):
    yield from (summary_cells(row) for row in rows)
    yield summary_cells(_total_row(total))


def _total_row(total: FunnelRow) -> FunnelRow:
    return replace(total, label=str(_l("Jumlah")))


def report_sheets(report: FunnelReport, followup_rows, modules: int) -> list[tuple]:
    """The XLSX sheets: what it holds, per child unit, per jenis, per golongan, then the follow-up list."""
    zone = report.zone
    return [
        info_sheet(report_info(report)),
        (str(_l("Per Unit")), summary_headers(str(_l("Unit kerja"))), _summary(report.children, report.total),
         _summary_widths(40), SUMMARY_FORMATS),
        (str(_l("Per Jenis")), summary_headers(str(_l("Jenis pegawai"))), _summary(report.by_jenis, report.total),
         _summary_widths(16), SUMMARY_FORMATS),
        (str(_l("Per Golongan")), summary_headers(str(_l("Golongan"))), _summary(report.by_golongan, report.total),
         _summary_widths(16), SUMMARY_FORMATS),
        _followup_sheet(followup_rows, modules, zone),
    ]


def _followup_sheet(followup_rows, modules: int, zone: str) -> tuple:
    return (str(_l("Tindak Lanjut")), [str(h) for h in followup.EXPORT_HEADERS],
            followup.export_rows(followup_rows, modules, zone), list(followup.EXPORT_WIDTHS),
            followup.EXPORT_FORMATS)


def write_report_xlsx(report: FunnelReport, followup_rows, modules: int, target) -> None:
    """Write the report workbook to a file object or path (write-only: flat memory)."""
    write_xlsx(report_sheets(report, followup_rows, modules), target)


def report_csv(report: FunnelReport) -> bytes:
    """One CSV (the machine format: UTF-8 with BOM, comma) holding every breakdown, told apart by its
    first column; the last columns say the program, the unit and the time of the data on every row."""
    groups = ((_l("Unit kerja"), report.children), (_l("Jenis pegawai"), report.by_jenis),
              (_l("Golongan"), report.by_golongan), (_l("Jumlah"), [report.total]))
    info = _info_columns(report_info(report))
    rows = ([str(kind), *summary_cells(row), *info] for kind, group in groups for row in group)
    return csv_bytes([str(_l("Kelompok")), *summary_headers(str(_l("Nama"))), *_info_headers()], rows)


def followup_csv(followup_rows, modules: int, info: ExportInfo, zone: str) -> bytes:
    """The follow-up list alone as CSV (the machine format), program, unit and time on every row."""
    extra = _info_columns(info)
    return csv_bytes([str(h) for h in followup.EXPORT_HEADERS] + _info_headers(),
                     (row + extra for row in followup.export_rows(followup_rows, modules, zone)))


def write_followup_xlsx(followup_rows, modules: int, info: ExportInfo, zone: str, target) -> None:
    """The follow-up list as a workbook (write-only): what it holds, then the list."""
    write_xlsx([info_sheet(info), _followup_sheet(followup_rows, modules, zone)], target)


# --- PDF -----------------------------------------------------------------------------------

@dataclass
class Bar:
    """One bar of the PDF chart, in SVG user units."""

    label: str
    percent: float
    y: float
    width: float


@dataclass
class BarChart:
    """Size, plot area, bars and axis ticks of the PDF chart."""

    width: float
    height: float
    label_width: float
    plot_width: float
    row_height: float
    bars: list[Bar]
    ticks: list[tuple[float, int]]


def bar_chart(rows: list[FunnelRow], step: str = "certificate", width: float = 640, row_height: float = 22
              ) -> BarChart:
    """Geometry of a horizontal bar chart of ``step``'s completion % per row (drawn by the template)."""
    label_width = 220
    plot_width = width - label_width - 50
    bars = [Bar(_shorten(row.label, 34), row.percent(step), 24 + i * row_height,
                plot_width * row.percent(step) / 100) for i, row in enumerate(rows)]
    ticks = [(label_width + plot_width * t / 100, t) for t in (0, 25, 50, 75, 100)]
    return BarChart(width, 24 + len(rows) * row_height + 8, label_width, plot_width, row_height, bars, ticks)


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def report_pdf_html(report: FunnelReport) -> str:
    """The official report as HTML (a trusted template of the app, rendered from plain values)."""
    program = report.program
    settings = settings_for(program.instansi_id)
    audit = audit_anchors.anchor_for_document()
    return render_template(
        "reports/official_pdf.html", report=report, program=program, settings=settings,
        instansi=program.instansi.name, steps=STEPS, step_labels=STEP_LABELS,
        period=f"{format_date_id(program.starts_on)} – {format_date_id(program.ends_on)}",
        as_of=format_datetime_zone(report.as_of, report.zone),
        signed_on=format_date_id(report.as_of, report.zone), chart=bar_chart(report.children),
        score_bands=SCORE_BANDS, audit=audit,
        audit_at=format_datetime_zone(audit.anchor.at, report.zone) if audit.anchor else None,
    )


def report_pdf(report: FunnelReport) -> bytes:
    """The official report as PDF bytes (WeasyPrint; only the app's own static files are fetched)."""
    return render_pdf(report_pdf_html(report))


def filename(report: FunnelReport, kind: str, extension: str) -> str:
    """e.g. 'laporan-12-unit-7-20261123.xlsx' (ASCII only, safe in a header), dated in local time."""
    return export_filename(kind, report.program, report.unit, report_info(report).local_day, extension)


def export_filename(kind: str, program: Program, unit: Unit, day: date, extension: str) -> str:
    """'<kind>-<program>-unit-<unit>-<local date>.<ext>'."""
    return f"{kind}-{program.id}-unit-{unit.id}-{day:%Y%m%d}.{extension}"


def write_report(report: FunnelReport, fmt: str, target) -> None:
    """Write the report as ``fmt`` (xlsx, csv or pdf) to a binary file object."""
    if fmt == "xlsx":
        rows = followup.iter_rows(followup.followup_query(report.program, report.unit), program=report.program)
        write_report_xlsx(report, rows, followup.module_count(report.program), target)
    elif fmt == "csv":
        target.write(report_csv(report))
    elif fmt == "pdf":
        target.write(report_pdf(report))
    else:
        raise ValueError(f"unknown format {fmt!r}")


def export_report(program: Program, unit: Unit, fmt: str, target) -> FunnelReport:
    """Write the report as ``fmt`` with the figures the dashboard shows (the snapshot, whose time
    the export states); the official PDF is always in Indonesian."""
    with force_locale("id") if fmt == "pdf" else nullcontext():
        report = current_report(program, unit)
        write_report(report, fmt, target)
    return report
