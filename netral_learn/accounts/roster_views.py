"""Roster import pages (admins, and operators their instansi allows): upload → dry-run preview → apply;
templates; error report; the list of changes; the operator permission per instansi."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.errors import NotAllowed
from .scope import Action, acts_on_person, get_unit, instansi_administered, requires, scope_path
from ..core.storage import StagedUpload
from ..core.tabular import error_report_csv, reading_of
from ..extensions import db
from . import roster
from .forms import RosterApplyForm, RosterUploadForm
from ..core.forms import ActionForm
from .models import Role
from .views import bp


#: Changed people listed on the preview page (all of them are in the downloadable list).
PREVIEW_CHANGES = 200


def _plan(filename: str, data: bytes, empty_clears: bool, lock: bool = False) -> roster.RosterPlan:
    return roster.plan_import(filename, data, scope_path=scope_path(current_user), actor=current_user,
                              empty_clears=empty_clears, lock=lock)


def _summary(plan: roster.RosterPlan) -> dict:
    return {
        "total": plan.total_rows, "new": len(plan.new), "updated": len(plan.updates),
        "unchanged": plan.unchanged, "errors": len(plan.errors), "ignored": plan.ignored_headers,
        "reading": reading_of(plan), "empty_clears": plan.empty_clears, "fingerprint": plan.fingerprint,
        "field_counts": plan.field_counts(),
        "changes": [{"row": c["row"], "nip": c["nip"], "name": c["name"],
                     "fields": [[roster.FIELD_TITLES[f], roster.shown_value(plan, f, old),
                                 roster.shown_value(plan, f, new), new is None]
                                for f, (old, new) in c["fields"].items()]}
                    for c in plan.changes[:PREVIEW_CHANGES]],
        "first_errors": [e.__dict__ for e in plan.errors[:50]],
        "preview": [{**row, "jenis": str(row["jenis"].value if row.get("jenis") else ""),
                     "unit": plan.unit_names.get(row.get("unit_id"), "")} for row in plan.preview],
    }


def _stage_results(staged: StagedUpload, plan: roster.RosterPlan) -> None:
    staged.write_extra("summary.json", json.dumps(_summary(plan), default=str).encode())
    staged.write_extra("errors.csv", error_report_csv(plan))
    staged.write_extra("changes.csv", roster.changes_csv(plan))


@bp.route("/admin/impor", methods=["GET", "POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.IMPORT)
def roster_upload():
    _require_import_right()
    form = RosterUploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            plan = _plan(upload.filename or "", data, form.empty_clears.data)
        except roster.RosterFileError as exc:
            error = exc.message
        else:
            staged = StagedUpload.create(current_user.id, upload.filename or "roster", data)
            _stage_results(staged, plan)
            return redirect(url_for("accounts.roster_preview", token=staged.token))
    elif form.errors.get("file"):
        error = form.errors["file"][0]
    return render_template("accounts/roster_upload.html", form=form, error=error, columns=roster.COLUMNS,
                           clear_marker=roster.CLEAR_MARKER, instansi=instansi_administered(current_user),
                           permission_form=ActionForm()), (400 if error else 200)


@bp.route("/admin/impor/izin-operator/<int:unit_id>", methods=["POST"])
@requires(Role.ADMIN)
def roster_operator_permission(unit_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    instansi = get_unit(current_user, unit_id)
    allowed = request.form.get("allowed") == "1"
    roster.set_operator_import(current_user, instansi, allowed)
    db.session.commit()
    flash(_("Operator %(name)s kini boleh mengimpor roster untuk unitnya sendiri.", name=instansi.name) if allowed
          else _("Operator %(name)s tidak lagi boleh mengimpor roster.", name=instansi.name), "success")
    return redirect(url_for("accounts.roster_upload"))


@bp.app_template_global("may_import_roster")
def may_import_roster(actor) -> bool:
    """For the navigation: may this person open the roster import?"""
    return roster.may_import(actor)


def _require_import_right() -> None:
    if not roster.may_import(current_user):
        raise NotAllowed(_("Impor roster belum diizinkan untuk operator di instansi Anda; minta admin BKPSDM "
                           "mengizinkannya di halaman Impor Roster."))


def _load_staged(token: str) -> StagedUpload:
    try:
        return StagedUpload.load(token, current_user.id)
    except (FileNotFoundError, ValueError):
        abort(404)


@bp.route("/admin/impor/<token>")
@requires(Role.OPERATOR)
def roster_preview(token: str):
    _require_import_right()
    staged = _load_staged(token)
    summary = json.loads(staged.read_extra("summary.json"))
    return render_template("accounts/roster_preview.html", staged=staged, summary=summary,
                           clear_marker=roster.CLEAR_MARKER, shown_changes=PREVIEW_CHANGES,
                           form=RosterApplyForm(token=token))


@bp.route("/admin/impor/<token>/perubahan.csv")
@requires(Role.OPERATOR)
def roster_changes(token: str):
    _require_import_right()
    staged = _load_staged(token)
    return Response(staged.read_extra("changes.csv"), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="daftar-perubahan-impor.csv"'})


@bp.route("/admin/impor/<token>/kesalahan.csv")
@requires(Role.OPERATOR)
def roster_errors(token: str):
    _require_import_right()
    staged = _load_staged(token)
    return Response(staged.read_extra("errors.csv"), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="laporan-kesalahan-impor.csv"'})


@bp.route("/admin/impor/<token>/terapkan", methods=["POST"])
@requires(Role.OPERATOR)
@acts_on_person(Action.IMPORT)
def roster_apply(token: str):
    _require_import_right()
    form = RosterApplyForm()
    if not form.validate_on_submit() or form.token.data != token:
        abort(400)
    staged = _load_staged(token)
    summary = json.loads(staged.read_extra("summary.json"))
    plan = None
    try:
        # Read again and compare with the database as it is now, its rows locked until the commit;
        # what is written must be exactly what the preview showed.
        plan = _plan(staged.filename, staged.read(), bool(summary.get("empty_clears")), lock=True)
        result = roster.apply_plan(current_user, plan, expected=summary.get("fingerprint", ""))
    except roster.RosterFileError as exc:
        db.session.rollback()
        if plan is not None:  # the preview now shows the plan as it stands (plain values, no rows)
            _stage_results(staged, plan)
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.roster_preview", token=token))
    db.session.commit()
    staged.delete()
    flash(_("Impor selesai: %(new)d pegawai baru, %(updated)d diperbarui, %(same)d tidak berubah.",
            new=result.created, updated=result.updated, same=result.unchanged), "success")
    return redirect(url_for("accounts.people", status="initial" if result.created else "active"))


@bp.route("/admin/impor/templat.<fmt>")
@requires(Role.OPERATOR)
def roster_template(fmt: str):
    _require_import_right()
    if fmt == "xlsx":
        return Response(roster.template_xlsx(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="templat-roster.xlsx"'})
    if fmt == "csv":
        return Response(roster.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="templat-roster.csv"'})
    abort(404)
