"""Report exports: XLSX (a sheet per breakdown plus the follow-up list), CSV, and the official PDF.

Every spreadsheet cell passes through ``core.spreadsheet.safe_cell`` (unit and people names are
typed by admins and rosters); the XLSX is written in openpyxl's write-only mode from generators,
so a large follow-up sheet never sits in memory. The PDF is a trusted template rendered by
WeasyPrint with a server-side SVG chart (no JavaScript in PDFs) and a fresh signed anchor of the audit log.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..accounts.models import Unit
from ..certificates.services import settings_for
from ..core.i18n import format_date_id, format_datetime_zone
from ..core.pdf import render_pdf
from ..core.spreadsheet import csv_bytes, write_xlsx
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


def _summary(rows: list[FunnelRow], total: FunnelRow):
    yield from (summary_cells(row) for row in rows)
    yield summary_cells(_total_row(total))


def _total_row(total: FunnelRow) -> FunnelRow:
    return replace(total, label=str(_l("Jumlah")))


def report_sheets(report: FunnelReport, followup_rows, modules: int) -> list[tuple]:
    """The XLSX sheets: per child unit, per jenis, per golongan, then the follow-up list."""
    return [
        (str(_l("Per Unit")), summary_headers(str(_l("Unit kerja"))), _summary(report.children, report.total),
         _summary_widths(40)),
        (str(_l("Per Jenis")), summary_headers(str(_l("Jenis pegawai"))), _summary(report.by_jenis, report.total),
         _summary_widths(16)),
        (str(_l("Per Golongan")), summary_headers(str(_l("Golongan"))), _summary(report.by_golongan, report.total),
         _summary_widths(16)),
        _followup_sheet(followup_rows, modules),
    ]


def _followup_sheet(followup_rows, modules: int) -> tuple:
    return (str(_l("Tindak Lanjut")), [str(h) for h in followup.EXPORT_HEADERS],
            followup.export_rows(followup_rows, modules), list(followup.EXPORT_WIDTHS))


def write_report_xlsx(report: FunnelReport, followup_rows, modules: int, target) -> None:
    """Write the report workbook to a file object or path (write-only: flat memory)."""
    write_xlsx(report_sheets(report, followup_rows, modules), target)


def report_csv(report: FunnelReport) -> bytes:
    """One CSV (UTF-8 with BOM) holding every breakdown, told apart by its first column."""
    groups = ((_l("Unit kerja"), report.children), (_l("Jenis pegawai"), report.by_jenis),
              (_l("Golongan"), report.by_golongan), (_l("Jumlah"), [report.total]))
    rows = ([str(kind), *summary_cells(row)] for kind, group in groups for row in group)
    return csv_bytes([str(_l("Kelompok")), *summary_headers(str(_l("Nama")))], rows)


def followup_csv(followup_rows, modules: int) -> bytes:
    """The follow-up list alone as CSV (UTF-8 with BOM)."""
    return csv_bytes([str(h) for h in followup.EXPORT_HEADERS], followup.export_rows(followup_rows, modules))


def write_followup_xlsx(followup_rows, modules: int, target) -> None:
    """The follow-up list alone as a one-sheet workbook (write-only)."""
    write_xlsx([_followup_sheet(followup_rows, modules)], target)


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
    """e.g. 'laporan-12-unit-7-20261123.xlsx' (ASCII only, safe in a header)."""
    return f"{kind}-{report.program.id}-unit-{report.unit.id}-{report.as_of:%Y%m%d}.{extension}"


def write_report(report: FunnelReport, fmt: str, target) -> None:
    """Write the report as ``fmt`` (xlsx, csv or pdf) to a binary file object."""
    if fmt == "xlsx":
        rows = followup.iter_rows(followup.followup_query(report.program, report.unit))
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
