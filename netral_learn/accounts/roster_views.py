"""Roster import pages (admins): upload → dry-run preview → apply; templates; error report."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core.scope import Action, acts_on_person, requires, scope_path
from ..core.storage import StagedUpload
from ..extensions import db
from . import roster
from .forms import RosterApplyForm, RosterUploadForm
from .models import Role, Unit
from .views import bp


def _plan(staged: StagedUpload) -> roster.ImportPlan:
    return roster.plan_import(staged.filename, staged.read(), scope_path=scope_path(current_user))


def _summary(plan: roster.ImportPlan) -> dict:
    return {
        "total": plan.total_rows, "new": len(plan.new), "updated": len(plan.updates),
        "unchanged": plan.unchanged, "errors": len(plan.errors), "ignored": plan.ignored_headers,
        "first_errors": [e.__dict__ for e in plan.errors[:50]],
        "preview": [{**row, "jenis": str(row.get("jenis") or "")} for row in plan.preview],
    }


@bp.route("/admin/impor", methods=["GET", "POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.IMPORT)
def roster_upload():
    form = RosterUploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            plan = roster.plan_import(upload.filename or "", data, scope_path=scope_path(current_user))
        except roster.RosterFileError as exc:
            error = exc.message
        else:
            staged = StagedUpload.create(current_user.id, upload.filename or "roster", data)
            staged.write_extra("summary.json", json.dumps(_summary(plan), default=str).encode())
            staged.write_extra("errors.csv", roster.error_report_csv(plan))
            return redirect(url_for("accounts.roster_preview", token=staged.token))
    elif form.errors.get("file"):
        error = form.errors["file"][0]
    return render_template("accounts/roster_upload.html", form=form, error=error,
                           columns=roster.COLUMNS), (400 if error else 200)


def _load_staged(token: str) -> StagedUpload:
    try:
        return StagedUpload.load(token, current_user.id)
    except (FileNotFoundError, ValueError):
        abort(404)


@bp.route("/admin/impor/<token>")
@requires(Role.ADMIN)
def roster_preview(token: str):
    staged = _load_staged(token)
    summary = json.loads(staged.read_extra("summary.json"))
    unit_ids = {row["unit_id"] for row in summary["preview"] if row.get("unit_id")}
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).tuples().all())
    return render_template("accounts/roster_preview.html", staged=staged, summary=summary,
                           unit_names=unit_names, form=RosterApplyForm(token=token))


@bp.route("/admin/impor/<token>/kesalahan.csv")
@requires(Role.ADMIN)
def roster_errors(token: str):
    staged = _load_staged(token)
    return Response(staged.read_extra("errors.csv"), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="laporan-kesalahan-impor.csv"'})


@bp.route("/admin/impor/<token>/terapkan", methods=["POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.IMPORT)
def roster_apply(token: str):
    form = RosterApplyForm()
    if not form.validate_on_submit() or form.token.data != token:
        abort(400)
    staged = _load_staged(token)
    try:
        plan = _plan(staged)  # the database may have changed since the dry run: check again
        result = roster.apply_plan(current_user, plan)
    except roster.RosterFileError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.roster_preview", token=token))
    db.session.commit()
    staged.delete()
    flash(_("Impor selesai: %(new)d pegawai baru, %(updated)d diperbarui, %(same)d tidak berubah.",
            new=result.created, updated=result.updated, same=result.unchanged), "success")
    return redirect(url_for("accounts.people", status="initial" if result.created else "active"))


@bp.route("/admin/impor/templat.<fmt>")
@requires(Role.ADMIN)
def roster_template(fmt: str):
    if fmt == "xlsx":
        return Response(roster.template_xlsx(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="templat-roster.xlsx"'})
    if fmt == "csv":
        return Response(roster.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="templat-roster.csv"'})
    abort(404)
