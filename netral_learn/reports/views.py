"""Laporan pages (operators and admins, each within their scope): dashboard, follow-up, exports, reminders."""
from __future__ import annotations

import tempfile

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Jenis, Role
from ..certificates.services import settings_for
from ..core.clock import now_utc
from ..core.errors import OutOfScope
from ..core.i18n import format_datetime_zone
from ..core.ids import page_number, parse_id
from ..core.scope import requires
from ..extensions import db
from . import exports, followup, funnel, reminders, services, snapshot
from .forms import FollowupFilterForm, RecountForm, ReportForm, SendRemindersForm

bp = Blueprint("reports", __name__)

#: A recount asked for within this many seconds of the last one shows that one (no pile-up of clicks).
RECOUNT_FRESHER_THAN = 5
#: Spooled exports stay in memory up to this size, then move to a temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024


def _id_arg(name: str) -> int | None:
    """An id from the query string; anything but digits is 'not found'."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    found = parse_id(value)
    if found is None:
        raise OutOfScope()
    return found


def _selection():
    """(programs the viewer may pick, the chosen program or None, the unit to report on or None)."""
    programs = services.programs_for_viewer(current_user)
    program_id = _id_arg("program")
    if program_id is not None:
        program = services.get_report_program(current_user, program_id)
    else:
        program = programs[0] if programs else None
    unit = services.report_unit(current_user, program, _id_arg("unit")) if program else None
    return programs, program, unit


def _download(fmt: str, produce):
    """Run ``produce(file)`` (which returns the file name) into a spooled temporary file; send it."""
    buffer = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    name = produce(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=exports.MIMETYPES[fmt], as_attachment=True, download_name=name, max_age=0)


@bp.route("/laporan")
@requires(Role.OPERATOR)
def dashboard():
    """The funnel of the chosen program under the chosen unit: table, charts, scores."""
    programs, program, unit = _selection()
    form = ReportForm(request.args)
    form.program.choices = [(str(p.id), p.title if p.published else _("%(title)s (draf)", title=p.title))
                            for p in programs]
    if program is None:
        return render_template("reports/dashboard.html", form=form, report=None)
    form.program.data, form.unit.data = str(program.id), str(unit.id)
    report = services.funnel_report(program, unit)
    return render_template(
        "reports/dashboard.html", form=form, report=report, program=program, unit=unit, recount_form=RecountForm(),
        crumbs=services.breadcrumb(current_user, unit), as_of=format_datetime_zone(report.as_of, report.zone),
        steps=funnel.STEPS, step_labels=funnel.STEP_LABELS, score_bands=funnel.SCORE_BANDS,
        chart_data=_chart_data(report))


@bp.route("/laporan/hitung-ulang", methods=["POST"])
@requires(Role.OPERATOR)
def recount():
    """Count the chosen program again now (the page otherwise shows figures up to a minute old)."""
    programs, program, unit = _selection()
    if program is None or not RecountForm().validate_on_submit():
        flash(_("Permintaan tidak sah. Muat ulang halaman lalu coba lagi."), "error")
    else:
        snapshot.refresh(program, fresher_than=RECOUNT_FRESHER_THAN)
        flash(_("Angka laporan sudah dihitung ulang."), "success")
    return redirect(url_for("reports.dashboard", program=program.id if program else None,
                            unit=unit.id if unit else None))


def _chart_data(report: funnel.FunnelReport) -> dict:
    """What static/js/report-charts.js draws: completion per child unit and the running totals."""
    return {
        "units": {"labels": [row.label for row in report.children],
                  "percent": [row.percent("certificate") for row in report.children]},
        "timeline": {"days": [day.isoformat() for day in report.days],
                     "series": [{"label": str(funnel.STEP_LABELS[step]), "values": report.cumulative[step]}
                                for step in funnel.STEPS]},
        "text": {"percent": _("% sertifikat terbit"), "people": _("Jumlah pegawai")},
    }


@bp.route("/laporan/ekspor.<fmt>")
@requires(Role.OPERATOR)
def export(fmt: str):
    """The report as XLSX, CSV or the official PDF."""
    if fmt not in exports.FORMATS:
        raise OutOfScope()
    _programs, program, unit = _selection()
    if program is None:
        raise OutOfScope()

    def produce(file):
        return exports.filename(exports.export_report(program, unit, fmt, file), "laporan", fmt)

    return _download(fmt, produce)


def _followup_selection():
    """The chosen program, the unit listed, the filter form and the follow-up query it asks for."""
    _programs, program, unit = _selection()
    if program is None:
        raise OutOfScope()
    form = FollowupFilterForm(request.args)
    top = services.report_unit(current_user, program, None)
    form.unit.choices = [(str(i), label) for i, label in followup.unit_choices(top)]
    form.program.data, form.unit.data = str(program.id), str(unit.id)
    stage = next((s for s in followup.Stage if s.value == form.step.data), None)
    jenis = next((j for j in Jenis if j.value == form.jenis.data), None)
    query = followup.followup_query(program, unit, stage=stage, jenis=jenis)
    return program, unit, form, query


@bp.route("/laporan/tindak-lanjut")
@requires(Role.OPERATOR)
def followup_list():
    """Who has not completed, where they stopped; filtered and paged."""
    program, unit, form, query = _followup_selection()
    page = followup.page_of(query, page_number(), current_app.config["PER_PAGE"])
    return render_template(
        "reports/followup.html", program=program, unit=unit, form=form, page=page,
        modules=followup.module_count(program), stage_counts=followup.stage_counts(program, unit),
        stage_labels=followup.STAGE_LABELS, where_stopped=followup.where_stopped,
        jenis_labels=funnel.JENIS_LABELS, mail_enabled=reminders.smtp_settings(current_app.config) is not None)


@bp.route("/laporan/tindak-lanjut.<fmt>")
@requires(Role.OPERATOR)
def followup_export(fmt: str):
    """The filtered follow-up list as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise OutOfScope()
    program, unit, _form, query = _followup_selection()
    modules = followup.module_count(program)

    def produce(file):
        rows = followup.iter_rows(query)
        if fmt == "csv":
            file.write(exports.followup_csv(rows, modules))
        else:
            exports.write_followup_xlsx(rows, modules, file)
        return f"tindak-lanjut-{program.id}-unit-{unit.id}-{now_utc():%Y%m%d}.{fmt}"

    return _download(fmt, produce)


def _reminder_plan(program, query) -> list[reminders.Reminder]:
    rows = list(followup.iter_rows(query.limit(reminders.MAX_PER_BATCH)))
    return reminders.plan_reminders(program, rows, followup.module_count(program), current_app.config["SITE_URL"],
                                    settings_for(program.instansi_id).agency_name)


@bp.route("/laporan/tindak-lanjut/pengingat", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def reminder_page():
    """Dry run of the reminder mail (GET) and sending it (POST)."""
    program, unit, form, query = _followup_selection()
    smtp = reminders.smtp_settings(current_app.config)
    send_form = SendRemindersForm()
    if request.method == "POST":
        if not send_form.validate_on_submit() or smtp is None:
            flash(_("Pengiriman email belum diatur (SMTP_HOST dan SMTP_FROM)."), "error")
            return redirect(url_for("reports.reminder_page", **request.args))
        result = reminders.send_reminders(current_user, program, _reminder_plan(program, query), smtp)
        db.session.commit()
        if result.error:
            flash(_("Pengiriman terhenti setelah %(n)d email: %(error)s", n=result.sent, error=result.error), "error")
        else:
            flash(_("%(n)d email pengingat terkirim; %(r)d alamat ditolak server.", n=result.sent,
                    r=len(result.refused)), "success")
        return redirect(url_for("reports.followup_list", **request.args))
    plan = _reminder_plan(program, query)
    return render_template("reports/reminders.html", program=program, unit=unit, form=form, plan=plan,
                           total=followup.count_rows(query), limit=reminders.MAX_PER_BATCH, smtp=smtp,
                           send_form=send_form)
