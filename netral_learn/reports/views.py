"""Laporan pages (operators and admins, each within their scope): dashboard, follow-up, exports, reminders."""
from __future__ import annotations

import tempfile

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Jenis, Person, Role
from ..certificates.services import settings_for
from ..core.clock import now_utc
from ..core.errors import OutOfScope
from ..core import audit
from ..core.i18n import format_datetime_zone, local_today
from ..core.ids import page_number, parse_id
from ..core.phone import whatsapp_number
from ..accounts.scope import Action, acts_on_person, get_person, requires
from ..core.transactions import attempt
from ..quiz import grants
from ..extensions import db
from . import exports, followup, funnel, reminders, services, snapshot
from .forms import FollowupFilterForm, GrantAttemptsForm, RecountForm, ReportForm, SendRemindersForm, WhatsAppForm

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
        program = services.current_program(programs, local_today(current_user))
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
    audit.record(current_user, "report.export", f"program:{program.id}", unit=unit.id, format=fmt)
    db.session.commit()

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
    query = followup.followup_query(program, unit, stage=stage, jenis=jenis, needs_help=bool(form.bantuan.data))
    form.summary = followup.describe_filters(stage, jenis, bool(form.bantuan.data))
    return program, unit, form, query


@bp.route("/laporan/tindak-lanjut")
@requires(Role.OPERATOR)
def followup_list():
    """Who has not completed, where they stopped; filtered and paged."""
    program, unit, form, query = _followup_selection()
    page = followup.page_of(query, page_number(), current_app.config["PER_PAGE"], program)
    return render_template(
        "reports/followup.html", program=program, unit=unit, form=form, page=page,
        modules=followup.module_count(program), stage_counts=followup.stage_counts(program, unit),
        help_count=followup.help_count(program, unit), help_labels=followup.HELP_LABELS,
        help_actions=followup.HELP_ACTIONS, whatsapp_form=WhatsAppForm(key=reminders.new_key()),
        whatsapp_number=whatsapp_number, channel_labels=followup.CHANNEL_LABELS,
        stage_labels=followup.STAGE_LABELS, where_stopped=followup.where_stopped,
        jenis_labels=funnel.JENIS_LABELS, mail_enabled=reminders.smtp_settings(current_app.config) is not None)


@bp.route("/laporan/tindak-lanjut.<fmt>")
@requires(Role.OPERATOR)
def followup_export(fmt: str):
    """The filtered follow-up list as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise OutOfScope()
    program, unit, form, query = _followup_selection()
    audit.record(current_user, "report.export", f"program:{program.id}", unit=unit.id, format=fmt, list="followup")
    db.session.commit()
    modules = followup.module_count(program)
    zone = funnel.instansi_zone(program)
    info = exports.export_info(program, unit, now_utc(), zone, form.summary)

    def produce(file):
        rows = followup.iter_rows(query, program=program)
        if fmt == "csv":
            file.write(exports.followup_csv(rows, modules, info, zone))
        else:
            exports.write_followup_xlsx(rows, modules, info, zone, file)
        return exports.export_filename("tindak-lanjut", program, unit, info.local_day, fmt)

    return _download(fmt, produce)


def _reminder_plan(program, query) -> list[reminders.Reminder]:
    rows = list(followup.iter_rows(query.limit(reminders.MAX_PER_BATCH)))
    return _plan(program, rows)


def _plan(program, rows) -> list[reminders.Reminder]:
    return reminders.plan_reminders(program, rows, followup.module_count(program), current_app.config["SITE_URL"],
                                    settings_for(program.instansi_id).agency_name)


@bp.route("/laporan/tindak-lanjut/<int:program_id>/pegawai/<int:person_id>/whatsapp", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.REMIND)
def remind_whatsapp(program_id: int, person_id: int):
    """Record a WhatsApp reminder to one person, then open the chat with the message filled in."""
    program = services.get_report_program(current_user, program_id)
    person = get_person(current_user, person_id, Action.REMIND)
    back = request.form.get("back", "")
    back = back if back.startswith("/laporan/tindak-lanjut?") else url_for("reports.followup_list", program=program.id)
    form = WhatsAppForm()
    if not form.validate_on_submit():
        flash(_("Permintaan tidak sah. Muat ulang halaman lalu coba lagi."), "error")
        return redirect(back)
    top = services.report_unit(current_user, program, None)
    rows = list(followup.iter_rows(followup.followup_query(program, top).where(Person.id == person.id)))
    if not rows:
        flash(_("%(name)s sudah menyelesaikan program ini atau bukan sasarannya.", name=person.name), "info")
        return redirect(back)
    message = _plan(program, rows)[0]
    result, error = attempt(lambda: reminders.remind_by_whatsapp(current_user, program, message, person.phone,
                                                                  form.key.data, now_utc()))
    if error is not None:
        flash(error, "error")
        return redirect(back)
    return redirect(result[0], code=303)


@bp.route("/laporan/tindak-lanjut/pengingat", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def reminder_page():
    """Dry run of the reminder mail (GET) and sending it (POST)."""
    program, unit, form, query = _followup_selection()
    smtp = reminders.smtp_settings(current_app.config)
    send_form = SendRemindersForm()
    if request.method == "POST":
        if smtp is None:
            flash(_("Pengiriman email belum diatur (SMTP_HOST dan SMTP_FROM)."), "error")
            return redirect(url_for("reports.reminder_page", **request.args))
        if not send_form.validate_on_submit():
            flash(_("Permintaan tidak sah. Muat ulang halaman lalu coba lagi."), "error")
            return redirect(url_for("reports.reminder_page", **request.args))
        result, error = attempt(lambda: reminders.send_reminders(
            current_user, program, _reminder_plan(program, query), smtp, send_form.key.data, now_utc()))
        if error is not None:
            flash(error, "error")
        elif result.error:
            flash(_("Pengiriman terhenti setelah %(n)d email: %(error)s", n=result.sent, error=result.error), "error")
        else:
            flash(_("%(n)d email pengingat terkirim; %(r)d alamat ditolak server.", n=result.sent,
                    r=len(result.refused)), "success")
        if error is None and result.skipped:
            flash(_("%(n)d pegawai dilewati karena baru saja diingatkan.", n=result.skipped), "info")
        return redirect(url_for("reports.followup_list", **request.args))
    plan = _reminder_plan(program, query)
    send_form.key.data = reminders.new_key()
    return render_template("reports/reminders.html", program=program, unit=unit, form=form, plan=plan,
                           total=followup.count_rows(query), limit=reminders.MAX_PER_BATCH, smtp=smtp,
                           send_form=send_form)


#: The printable call list holds at most this many people (narrow the filters for more).
CALL_LIST_LIMIT = 2000


@bp.route("/laporan/tindak-lanjut/daftar-telepon")
@requires(Role.OPERATOR)
def call_list():
    """The filtered follow-up list as a page to print: name, unit, phone, where they stopped, a column for notes."""
    program, unit, form, query = _followup_selection()
    rows = list(followup.iter_rows(query.limit(CALL_LIST_LIMIT), program=program))
    report_zone = funnel.instansi_zone(program)
    return render_template("reports/call_list.html", program=program, unit=unit, form=form, rows=rows,
                           total=followup.count_rows(query), limit=CALL_LIST_LIMIT,
                           modules=followup.module_count(program), where_stopped=followup.where_stopped,
                           help_labels=followup.HELP_LABELS, channel_labels=followup.CHANNEL_LABELS,
                           printed_at=format_datetime_zone(now_utc(), report_zone), zone=report_zone,
                           site_url=current_app.config["SITE_URL"])


@bp.route("/laporan/tindak-lanjut/<int:program_id>/pegawai/<int:person_id>/percobaan", methods=["GET", "POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.GRANT)
def grant_attempts(program_id: int, person_id: int):
    """Extra quiz attempts for a person who failed every one (operators and admins, within scope)."""
    program = services.get_report_program(current_user, program_id)
    person = get_person(current_user, person_id, Action.GRANT)
    form = GrantAttemptsForm()
    if form.validate_on_submit():
        _grant, error = attempt(lambda: grants.grant_attempts(
            current_user, person, program, form.extra.data, form.reason.data, form.seen_extra.data, now_utc()))
        if error is None:
            flash(_("%(name)s mendapat %(n)d percobaan kuis tambahan.", name=person.name, n=form.extra.data),
                  "success")
            return redirect(url_for("reports.followup_list", program=program.id, bantuan="y"))
        flash(error, "error")
    state = grants.standing(person, program)
    form.seen_extra.data = state.extra
    return render_template("reports/grant_attempts.html", program=program, person=person, form=form, state=state,
                           history=grants.grants_of(person, program))
