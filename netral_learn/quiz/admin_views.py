"""Quiz pages for admins: a course's question bank (author, preview, import, export) and a
program's quiz settings with per-question statistics.

Scope: admins see their instansi's courses and programs and the bundled courses (which only a
superadmin edits); anything else answers 404, operators 403.
"""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..core.forms import ActionForm, select_choices
from ..accounts.models import Role, Unit
from ..core.errors import InvalidInput, NotAllowed
from ..core.ids import page_number
from ..core.redirects import safe_next
from ..accounts.scope import requires
from ..core.storage import StagedUpload
from ..core.tabular import error_report_csv, reading_of
from ..courses import authoring, programs
from ..extensions import db
from . import bank, grading, services
from .forms import BankApplyForm, BankUploadForm, QuestionFilterForm, QuestionForm, QuizSettingsForm
from .views import bp

#: Filter value for questions without a tag.
_UNTAGGED = "~"
_MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def _download(data: bytes, fmt: str, name: str) -> Response:
    return Response(data, mimetype=_MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _course(course_id: int, *, edit: bool = False):
    """The course by id for the admin (404 outside scope); 403 when editing a course they may only read."""
    course = authoring.get_course_for(current_user, course_id)
    if edit and not authoring.may_edit_course(current_user, course):
        raise NotAllowed(_l("Bank soal materi bawaan hanya dapat diubah superadmin."))
    return course


def _course_page(course, **context):
    """Context every bank page shares: the course, its newest title, whether it may be edited."""
    version = course.versions[-1] if course.versions else None
    return {"course": course, "title": version.title if version else course.slug,
            "editable": authoring.may_edit_course(current_user, course), "kinds": grading.KINDS, **context}


@bp.route("/admin/soal")
@requires(Role.ADMIN)
def admin_index():
    courses = authoring.courses_for(current_user)
    owners = dict(db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({c.instansi_id for c in courses if c.instansi_id}))).tuples().all())
    return render_template("quiz/admin/index.html", courses=courses, owners=owners, counts=bank.active_counts(),
                           programs=programs.programs_for_admin(current_user))


@bp.route("/admin/kursus/<int:course_id>/soal")
@requires(Role.ADMIN)
def bank_list(course_id: int):
    course = _course(course_id)
    form = QuestionFilterForm(request.args)
    form.tag.choices = select_choices([("", _("Semua tag")),
                                       *((t or _UNTAGGED, t or _("(tanpa tag)")) for t in bank.tags_of(course))])
    tag = None if not form.tag.data else "" if form.tag.data == _UNTAGGED else form.tag.data
    active = {"active": True, "inactive": False}.get(form.status.data or "active")
    page = db.paginate(bank.questions_query(
        course, tag=tag, kind=form.type.data if form.type.data in grading.KINDS else None, active=active),
                       page=page_number(), per_page=50, error_out=False)
    shortfalls = [(p, bank.draw_shortfalls(p)) for p in bank.programs_using(current_user, course)]
    return render_template("quiz/admin/bank.html", **_course_page(
        course, form=form, page=page, action_form=ActionForm(),
        shortfalls=[(p, problems) for p, problems in shortfalls if problems]))


def _question_form(course, question=None):
    """Create or edit: 'Pratinjau' shows the unsaved question as a participant sees it; 'Simpan' saves."""
    form = QuestionForm()
    if request.method == "GET" and question is not None:
        form.load(question)
    preview = bank.spec_of(question) if question is not None else None
    if form.validate_on_submit():
        spec = form.spec()
        problems = bank.check_question(spec)
        if form.save.data:
            try:
                saved = (bank.update_question(current_user, question, spec) if question is not None
                         else bank.create_question(current_user, course, spec))
            except bank.FieldErrors as exc:
                db.session.rollback()
                problems = exc.problems
            else:
                db.session.commit()
                flash(_("Soal tersimpan."), "success")
                return redirect(url_for("quiz.question_edit", course_id=course.id, question_id=saved.id))
        form.show_problems(problems)
        preview = None if problems else spec
    return render_template("quiz/admin/question_form.html", **_course_page(
        course, form=form, question=question, preview=preview,
        participant=bank.participant_view(preview) if preview else None, action_form=ActionForm()))


@bp.route("/admin/kursus/<int:course_id>/soal/baru", methods=["GET", "POST"])
@requires(Role.ADMIN)
def question_new(course_id: int):
    return _question_form(_course(course_id, edit=True))


@bp.route("/admin/kursus/<int:course_id>/soal/<int:question_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def question_edit(course_id: int, question_id: int):
    course = _course(course_id, edit=request.method == "POST")
    question = bank.get_question(course, question_id)
    if not authoring.may_edit_course(current_user, course):
        spec = bank.spec_of(question)
        return render_template("quiz/admin/question_form.html", **_course_page(
            course, form=None, question=question, preview=spec, participant=bank.participant_view(spec)))
    return _question_form(course, question)


@bp.route("/admin/kursus/<int:course_id>/soal/<int:question_id>/status", methods=["POST"])
@requires(Role.ADMIN)
def question_status(course_id: int, question_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    course = _course(course_id, edit=True)
    question = bank.get_question(course, question_id)
    active = request.form.get("active") == "1"
    bank.set_question_active(current_user, question, active)
    db.session.commit()
    flash(_("Soal diaktifkan kembali.") if active else _("Soal dinonaktifkan; tidak akan diundi lagi."), "success")
    return redirect(safe_next(request.form.get("next"), prefix="/admin/")
                    or url_for("quiz.bank_list", course_id=course.id))


# --- import and export ---------------------------------------------------------------------

def _summary(course, plan) -> dict:
    return {"course": course.id, "total": plan.total_rows, "new": len(plan.new), "updated": len(plan.updates),
            "reactivated": sum(1 for *_, again in plan.updates if again), "unchanged": plan.unchanged,
            "errors": len(plan.errors), "ignored": plan.ignored_headers, "reading": reading_of(plan),
            "first_errors": [e.__dict__ for e in plan.errors[:50]], "preview": plan.preview}


@bp.route("/admin/kursus/<int:course_id>/soal/impor", methods=["GET", "POST"])
@requires(Role.ADMIN)
def bank_import(course_id: int):
    course = _course(course_id, edit=True)
    form = BankUploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            plan = bank.plan_import(course, upload.filename or "", data)
        except InvalidInput as exc:
            error = exc.message
        else:
            staged = StagedUpload.create(current_user.id, upload.filename or "soal", data)
            staged.write_extra("summary.json", json.dumps(_summary(course, plan), default=str).encode())
            staged.write_extra("errors.csv", error_report_csv(plan))
            return redirect(url_for("quiz.bank_import_preview", course_id=course.id, token=staged.token))
    elif form.errors.get("file"):
        error = form.errors["file"][0]
    return render_template("quiz/admin/import.html", **_course_page(course, form=form, error=error,
                                                                     columns=bank.COLUMNS)), (400 if error else 200)


def _staged(course, token: str) -> tuple[StagedUpload, dict]:
    try:
        staged = StagedUpload.load(token, current_user.id)
        summary = json.loads(staged.read_extra("summary.json"))
    except (FileNotFoundError, ValueError):
        abort(404)
    if summary.get("course") != course.id:
        abort(404)
    return staged, summary


@bp.route("/admin/kursus/<int:course_id>/soal/impor/<token>")
@requires(Role.ADMIN)
def bank_import_preview(course_id: int, token: str):
    course = _course(course_id, edit=True)
    staged, summary = _staged(course, token)
    return render_template("quiz/admin/import_preview.html", **_course_page(
        course, staged=staged, summary=summary, form=BankApplyForm(token=token)))


@bp.route("/admin/kursus/<int:course_id>/soal/impor/<token>/kesalahan.csv")
@requires(Role.ADMIN)
def bank_import_errors(course_id: int, token: str):
    staged, _summary_ = _staged(_course(course_id, edit=True), token)
    return _download(staged.read_extra("errors.csv"), "csv", "laporan-kesalahan-soal")


@bp.route("/admin/kursus/<int:course_id>/soal/impor/<token>/terapkan", methods=["POST"])
@requires(Role.ADMIN)
def bank_import_apply(course_id: int, token: str):
    form = BankApplyForm()
    if not form.validate_on_submit() or form.token.data != token:
        abort(400)
    course = _course(course_id, edit=True)
    staged, _summary_ = _staged(course, token)
    try:
        plan = bank.plan_import(course, staged.filename, staged.read())  # the bank may have changed since
        result = bank.apply_import(current_user, course, plan)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("quiz.bank_import_preview", course_id=course.id, token=token))
    db.session.commit()
    staged.delete()
    flash(_("Impor selesai: %(new)d soal baru, %(updated)d diperbarui, %(same)d tidak berubah.",
            new=result.created, updated=result.updated, same=result.unchanged), "success")
    return redirect(url_for("quiz.bank_list", course_id=course.id))


@bp.route("/admin/kursus/<int:course_id>/soal/ekspor.<fmt>")
@requires(Role.ADMIN)
def bank_export(course_id: int, fmt: str):
    course = _course(course_id)
    if fmt not in _MIMETYPES:
        abort(404)
    return _download(bank.export_file(course, fmt), fmt, f"bank-soal-{course.slug}")


@bp.route("/admin/soal/templat.<fmt>")
@requires(Role.ADMIN)
def bank_template(fmt: str):
    if fmt not in _MIMETYPES:
        abort(404)
    return _download(bank.template_file(fmt), fmt, "templat-bank-soal")


# --- program settings and statistics -------------------------------------------------------

@bp.route("/admin/program/<int:program_id>/kuis", methods=["GET", "POST"])
@requires(Role.ADMIN)
def program_settings(program_id: int):
    program = programs.get_program_for_admin(current_user, program_id)
    available = services.bank_by_tag(bank.course_of(program))
    form = QuizSettingsForm()
    if request.method == "GET":
        form.load(services.settings_for(program), list(available))
    elif form.validate_on_submit():
        try:
            bank.save_settings(current_user, program, **form.values())
        except bank.FieldErrors as exc:
            db.session.rollback()
            form.show_problems(exc.problems)
        else:
            db.session.commit()
            flash(_("Pengaturan kuis tersimpan."), "success")
            return redirect(url_for("quiz.program_settings", program_id=program.id))
    return render_template("quiz/admin/settings.html", program=program, form=form, available=available,
                           shortfalls=bank.draw_shortfalls(program), stats=services.question_stats(program),
                           course_id=bank.course_of(program))
